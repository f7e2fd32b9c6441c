"""The small image and trimap of the inference tests."""
from typing import Tuple

import cv2
import numpy as np

SIZE = (100, 130)  # H, W: not multiples of 32 (network input 96 x 128)


def make_pair(height: int,
              width: int,
              seed: int = 0) -> Tuple[np.ndarray, np.ndarray]:
    """Smooth random BGR image (H, W, 3) and a uint8 trimap (H, W) with all
    three regions: background on the top and left, foreground at the
    bottom, unknown elsewhere."""
    rng = np.random.default_rng(seed)
    coarse = rng.integers(0, 256, (8, 8, 3), dtype=np.uint8)
    image = cv2.resize(coarse, (width, height), interpolation=cv2.INTER_CUBIC)
    trimap = np.full((height, width), 128, np.uint8)
    trimap[:height // 4] = 0
    trimap[-height // 4:] = 255
    trimap[:, :width // 6] = 0
    return image, trimap
