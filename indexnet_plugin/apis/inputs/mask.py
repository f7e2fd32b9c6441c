"""Trimaps made from segmentation masks (binary or soft).

A mask from a segmentation model or a selection tool says where the object
is, but not where its outline is semi-transparent. :func:`mask_to_trimap`
turns it into a trimap by this rule:

1. The mask is read as coverage in [0, 1]: ``uint8`` / 255, ``uint16`` /
   65535, ``bool``, or floats already in [0, 1].
2. Threshold: the object is where the coverage is at least
   :data:`THRESHOLD` (0.5).
3. Band: every pixel within ``unknown_width`` pixels (Euclidean distance) of
   the object's outline, inside or outside, is unknown -- a band
   ``2 * unknown_width`` pixels wide. By default the width is
   :data:`UNKNOWN_WIDTH_FRACTION` of the object's size (the square root of
   its area), at least :data:`MIN_UNKNOWN_WIDTH` pixels: a segmentation
   mask misses hair and fuzzy edges by a margin that grows with the object.
4. Soft masks: pixels whose coverage is strictly between
   :data:`SOFT_LOW` and :data:`SOFT_HIGH` are unknown too, wherever they
   are (the mask itself is unsure there). These bounds leave the few levels
   of JPEG noise near 0 and 255 to the threshold.
5. The rest is foreground (255) or background (0).

A mask without object or without background cannot be made a trimap and is
refused, as is a mask of another size than its image; every message names
the file (or ``mask array``), like :mod:`.images`'s.
"""
from pathlib import Path
from typing import Optional, Tuple

import cv2
import numpy as np

from .images import (ArrayOrPath, MattingInputError, check_same_size,
                     decode_file, describe_source, grey_channel, load_image)
from .trimap import BACKGROUND, FOREGROUND, UNKNOWN

THRESHOLD = 0.5
UNKNOWN_WIDTH_FRACTION = 0.05
MIN_UNKNOWN_WIDTH = 3
SOFT_LOW, SOFT_HIGH = 0.05, 0.95


def mask_coverage(array: np.ndarray,
                  name: str = 'mask array') -> np.ndarray:
    """Read a mask's coverage, whatever it shows (a frame of a mask clip
    may show no object).

    Args:
        array: Mask of shape (H, W) or (H, W, C) with equal colour channels;
            ``bool``, ``uint8``, ``uint16`` or floats in [0, 1].
        name: How error messages refer to the mask.

    Returns:
        np.ndarray: ``float32`` coverage in [0, 1], shape (H, W).

    Raises:
        MattingInputError: Unsupported shape or pixel type, coloured pixels,
            floats outside [0, 1], an empty array.
    """
    array = grey_channel(array, name, 'mask', 'a grayscale mask')
    if array.dtype == np.bool_:
        coverage = array.astype(np.float32)
    elif array.dtype in (np.uint8, np.uint16):
        coverage = array.astype(np.float32) / np.iinfo(array.dtype).max
    elif array.dtype in (np.float32, np.float64):
        if array.size and not (array.min() >= 0 and array.max() <= 1):
            raise MattingInputError(
                f'{name}: float values must be in [0, 1], got '
                f'[{array.min():g}, {array.max():g}]')
        coverage = array.astype(np.float32)
    else:
        raise MattingInputError(
            f'{name}: unsupported pixel type {array.dtype}, expected bool, '
            '8- or 16-bit unsigned integers or floats in [0, 1]')
    if coverage.size == 0:
        raise MattingInputError(f'{name}: mask is empty ({array.shape})')
    return coverage


def as_mask(array: np.ndarray, name: str = 'mask array') -> np.ndarray:
    """Validate a mask and return its coverage.

    Args:
        array: See :func:`mask_coverage`.
        name: How error messages refer to the mask.

    Returns:
        np.ndarray: ``float32`` coverage in [0, 1], shape (H, W).

    Raises:
        MattingInputError: Unsupported shape or pixel type, coloured pixels,
            floats outside [0, 1], no object or no background.
    """
    coverage = mask_coverage(array, name)
    inside = coverage >= THRESHOLD
    if not inside.any():
        raise MattingInputError(
            f'{name}: no object (every pixel is below {THRESHOLD:g} of full '
            'coverage), expected an object and background')
    if inside.all():
        raise MattingInputError(
            f'{name}: no background (every pixel is at least {THRESHOLD:g} '
            'of full coverage), expected an object and background')
    return coverage


def load_mask(mask: ArrayOrPath) -> np.ndarray:
    """Read (if a path) and validate a mask, see :func:`as_mask`."""
    if isinstance(mask, (str, Path)):
        return as_mask(decode_file(mask, 'mask'), f"mask '{mask}'")
    return as_mask(mask)


def check_unknown_width(unknown_width: Optional[int]) -> None:
    """Refuse a band width that is not ``None`` or a positive int."""
    if unknown_width is not None and not (isinstance(unknown_width,
                                                     (int, np.integer)) and
                                          not isinstance(unknown_width, bool)
                                          and unknown_width >= 1):
        raise ValueError('unknown_width must be a positive int (pixels) or '
                         f'None, got {unknown_width!r}')


def default_unknown_width(inside: np.ndarray) -> int:
    """Band width for an object mask: a fraction of its size, see above."""
    size = np.sqrt(np.count_nonzero(inside))
    return max(MIN_UNKNOWN_WIDTH, round(UNKNOWN_WIDTH_FRACTION * size))


def mask_to_trimap(coverage: np.ndarray,
                   unknown_width: Optional[int] = None) -> np.ndarray:
    """Make a trimap from a mask's coverage by the rule of this module.

    Args:
        coverage: ``float32`` (H, W) in [0, 1], see :func:`as_mask`.
        unknown_width: Pixels on each side of the outline that become
            unknown; ``None`` for :func:`default_unknown_width`.

    Returns:
        np.ndarray: ``uint8`` trimap (H, W) with 0, 128 and 255.

    Raises:
        ValueError: ``unknown_width`` is not ``None`` or a positive int.
    """
    check_unknown_width(unknown_width)
    inside = (coverage >= THRESHOLD).astype(np.uint8)
    if unknown_width is None:
        unknown_width = default_unknown_width(inside)
    # Distance of each pixel to the nearest pixel of the other side.
    to_outside = cv2.distanceTransform(inside, cv2.DIST_L2,
                                       cv2.DIST_MASK_PRECISE)
    to_inside = cv2.distanceTransform(1 - inside, cv2.DIST_L2,
                                      cv2.DIST_MASK_PRECISE)
    trimap = np.where(inside > 0, FOREGROUND, BACKGROUND).astype(np.uint8)
    distance = np.where(inside > 0, to_outside, to_inside)
    # Squared distances between pixels are integers: comparing with
    # width^2 + 1/2 keeps OpenCV's float noise from flipping pixels at
    # exactly the band's width.
    band = distance * distance <= unknown_width * unknown_width + 0.5
    unsure = (coverage > SOFT_LOW) & (coverage < SOFT_HIGH)
    trimap[band | unsure] = UNKNOWN
    return trimap


def load_mask_pair(
        image: ArrayOrPath,
        mask: ArrayOrPath,
        unknown_width: Optional[int] = None) -> Tuple[np.ndarray, np.ndarray]:
    """Load an image and its mask, and make the trimap.

    Args:
        image: Image path or array, see :func:`.images.as_image`.
        mask: Mask path or array, see :func:`as_mask`.
        unknown_width: See :func:`mask_to_trimap`.

    Returns:
        tuple[np.ndarray, np.ndarray]: BGR image (H, W, 3) and trimap (H, W),
        both ``uint8``.

    Raises:
        MattingInputError: Either input is invalid, or their sizes differ.
        ValueError: Invalid ``unknown_width``.
    """
    check_unknown_width(unknown_width)
    image_array = load_image(image)
    coverage = load_mask(mask)
    check_same_size(coverage.shape, describe_source(mask, 'mask'),
                    image_array.shape[:2], describe_source(image, 'image'))
    return image_array, mask_to_trimap(coverage, unknown_width)
