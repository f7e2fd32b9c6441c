"""Foreground colours of a matted image, for cut-outs that composite cleanly.

In semi-transparent pixels (hair, fur, motion blur, glass) an image's colour
``I`` mixes the foreground ``F`` and the old background ``B``:
``I = alpha F + (1 - alpha) B``. A cut-out that keeps ``I`` drags a fringe of
the old background onto every new one. :func:`estimate_foreground` recovers
``F`` with the multi-level method of Germer et al., "Fast Multi-Level
Foreground Estimation" (ICPR 2020), implemented here with numpy and OpenCV:

* cost: ``sum_i |alpha_i F_i + (1 - alpha_i) B_i - I_i|^2`` plus, for every
  pair of 4-neighbours ``i, j``, ``(regularization + gradient_weight *
  |alpha_i - alpha_j|) (|F_i - F_j|^2 + |B_i - B_j|^2)``: colours are smooth
  except across alpha edges;
* coarse to fine: the image and alpha are resized (nearest neighbour) to a
  pyramid of sizes halving down to 2 pixels; the coarsest level starts from
  the mean colour, every finer one from the coarser solution (nearest
  neighbour); each level runs a few red-black Gauss-Seidel sweeps, each
  pixel solving its 2x2 system for ``(F_i, B_i)`` per channel with its
  neighbours fixed;
* only pixels whose alpha is fractional or differs from a 4-neighbour's are
  solved: elsewhere the solution is known (``F = I`` where alpha is 1,
  ``B = I`` where it is 0) or only smoothed, so the work follows the
  semi-transparent region, not the image size.

On held-out synthetic composites with known foreground this reaches the
error of pymatting's ``estimate_foreground_ml`` of the same method (see
``bench/bench_foreground.py``).
"""
import math
from typing import List, NamedTuple, Tuple

import cv2
import numpy as np

# Levels with both sides at most COARSE_SIZE pixels are cheap and decide the
# colours far from the object: they get more sweeps.
COARSE_SIZE = 32
COARSE_ITERATIONS = 10
FINE_ITERATIONS = 3
REGULARIZATION = 1e-5
GRADIENT_WEIGHT = 1.0

_CROSS = cv2.getStructuringElement(cv2.MORPH_CROSS, (3, 3))


def _check(image: np.ndarray, alpha: np.ndarray) -> None:
    """Refuse anything but a BGR uint8 image and a uint8 alpha of its size."""
    if not (isinstance(image, np.ndarray) and image.dtype == np.uint8
            and image.ndim == 3 and image.shape[2] == 3):
        raise ValueError('image must be a uint8 array of shape (H, W, 3), '
                         f'got {_describe(image)}')
    if not (isinstance(alpha, np.ndarray) and alpha.dtype == np.uint8
            and alpha.shape == image.shape[:2]):
        raise ValueError(f'alpha must be a uint8 array of shape '
                         f'{image.shape[:2]}, got {_describe(alpha)}')


def _describe(array) -> str:
    if isinstance(array, np.ndarray):
        return f'{array.dtype} {array.shape}'
    return type(array).__name__


def level_sizes(height: int, width: int) -> List[Tuple[int, int]]:
    """Pyramid sizes, coarse to fine: sides halved (rounded up) down to the
    first level of at least 2 pixels, then the full size."""
    count = math.ceil(math.log2(max(height, width)))
    sizes = [(math.ceil(height / 2**k), math.ceil(width / 2**k))
             for k in range(count, -1, -1)]
    return [size for size in sizes if size[0] * size[1] > 1]


class _Half(NamedTuple):
    """The per-pixel 2x2 systems of one checkerboard colour of a level.

    Per pixel and channel: ``[[f_diagonal, off_diagonal], [off_diagonal,
    b_diagonal]] (F, B) = (f_image + sum w F_j, b_image + sum w B_j)``.
    """
    pixel: np.ndarray  # (M, ) flat indices
    neighbours: np.ndarray  # (4, M) flat indices
    weights: np.ndarray  # (4, M, 1)
    f_diagonal: np.ndarray  # (M, 1)
    b_diagonal: np.ndarray  # (M, 1)
    off_diagonal: np.ndarray  # (M, 1)
    determinant: np.ndarray  # (M, 1)
    f_image: np.ndarray  # (M, 3)
    b_image: np.ndarray  # (M, 3)


def _half(y: np.ndarray, x: np.ndarray, width: int, height: int,
          flat_image: np.ndarray, flat_alpha: np.ndarray) -> _Half:
    """The fixed terms of the pixels at rows ``y``, columns ``x`` (one
    colour of the checkerboard)."""
    pixel = y * width + x
    # Up, down, left, right; a missing neighbour points at the pixel itself
    # with weight 0.
    neighbours = np.stack([
        np.where(y > 0, pixel - width, pixel),
        np.where(y < height - 1, pixel + width, pixel),
        np.where(x > 0, pixel - 1, pixel),
        np.where(x < width - 1, pixel + 1, pixel)
    ])
    weights = (
        REGULARIZATION +
        GRADIENT_WEIGHT * np.abs(flat_alpha[neighbours] - flat_alpha[pixel]))
    weights *= neighbours != pixel
    a = flat_alpha[pixel][:, None]
    total = weights.sum(0)[:, None]
    # The determinant is written without the a^2 (1 - a)^2 terms that
    # cancel, so it stays accurate in float32 when total is tiny.
    return _Half(
        pixel=pixel,
        neighbours=neighbours,
        weights=weights[..., None],
        f_diagonal=a * a + total,
        b_diagonal=(1 - a)**2 + total,
        off_diagonal=a * (1 - a),
        determinant=total * (a * a + (1 - a)**2 + total),
        f_image=a * flat_image[pixel],
        b_image=(1 - a) * flat_image[pixel])


def _solve_level(image: np.ndarray, alpha: np.ndarray, fg: np.ndarray,
                 bg: np.ndarray, iterations: int) -> None:
    """Red-black Gauss-Seidel sweeps on one level, in place.

    Args:
        image: float32 (H, W, 3) in [0, 1].
        alpha: float32 (H, W) in [0, 1].
        fg: float32 (H, W, 3) foreground, updated in place.
        bg: float32 (H, W, 3) background, updated in place.
        iterations: Sweeps, each over both checkerboard colours.
    """
    height, width = alpha.shape
    opaque, clear = alpha == 1, alpha == 0
    fg[opaque] = image[opaque]
    bg[clear] = image[clear]
    edge = cv2.dilate(alpha, _CROSS) != cv2.erode(alpha, _CROSS)
    rows, cols = np.nonzero(~(opaque | clear) | edge)
    flat_image, flat_alpha = image.reshape(-1, 3), alpha.reshape(-1)
    flat_fg, flat_bg = fg.reshape(-1, 3), bg.reshape(-1, 3)
    # Pixels of one colour of the checkerboard only have neighbours of the
    # other, so each half is updated at once with the latest values.
    halves = [
        _half(rows[chosen], cols[chosen], width, height, flat_image,
              flat_alpha)
        for chosen in ((rows + cols) % 2 == parity for parity in (0, 1))
    ]
    for _ in range(iterations):
        for h in halves:
            f_rhs = h.f_image + (h.weights * flat_fg[h.neighbours]).sum(0)
            b_rhs = h.b_image + (h.weights * flat_bg[h.neighbours]).sum(0)
            flat_fg[h.pixel] = np.clip(
                (h.b_diagonal * f_rhs - h.off_diagonal * b_rhs) /
                h.determinant, 0, 1)
            flat_bg[h.pixel] = np.clip(
                (h.f_diagonal * b_rhs - h.off_diagonal * f_rhs) /
                h.determinant, 0, 1)


def estimate_foreground(image: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    """Estimate the foreground colours of an image given its alpha matte.

    Multi-level foreground estimation (Germer et al. 2020), see the module
    docstring. Where alpha is 255 the result is the image; where alpha is 0
    it is a smooth extension of the foreground colours nearby.

    Args:
        image: BGR ``uint8`` image (H, W, 3).
        alpha: ``uint8`` alpha matte (H, W), 255 opaque.

    Returns:
        np.ndarray: BGR ``uint8`` foreground (H, W, 3).

    Raises:
        ValueError: Inputs of another type or shape.
    """
    _check(image, alpha)
    full_image = image.astype(np.float32) / 255
    full_alpha = alpha.astype(np.float32) / 255
    height, width = alpha.shape
    fg = bg = None
    for size in level_sizes(height, width):
        dsize = size[::-1]
        level_image = cv2.resize(
            full_image, dsize,
            interpolation=cv2.INTER_NEAREST).reshape(size + (3, ))
        level_alpha = cv2.resize(
            full_alpha, dsize, interpolation=cv2.INTER_NEAREST)
        if fg is None:
            fg = np.empty_like(level_image)
            fg[:] = level_image.mean((0, 1))
            bg = fg.copy()
        else:
            fg = cv2.resize(
                fg, dsize,
                interpolation=cv2.INTER_NEAREST).reshape(size + (3, ))
            bg = cv2.resize(
                bg, dsize,
                interpolation=cv2.INTER_NEAREST).reshape(size + (3, ))
        iterations = (
            COARSE_ITERATIONS if max(size) <= COARSE_SIZE else FINE_ITERATIONS)
        _solve_level(level_image, level_alpha, fg, bg, iterations)
    foreground = np.round(fg * 255).astype(np.uint8)
    # The smoothness term pulls opaque pixels next to an alpha edge towards
    # their neighbours; their colour is known exactly.
    opaque = alpha == 255
    foreground[opaque] = image[opaque]
    return foreground


def foreground_error(colours: np.ndarray, foreground: np.ndarray,
                     alpha: np.ndarray) -> float:
    """Alpha-weighted colour error over the semi-transparent region.

    ``sum alpha_i |colours_i - foreground_i|_1 / 255`` over the pixels with
    0 < alpha < 255: what a cut-out with these colours adds to a composite
    compared to the true foreground, summed over the pixels where the old
    background shows through.

    Args:
        colours: BGR ``uint8`` colours of the cut-out (H, W, 3), e.g. the
            image itself or :func:`estimate_foreground`'s result.
        foreground: BGR ``uint8`` true foreground (H, W, 3).
        alpha: ``uint8`` alpha (H, W).

    Returns:
        float: The error (0 for the true foreground).
    """
    partial = (alpha > 0) & (alpha < 255)
    difference = np.abs(colours[partial].astype(np.float32) -
                        foreground[partial]).sum(1)
    return float((alpha[partial] / 255 * difference).sum() / 255)
