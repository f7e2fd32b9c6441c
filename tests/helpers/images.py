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


def chelsea() -> np.ndarray:
    """scikit-image's photo of Chelsea the cat (451x300, public domain),
    BGR uint8 (H, W, 3): an animal the person segmenter takes for a
    person."""
    from skimage import data
    return np.ascontiguousarray(data.chelsea()[..., ::-1])


def sky(height: int = 240, width: int = 320) -> np.ndarray:
    """A blue gradient without a person: BGR uint8 (H, W, 3)."""
    ramp = np.linspace(0, 1, height, dtype=np.float32)[:, None, None]
    top, bottom = np.array([180, 120, 60.]), np.array([250, 220, 190.])
    picture = top + (bottom - top) * ramp
    return np.round(np.broadcast_to(picture, (height, width, 3))).astype(
        np.uint8)


# The box guide's scene: the box around its object, and the centre of an
# object-coloured disk of background inside the box.
BOX = (40, 40, 235, 185)
DECOY = (215, 165)


def object_scene(decoy: bool = False, scale: int = 1):
    """A striped orange ellipse (the object) on a smooth blue-green field
    with noise, BGR (200 * scale, 260 * scale, 3), and the object's mask;
    ``decoy``: an object-coloured disk of background inside the box."""
    rng = np.random.default_rng(0)
    height, width = 200, 260
    field = rng.uniform((90, 110, 20), (200, 190, 90), (4, 5, 3))
    image = cv2.resize(field.astype(np.float32), (width, height),
                       interpolation=cv2.INTER_CUBIC)
    inside = np.zeros((height, width), np.uint8)
    cv2.ellipse(inside, (130, 105), (70, 50), 20, 0, 360, 1, -1)
    stripes = 25 * np.sin(np.arange(width) / 4.0)[None, :, None]
    orange = np.array([30, 120, 230], np.float32) + stripes
    image = np.where(inside[..., None] > 0, orange, image)
    if decoy:
        cv2.circle(image, DECOY, 14, (30, 120, 230), -1)
    image = np.clip(image + rng.normal(0, 6, image.shape), 0, 255)
    image = image.astype(np.uint8)
    if scale > 1:
        image = cv2.resize(image, None, fx=scale, fy=scale,
                           interpolation=cv2.INTER_CUBIC)
        inside = cv2.resize(inside, None, fx=scale, fy=scale,
                            interpolation=cv2.INTER_NEAREST)
    return image, inside > 0
