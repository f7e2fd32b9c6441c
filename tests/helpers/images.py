"""The small image and trimap of the inference tests."""
from typing import Optional, Tuple

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


def astronaut(size: Optional[int] = None) -> np.ndarray:
    """scikit-image's astronaut photo (a person, 512x512, public domain) as
    the API reads images: BGR uint8 (H, W, 3); ``size``: scaled to
    size x size."""
    from skimage import data  # only the automatic-mask tests need it
    photo = np.ascontiguousarray(data.astronaut()[..., ::-1])
    if size is None:
        return photo
    return cv2.resize(photo, (size, size), interpolation=cv2.INTER_AREA)


def sky(height: int = 240, width: int = 320) -> np.ndarray:
    """A blue gradient without a person: BGR uint8 (H, W, 3)."""
    ramp = np.linspace(0, 1, height, dtype=np.float32)[:, None, None]
    top, bottom = np.array([180, 120, 60.]), np.array([250, 220, 190.])
    picture = top + (bottom - top) * ramp
    return np.round(np.broadcast_to(picture, (height, width, 3))).astype(
        np.uint8)
