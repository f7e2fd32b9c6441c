"""Synthetic matting samples for the transform tests (tiny, seeded).

A module of its own (not conftest) so that the tests can import it.
"""
import os
import os.path as osp

import cv2
import numpy as np

ALPHA_KINDS = ('blob', 'noise', 'binary', 'zeros', 'ones')


def make_alpha(h: int, w: int, seed: int, kind: str = 'blob') -> np.ndarray:
    """A (h, w, 1) uint8 alpha matte of the given kind.

    "blob" is an ellipse with a soft, noisy border (like a real matte),
    "noise" saturates random values so that 0 and 255 are frequent,
    "binary" has no fractional pixel, "zeros"/"ones" are constant.
    """
    rng = np.random.default_rng(seed)
    if kind == 'zeros':
        alpha = np.zeros((h, w))
    elif kind == 'ones':
        alpha = np.full((h, w), 255.)
    elif kind == 'noise':
        alpha = np.clip(rng.normal(128, 200, (h, w)), 0, 255)
    else:
        yy, xx = np.mgrid[:h, :w]
        cy, cx = rng.uniform(0, h), rng.uniform(0, w)
        ry, rx = rng.uniform(0.2, 0.6) * h + 1, rng.uniform(0.2, 0.6) * w + 1
        dist = np.sqrt(((yy - cy) / ry)**2 + ((xx - cx) / rx)**2)
        alpha = np.clip((1 - dist) * rng.uniform(2, 10) * 255, 0, 255)
        if kind == 'binary':
            alpha = np.where(alpha > 127, 255., 0.)
        else:
            edge = (dist > 0.7) & (dist < 1.3)
            alpha = np.clip(alpha + edge * rng.normal(0, 40, (h, w)), 0, 255)
    return np.round(alpha).astype(np.uint8)[..., None]


def composite(alpha: np.ndarray, fg: np.ndarray, bg: np.ndarray) -> np.ndarray:
    """alpha * fg + (1 - alpha) * bg in float64, alpha in [0, 255]."""
    a = alpha.astype(np.float64) / 255
    return a * fg + (1 - a) * bg


def make_sample(h: int, w: int, seed: int, kind: str = 'blob') -> dict:
    """alpha, fg, bg and merged (rounded composite) arrays of size h x w."""
    rng = np.random.default_rng(seed + 1)
    alpha = make_alpha(h, w, seed, kind)
    fg = rng.integers(0, 256, (h, w, 3), dtype=np.uint8)
    bg = rng.integers(0, 256, (h, w, 3), dtype=np.uint8)
    merged = np.round(composite(alpha, fg, bg)).astype(np.uint8)
    return dict(alpha=alpha, fg=fg, bg=bg, merged=merged)


def write_comp1k(root: str, name: str, h: int, w: int, seed: int) -> dict:
    """Write one sample in the Comp-1k layout; return the path dict a
    dataset gives the pipeline."""
    sample = make_sample(h, w, seed)
    dirs = dict(
        alpha='Training_set/Adobe-licensed images/alpha',
        fg='Training_set/Adobe-licensed images/fg',
        bg='Training_set/bg',
        merged='Training_set/merged')
    info = {}
    for key, sub in dirs.items():
        path = osp.join(root, sub, f'{name}.png')
        os.makedirs(osp.dirname(path), exist_ok=True)
        assert cv2.imwrite(path, sample[key])
        info[f'{key}_path'] = path
    return info
