"""Pure functions behind the matting transforms (numpy in, numpy out).

Nothing here draws random numbers or mutates its inputs: the transform classes
sample their random choices and pass them in, so each step can be tested on
its own against MMEditing 1.0.0rc7 for the same choices.

Conventions: images are (H, W, C) or (H, W) arrays; an alpha matte is a
single-channel ``uint8`` or float array with values in [0, 255] (as loaded by
``LoadImageFromFile(color_type='grayscale')``); a trimap uses 0 (background),
128 (unknown) and 255 (foreground) and has the shape of its alpha.
"""
from functools import lru_cache
from typing import Dict, Optional, Sequence, Tuple

import cv2
import numpy as np

#: Interpolation names accepted by the transforms (the ones of ``mmcv``).
INTERPOLATIONS = {
    'nearest': cv2.INTER_NEAREST,
    'bilinear': cv2.INTER_LINEAR,
    'bicubic': cv2.INTER_CUBIC,
    'area': cv2.INTER_AREA,
    'lanczos': cv2.INTER_LANCZOS4,
}

TRIMAP_VALUES = (0, 128, 255)


def alpha_2d(alpha: np.ndarray, key: str = 'alpha') -> np.ndarray:
    """Validate an alpha matte and return it as an (H, W) view.

    Args:
        alpha: Alpha matte of shape (H, W) or (H, W, 1), ``uint8`` or float
            with values in [0, 255].
        key: Name of the array, quoted in error messages.

    Returns:
        np.ndarray: The (H, W) view of ``alpha`` (no copy).

    Raises:
        ValueError: If ``alpha`` has several channels, an integer type other
            than ``uint8`` (e.g. a 16-bit PNG loaded unchanged) or float
            values outside [0, 255].
    """
    if not (alpha.ndim == 2 or (alpha.ndim == 3 and alpha.shape[2] == 1)):
        raise ValueError(
            f'"{key}" must be a single-channel (H, W) or (H, W, 1) array, '
            f'but got shape {alpha.shape}; load it with '
            "color_type='grayscale'")
    if np.issubdtype(alpha.dtype, np.floating):
        if alpha.size and (alpha.min() < 0 or alpha.max() > 255):
            raise ValueError(
                f'"{key}" must have values in [0, 255], but got values in '
                f'[{alpha.min()}, {alpha.max()}]')
    elif alpha.dtype != np.uint8:
        raise ValueError(
            f'"{key}" must be uint8 or float with values in [0, 255], but got '
            f'dtype {alpha.dtype} (a 16-bit PNG loaded with '
            "color_type='unchanged'? load it with color_type='grayscale')")
    return alpha.reshape(alpha.shape[:2])


def check_trimap(trimap: np.ndarray, key: str = 'trimap') -> None:
    """Check that a trimap only holds the values 0, 128 and 255.

    Args:
        trimap: Trimap of shape (H, W) or (H, W, 1).
        key: Name of the array, quoted in the error message.

    Raises:
        ValueError: If any other value occurs; the message lists a few.
    """
    invalid = (trimap != 0) & (trimap != 128) & (trimap != 255)
    if invalid.any():
        found = np.unique(trimap[invalid])[:5].tolist()
        raise ValueError(f'"{key}" must only contain the values '
                         f'{TRIMAP_VALUES}, but got also {found}')


def check_same_size(arrays: Dict[str, np.ndarray]) -> None:
    """Check that arrays share their height and width.

    Args:
        arrays: Arrays by key.

    Raises:
        ValueError: If the (H, W) differ; the message names every key with
            its shape.
    """
    sizes = {key: array.shape[:2] for key, array in arrays.items()}
    if len(set(sizes.values())) > 1:
        shapes = ', '.join(f'"{key}": {array.shape}'
                           for key, array in arrays.items())
        raise ValueError(f'keys must have the same height and width, but got '
                         f'{shapes}')


def unknown_mask(alpha: np.ndarray) -> np.ndarray:
    """Return where ``0 < alpha < 255``.

    Args:
        alpha: Alpha matte of shape (H, W).

    Returns:
        np.ndarray: ``uint8`` mask of shape (H, W), 255 at fractional alpha
        and 0 elsewhere.
    """
    if alpha.dtype == np.uint8:
        # one pass of cv2 instead of three numpy passes
        return cv2.inRange(alpha, 1, 254)
    return ((alpha > 0) & (alpha < 255)).astype(np.uint8) * 255


def trimap_by_distance(alpha: np.ndarray, dist_thr: float) -> np.ndarray:
    """Make a trimap whose unknown band is a distance threshold around the
    fractional alpha pixels.

    A pixel is unknown when its Euclidean distance to the nearest pixel with
    ``0 < alpha < 255`` is at most ``dist_thr``, exactly (MMEditing's
    ``GenerateTrimapWithDistTransform`` flips the pixels at distance exactly
    ``dist_thr`` from call to call with OpenCV's float noise); the other
    pixels are foreground where ``alpha == 255`` and background elsewhere.
    The exact
    distance transform only runs on the bounding box of the fractional pixels
    grown by ``dist_thr``, since every pixel outside is farther than
    ``dist_thr`` from all of them.

    Args:
        alpha: Alpha matte of shape (H, W) or (H, W, 1).
        dist_thr: Width of the unknown band in pixels, >= 0.

    Returns:
        np.ndarray: ``uint8`` trimap of the shape of ``alpha``.
    """
    alpha2d = alpha_2d(alpha)
    trimap = (alpha2d == 255).view(np.uint8) * np.uint8(255)
    unknown = unknown_mask(alpha2d)
    x, y, w, h = cv2.boundingRect(unknown)
    if w:
        margin = int(dist_thr) + 1
        top, left = max(y - margin, 0), max(x - margin, 0)
        bottom = min(y + h + margin, alpha2d.shape[0])
        right = min(x + w + margin, alpha2d.shape[1])
        known = cv2.bitwise_not(unknown[top:bottom, left:right])
        dist = cv2.distanceTransform(known, cv2.DIST_L2, cv2.DIST_MASK_PRECISE)
        # Distances are square roots of integers k, computed with float
        # noise that varies between calls (7 comes out as 7.0000005 or 7):
        # compare against the midpoint between the largest k within the
        # threshold and the next one, so that dist <= dist_thr holds exactly.
        limit = np.sqrt(np.floor(dist_thr * dist_thr) + 0.5)
        trimap[top:bottom, left:right][dist <= limit] = 128
    return trimap.reshape(alpha.shape)


@lru_cache(maxsize=None)
def ellipse_kernel(size: int) -> np.ndarray:
    """Elliptic structuring element of ``size`` x ``size`` (cached, do not
    modify it)."""
    return cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (size, size))


def trimap_by_morphology(alpha: np.ndarray,
                         erode_size: int,
                         dilate_size: int,
                         erode_iters: int = 1,
                         dilate_iters: int = 1) -> np.ndarray:
    """Make a trimap by eroding and dilating the alpha matte.

    Foreground is where the eroded alpha is 255, background where the dilated
    alpha is 0 (background wins where both hold), unknown elsewhere.

    Args:
        alpha: Alpha matte of shape (H, W) or (H, W, 1).
        erode_size: Diameter of the elliptic erosion kernel, >= 1.
        dilate_size: Diameter of the elliptic dilation kernel, >= 1.
        erode_iters: Number of erosions.
        dilate_iters: Number of dilations.

    Returns:
        np.ndarray: ``uint8`` trimap of the shape of ``alpha``.
    """
    alpha2d = alpha_2d(alpha)
    eroded = cv2.erode(
        alpha2d, ellipse_kernel(erode_size), iterations=erode_iters)
    dilated = cv2.dilate(
        alpha2d, ellipse_kernel(dilate_size), iterations=dilate_iters)
    trimap = np.full(alpha2d.shape, 128, dtype=np.uint8)
    trimap[eroded >= 255] = 255
    trimap[dilated <= 0] = 0
    return trimap.reshape(alpha.shape)


def resize(img: np.ndarray, size: Tuple[int, int],
           interpolation: str) -> np.ndarray:
    """Resize an image to ``size`` = (h, w), keeping a trailing channel axis
    of length 1 (which OpenCV drops)."""
    out = cv2.resize(
        img, (size[1], size[0]), interpolation=INTERPOLATIONS[interpolation])
    return out.reshape(size + img.shape[2:])


def size_covering_crop(size: Tuple[int, int],
                       crop_size: Tuple[int, int]) -> Tuple[int, int]:
    """Size to upscale an image of ``size`` = (h, w) to, so that it contains
    ``crop_size`` = (h, w) with its aspect ratio kept; ``size`` itself if it
    already does.

    Args:
        size: (h, w) of the image.
        crop_size: (h, w) of the crop.

    Returns:
        tuple[int, int]: The (h, w) to resize to.
    """
    (h, w), (crop_h, crop_w) = size, crop_size
    ratio = max(crop_h / h, crop_w / w)
    if ratio <= 1:
        return size
    # int() truncates, so clamp to the crop for the side that set the ratio
    return max(int(h * ratio), crop_h), max(int(w * ratio), crop_w)


def centre_candidates(
        unknown: np.ndarray,
        crop_size: Tuple[int, int]) -> Tuple[Optional[np.ndarray], int, int]:
    """Pixels a crop of ``crop_size`` may be centred on.

    These are the unknown pixels at least half a crop from the border, or if
    there are none all unknown pixels, or if there are none no pixel.

    Args:
        unknown: Mask of shape (H, W), nonzero at unknown pixels.
        crop_size: (h, w) of the crop.

    Returns:
        tuple: The candidate mask (a view of ``unknown``, or None when there
        is no unknown pixel) and the (row, column) offset of that view in
        ``unknown``.
    """
    h, w = unknown.shape
    half_h, half_w = crop_size[0] // 2, crop_size[1] // 2
    inner = unknown[half_h:h - half_h, half_w:w - half_w]
    if cv2.countNonZero(inner):
        return inner, half_h, half_w
    if cv2.countNonZero(unknown):
        return unknown, 0, 0
    return None, 0, 0


def nth_nonzero(mask: np.ndarray, index: int) -> Tuple[int, int]:
    """(row, column) of the ``index``-th nonzero pixel of ``mask`` in
    row-major order, i.e. ``np.nonzero(mask)[:, index]`` without listing all
    of them."""
    cumulative = np.cumsum(np.count_nonzero(mask, axis=1))
    row = int(np.searchsorted(cumulative, index, side='right'))
    before = cumulative[row - 1] if row else 0
    col = int(np.flatnonzero(mask[row])[index - before])
    return row, col


def crop_top_left(centre: Tuple[int, int], crop_size: Tuple[int, int],
                  size: Tuple[int, int]) -> Tuple[int, int]:
    """Top-left corner of a crop of ``crop_size`` centred on ``centre`` and
    moved inside an image of ``size`` (all (h, w) / (row, column))."""
    top = min(max(centre[0] - crop_size[0] // 2, 0), size[0] - crop_size[0])
    left = min(max(centre[1] - crop_size[1] // 2, 0), size[1] - crop_size[1])
    return top, left


def composite_foregrounds(fg: np.ndarray, alpha: np.ndarray, fg2: np.ndarray,
                          alpha2: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
    """Put foreground ``fg`` in front of foreground ``fg2``.

    ``fg' = a1 * fg + (1 - a1) * fg2`` and ``a' = 1 - (1 - a1) * (1 - a2)``
    (two 50 % layers give 75 %). When ``a'`` would be opaque everywhere the
    pair is returned unchanged, since such a sample has nothing to matte.

    Args:
        fg: Foreground of shape (H, W, C).
        alpha: Alpha of ``fg``, (H, W, 1) or (H, W), in [0, 255].
        fg2: Second foreground of shape (H, W, C).
        alpha2: Alpha of ``fg2``, (H, W), in [0, 255].

    Returns:
        tuple[np.ndarray, np.ndarray]: The float64 foreground (H, W, C) and
        alpha in [0, 255] of the shape of ``alpha``.
    """
    a1 = alpha_2d(alpha)[..., None] / 255.0
    a2 = alpha_2d(alpha2, 'alpha2')[..., None] / 255.0
    combined = 1 - (1 - a1) * (1 - a2)
    if np.any(combined < 1):
        fg, a1 = fg * a1 + fg2 * (1 - a1), combined
    return fg, (a1 * 255).reshape(alpha.shape)


def merge(fg: np.ndarray, bg: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    """Composite ``alpha * fg + (1 - alpha) * bg`` in float32.

    Args:
        fg: Foreground of shape (H, W, C).
        bg: Background of shape (H, W, C).
        alpha: Alpha of shape (H, W, 1) or (H, W), in [0, 255].

    Returns:
        np.ndarray: The float32 merged image (H, W, C).
    """
    a = alpha_2d(alpha)[..., None].astype(np.float32) / 255.
    return fg * a + (1. - a) * bg


def add_noise(img: np.ndarray, noise: np.ndarray) -> np.ndarray:
    """Add ``noise`` to ``img`` and clip to [0, 255] (float result)."""
    return np.clip(img.astype(np.float32) + noise, 0, 255)


def adjust_gamma(img: np.ndarray, gamma: float) -> np.ndarray:
    """Gamma-correct an image with values in [0, 255]:
    ``255 * (img / 255) ** gamma``, in the dtype of ``img``.

    Args:
        img: Image, ``uint8`` or float in [0, 255].
        gamma: Non-negative exponent.

    Returns:
        np.ndarray: The corrected image.
    """
    if img.dtype == np.uint8:
        # 256 evaluations through a lookup table instead of one per pixel
        table = ((np.arange(256) / 255.0)**gamma) * 255.0
        return cv2.LUT(img, table.astype(np.uint8)).reshape(img.shape)
    return (((img / 255.0)**gamma) * 255.0).astype(img.dtype)


def select_keys(results: dict, keys: Sequence[str]) -> Dict[str, np.ndarray]:
    """The arrays of ``results`` under ``keys``.

    Raises:
        KeyError: If a key is missing; the message names it and the keys
            present.
    """
    missing = [key for key in keys if key not in results]
    if missing:
        raise KeyError(f'missing keys {missing}; present are {list(results)}')
    return {key: results[key] for key in keys}
