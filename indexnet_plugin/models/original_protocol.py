"""The test-time protocol of the IndexNet authors' ``scripts/demo.py``.

``poppinace/indexnet_matting`` evaluates its model (the paper's row, SAD 45.8)
differently from mmedit's ``interp`` and ``pad`` modes, and the alphas differ
by far more than float noise (90/255 on average on a 300x340 crop). Its
``inference()``:

1. stacks the RGB image and the trimap and normalises all four channels as
   ``(x * (1/255) - mean) / std`` (float32 scaling, float64 arithmetic, cast
   to float32), with mean 0 and std 1 for the trimap channel;
2. resizes **up** to ``ceil(H/32)*32 x ceil(W/32)*32`` with OpenCV,
   ``INTER_CUBIC`` for the image channels and ``INTER_NEAREST`` for the trimap;
3. resizes the network output back with OpenCV ``INTER_CUBIC``, clips it to
   [0, 1] and multiplies by 255;
4. gives every pixel whose trimap is not 128 the trimap's value (also values
   other than 0 and 255);
5. **truncates** to uint8 (``astype(np.uint8)``), it does not round.

These functions are that protocol, numpy in and numpy out, shared by the
mattor (``test_cfg=dict(protocol='original', ...)``, ``mim test``) and the
predictor (``init_predictor``, ``indexnet-predict``, ONNX).
"""
import math
from typing import Sequence, Tuple

import cv2
import numpy as np

PROTOCOL = 'original'
UNKNOWN = 128


def network_size(height: int, width: int,
                 size_divisor: int) -> Tuple[int, int]:
    """The (H', W') the image is resized up to: the next multiples."""
    return (math.ceil(height / size_divisor) * size_divisor,
            math.ceil(width / size_divisor) * size_divisor)


def normalise(image: np.ndarray, trimap: np.ndarray, mean: Sequence[float],
              std: Sequence[float]) -> np.ndarray:
    """Stack and normalise an image and its trimap as the authors do.

    Args:
        image: RGB uint8 image (H, W, 3).
        trimap: uint8 trimap (H, W).
        mean: Per-channel mean of the image in 0-255 units (as mmedit's data
            preprocessor takes it, e.g. 123.675 for the authors' 0.485).
        std: Per-channel standard deviation in 0-255 units.

    Returns:
        np.ndarray: float32 (H, W, 4), the image channels normalised, the
        trimap channel divided by 255.
    """
    stacked = np.concatenate((image, trimap[..., None]), axis=2)
    scaled = stacked.astype(np.float32) * np.float32(1 / 255)
    mean = np.array([*(m / 255 for m in mean), 0.0])
    std = np.array([*(s / 255 for s in std), 1.0])
    return ((scaled - mean) / std).astype(np.float32)


def upsample_input(inputs: np.ndarray, size_divisor: int) -> np.ndarray:
    """Resize a normalised (H, W, 4) input up to multiples of the divisor.

    Args:
        inputs: float32 (H, W, 4), image channels then the trimap channel.
        size_divisor: The network's stride (32).

    Returns:
        np.ndarray: float32 (H', W', 4), image channels by OpenCV cubic and
        the trimap channel by nearest-neighbour interpolation.
    """
    height, width = network_size(*inputs.shape[:2], size_divisor)
    image = cv2.resize(inputs[..., :3], (width, height),
                       interpolation=cv2.INTER_CUBIC)
    trimap = cv2.resize(inputs[..., 3], (width, height),
                        interpolation=cv2.INTER_NEAREST)
    return np.concatenate((image, trimap[..., None]), axis=2)


def restore_alpha(prediction: np.ndarray, trimap: np.ndarray) -> np.ndarray:
    """The network output back at the image's size, trimap written back.

    Args:
        prediction: float32 raw network output (H', W').
        trimap: The raw trimap (H, W), uint8 or integer-valued.

    Returns:
        np.ndarray: float32 alpha (H, W) in [0, 1]; where the trimap is not
        128 it is the trimap's value / 255.
    """
    height, width = trimap.shape
    alpha = cv2.resize(prediction, (width, height),
                       interpolation=cv2.INTER_CUBIC)
    alpha = np.clip(alpha, 0, 1)
    # v / 255 * 255 gives back exactly v in float32 for every v in 0..255, so
    # quantise() writes the trimap's own levels.
    known = trimap != UNKNOWN
    alpha[known] = trimap[known].astype(np.float32) / np.float32(255)
    return alpha


def quantise(alpha: np.ndarray) -> np.ndarray:
    """Levels of a [0, 1] alpha, truncated (not rounded) as the authors do.

    Args:
        alpha: float32 alpha (H, W) in [0, 1].

    Returns:
        np.ndarray: uint8 (H, W), ``floor(alpha * 255)`` in float32.
    """
    return (alpha.astype(np.float32) * np.float32(255)).astype(np.uint8)
