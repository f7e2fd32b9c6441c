"""A generated clip with known alpha, for measuring temporal stability.

One synthetic foreground (:func:`.synthetic.synthetic_alpha`, with its
colours) moves over a static synthetic background, as a subject in front of
a camera on a tripod: still for the first third of the clip, moving
(sub-pixel steps, :data:`STEP` pixels a frame) in the second, still again
in the last. Every frame gets independent camera noise (Gaussian,
``noise`` levels). The foreground layer is moved with bilinear sampling of
its premultiplied colours and alpha, so each frame's alpha is exactly the
alpha its image was composed with, and the motion of every foreground
pixel is known: :func:`clip_motion` gives it per pixel as the optical flow
that the video-matting metric MESSDdt needs (Erofeev et al. 2015 estimate
it from the ground truth).

Nothing here writes files; a clip is a few arrays per frame.
"""
from typing import List, NamedTuple, Tuple

import cv2
import numpy as np

from .synthetic import (synthetic_alpha, synthetic_background,
                        synthetic_foreground)

# Motion of the foreground per frame while it moves, (x, y) in pixels.
STEP = (1.7, 0.6)


class SyntheticClip(NamedTuple):
    """Frames with their ground truth.

    Args:
        frames: BGR ``uint8`` (H, W, 3) per frame, with camera noise.
        alphas: ``uint8`` (H, W) per frame: the true alpha.
        offsets: (T, 2) float: the foreground's position (x, y) per frame.
    """
    frames: List[np.ndarray]
    alphas: List[np.ndarray]
    offsets: np.ndarray


def trajectory(count: int) -> np.ndarray:
    """Offsets (x, y) of the foreground per frame: still, moving, still."""
    moving = np.zeros((count, 2))
    moving[count // 3:2 * count // 3] = STEP
    return np.cumsum(moving, axis=0)


def synthetic_clip(rng: np.random.Generator,
                   count: int = 30,
                   size: Tuple[int, int] = (240, 320),
                   foreground_size: Tuple[int, int] = (180, 160),
                   noise: float = 3.0) -> SyntheticClip:
    """Make a clip, see the module docstring.

    Args:
        rng: Random generator (foreground, background, noise).
        count: Number of frames.
        size: Frame (height, width).
        foreground_size: (height, width) of the foreground layer.
        noise: Standard deviation of the camera noise in levels.

    Returns:
        SyntheticClip: Frames, true alphas and the foreground's offsets.
    """
    height, width = size
    layer_alpha = synthetic_alpha(rng, *foreground_size)
    colours = synthetic_foreground(rng, layer_alpha).astype(np.float32)
    alpha = layer_alpha.astype(np.float32) / 255
    premultiplied = colours * alpha[..., None]
    background = synthetic_background(rng, height, width).astype(np.float32)
    offsets = trajectory(count)
    # Centred horizontally over the whole path, near the bottom.
    start = np.array([(width - foreground_size[1] - offsets[-1, 0]) / 2,
                      height - foreground_size[0] - 8 - offsets[-1, 1]])
    frames, alphas = [], []
    for offset in offsets:
        shift = np.float32([[1, 0, start[0] + offset[0]],
                            [0, 1, start[1] + offset[1]]])
        moved = cv2.warpAffine(alpha, shift, (width, height),
                               flags=cv2.INTER_LINEAR)
        image = cv2.warpAffine(premultiplied, shift, (width, height),
                               flags=cv2.INTER_LINEAR)
        image += background * (1 - moved[..., None])
        image += rng.normal(0, noise, image.shape).astype(np.float32)
        frames.append(np.clip(np.round(image), 0, 255).astype(np.uint8))
        alphas.append(np.round(moved * 255).astype(np.uint8))
    return SyntheticClip(frames, alphas, offsets)


def clip_motion(clip: SyntheticClip) -> List[np.ndarray]:
    """The motion from each frame to the next, per pixel.

    Returns:
        list[np.ndarray]: ``float32`` (H, W, 2) (x, y) per pair of frames:
        the foreground's step where frame t shows it (alpha > 0), else 0
        (the background is still).
    """
    flows = []
    for t in range(len(clip.alphas) - 1):
        flow = np.zeros(clip.alphas[t].shape + (2, ), np.float32)
        flow[clip.alphas[t] > 0] = clip.offsets[t + 1] - clip.offsets[t]
        flows.append(flow)
    return flows
