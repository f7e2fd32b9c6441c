"""Compositing one Composition-1k foreground onto its backgrounds, as DIM
does: the pure maths (:func:`fit_background`, :func:`composite`) and
:func:`run_job`, the unit of :func:`~.prepare.prepare_comp1k`'s parallel
work. Images are decoded and encoded with PIL, as DIM's own code does, so
the composites match the published test set.
"""
import io
import math
import os.path as osp
from typing import List, NamedTuple, Optional, Tuple

import numpy as np
from PIL import Image

from ...fileio import write_atomically

# PNG zlib level of the outputs: the real set is ~45k large images; level 3
# encodes ~1.5x faster than PIL's default 6 for ~10% more bytes.
PNG_COMPRESS_LEVEL = 3


class Problem(NamedTuple):
    """An input the preparation could not use.

    Args:
        path: The offending file or folder.
        reason: What is wrong with it, e.g. ``'missing'``.
    """
    path: str
    reason: str

    def __str__(self) -> str:
        return f'{self.path}: {self.reason}'


class Composite(NamedTuple):
    """One background of a foreground: source and the two outputs."""
    bg_source: str
    bg_out: str
    merged_out: str


class ForegroundJob(NamedTuple):
    """All composites of one foreground; the unit of parallel work, so the
    foreground and alpha are decoded once for their N backgrounds."""
    fg_path: str
    alpha_path: str
    composites: Tuple[Composite, ...]


# ---------------------------------------------------------------- pure maths
def fit_background(bg: np.ndarray, height: int, width: int) -> np.ndarray:
    """Resize a background to cover a foreground and crop it, as DIM does.

    The background is upscaled with PIL bicubic by the larger of the two
    side ratios when it is smaller than the foreground in either side (never
    downscaled), then its top-left ``height x width`` window is kept. PIL,
    not OpenCV, because its bicubic kernel is the one the published
    Composition-1k test images were made with.

    Args:
        bg: Background, (H, W, 3) uint8 RGB.
        height: Foreground height.
        width: Foreground width.

    Returns:
        np.ndarray: (height, width, 3) uint8 RGB.
    """
    bg_h, bg_w = bg.shape[:2]
    ratio = max(width / bg_w, height / bg_h)
    image = Image.fromarray(bg)
    if ratio > 1:
        image = image.resize(
            (math.ceil(bg_w * ratio), math.ceil(bg_h * ratio)), Image.BICUBIC)
    return np.asarray(image)[:height, :width]


def composite(fg: np.ndarray, bg: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    """Alpha-blend a foreground over a background: ``a * fg + (1 - a) * bg``.

    The result is truncated (not rounded) to uint8 like DIM's and mmedit's
    composition code, so the merged images match the published test set.

    Args:
        fg: Foreground, (H, W, 3) uint8.
        bg: Background, (H, W, 3) uint8, same size.
        alpha: Matte, (H, W) uint8, 255 is opaque foreground.

    Returns:
        np.ndarray: (H, W, 3) uint8.
    """
    weight = alpha[..., None] / 255.
    return (fg * weight + bg * (1. - weight)).astype(np.uint8)


# ------------------------------------------------------------------- file io
def _read_image(path: str, mode: str) -> np.ndarray:
    """Decode an image with PIL (as DIM does) into a uint8 array of ``mode``.

    Raises:
        FileNotFoundError: The file does not exist.
        OSError: PIL cannot decode it (truncated, not an image ...).
    """
    with Image.open(path) as image:
        return np.asarray(image.convert(mode))


def _write_png(path: str, array: np.ndarray) -> None:
    """Write a PNG encoded by PIL (as DIM's composition code does),
    atomically."""
    buffer = io.BytesIO()
    Image.fromarray(array).save(
        buffer, format='PNG', compress_level=PNG_COMPRESS_LEVEL)
    write_atomically(buffer.getvalue(), path)


def _try_read(path: str, mode: str,
              problems: List[Problem]) -> Optional[np.ndarray]:
    """Read an image, or record why it cannot be read and return None."""
    try:
        return _read_image(path, mode)
    except FileNotFoundError:
        problems.append(Problem(path, 'missing'))
    except (OSError, ValueError) as error:
        problems.append(Problem(path, f'unreadable ({error})'))
    return None


def run_job(job: ForegroundJob) -> Tuple[int, int, int, List[Problem]]:
    """Write the missing composites of one foreground.

    Returns:
        tuple: Composites handled (all of the job), written, skipped, and
        the problems met.
    """
    todo = [
        c for c in job.composites
        if not (osp.exists(c.bg_out) and osp.exists(c.merged_out))
    ]
    handled, skipped = len(job.composites), len(job.composites) - len(todo)
    if not todo:
        return handled, 0, skipped, []
    problems = []
    fg = _try_read(job.fg_path, 'RGB', problems)
    alpha = _try_read(job.alpha_path, 'L', problems)
    if fg is not None and alpha is not None and fg.shape[:2] != alpha.shape:
        problems.append(
            Problem(
                job.alpha_path, f'alpha is {alpha.shape[1]}x{alpha.shape[0]} '
                f'(width x height) but its foreground {job.fg_path} is '
                f'{fg.shape[1]}x{fg.shape[0]}'))
    if problems:
        return handled, 0, skipped, problems
    written = 0
    for item in todo:
        bg_source = _try_read(item.bg_source, 'RGB', problems)
        if bg_source is None:
            continue
        bg = fit_background(bg_source, *alpha.shape)
        # bg before merged: the skip test needs both, so a run killed in
        # between redoes the pair.
        _write_png(item.bg_out, bg)
        _write_png(item.merged_out, composite(fg, bg, alpha))
        written += 1
    return handled, written, skipped, problems
