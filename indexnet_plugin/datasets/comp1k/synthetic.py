"""A small synthetic dataset in the exact Adobe Deep Image Matting download
layout (see :mod:`.layout`), plus COCO- and VOC-style background folders, so
that the preparation tool, the demo and the tests run without the licensed
data.

Each foreground has a realistic matte: a solid body with a sharp,
anti-aliased edge, one-pixel hair-like strands leaving its top, and a
semi-transparent veil with soft edges. The body and the backgrounds are
textured (gratings, blobs, noise); hair and veil have one colour per
foreground. Every image is drawn from its own
generator seeded by ``(seed, role, index)``, so it does not depend on how
many other images are made.
"""
import os.path as osp
from typing import Dict, List, NamedTuple, Tuple

import cv2
import numpy as np

from ...fileio import write_atomically, write_image_atomically
from .layout import COCO2014_PREFIX, COMBINED_DIR, OTHER_DIR, SPLITS
from .layout import SplitLayout, composite_name
from .compositing import composite
from .prepare import prepare_comp1k

# Seed roles: one independent random stream per kind of image.
_FOREGROUND, _BACKGROUND = 0, 1
_SPLIT_IDS = {'training': 0, 'test': 1}


class SyntheticSources(NamedTuple):
    """Roots to hand to :func:`.prepare.prepare_comp1k`.

    Args:
        adobe_root: The folder containing ``Combined_Dataset``.
        coco_root: The COCO root (``train2014/`` inside).
        voc_root: The VOCdevkit root (``VOC2012/JPEGImages/`` inside).
    """
    adobe_root: str
    coco_root: str
    voc_root: str


# --------------------------------------------------------------- pure images
def _texture(rng: np.random.Generator, height: int, width: int) -> np.ndarray:
    """Colour texture: smooth colour field + oriented gratings + grain.

    Returns:
        np.ndarray: (height, width, 3) uint8 BGR.
    """
    field = cv2.resize(
        rng.uniform(0, 255, (4, 5, 3)).astype(np.float32), (width, height),
        interpolation=cv2.INTER_CUBIC)
    yy, xx = np.mgrid[:height, :width].astype(np.float32)
    for _ in range(3):
        angle, period = rng.uniform(0, np.pi), rng.uniform(6, 60)
        phase = xx * np.cos(angle) + yy * np.sin(angle)
        amplitude = rng.uniform(10, 40, 3).astype(np.float32)
        field += amplitude * np.sin(phase * (2 * np.pi / period))[..., None]
    field += rng.normal(0, 8, field.shape).astype(np.float32)
    return np.clip(field, 0, 255).astype(np.uint8)


def synthetic_background(rng: np.random.Generator, height: int,
                         width: int) -> np.ndarray:
    """A textured background with a few solid shapes (object-like edges).

    Returns:
        np.ndarray: (height, width, 3) uint8 BGR.
    """
    image = _texture(rng, height, width)
    for _ in range(6):
        colour = tuple(int(c) for c in rng.integers(0, 256, 3))
        x, y = int(rng.integers(0, width)), int(rng.integers(0, height))
        size = int(rng.integers(8, max(9, min(height, width) // 3)))
        if rng.random() < 0.5:
            cv2.circle(image, (x, y), size, colour, -1, cv2.LINE_AA)
        else:
            cv2.rectangle(image, (x, y), (x + size, y + size // 2), colour, -1)
    return image


def synthetic_alpha(rng: np.random.Generator, height: int,
                    width: int) -> np.ndarray:
    """A soft matte: solid body, hair strands and a semi-transparent veil.

    Returns:
        np.ndarray: (height, width) uint8, 255 opaque.
    """
    # Solid body: a random star-shaped polygon in the lower middle, sharp
    # anti-aliased edge.
    centre = np.array([width * rng.uniform(0.4, 0.6), height * 0.62])
    radius = min(height, width) * rng.uniform(0.22, 0.3)
    angles = np.linspace(
        0, 2 * np.pi, 14, endpoint=False) + rng.uniform(0, 0.4, 14)
    radii = radius * rng.uniform(0.75, 1.15, angles.size)
    polygon = centre + np.stack(
        [np.cos(angles), np.sin(angles)], 1) * radii[:, None]
    body = np.zeros((height, width), np.uint8)
    cv2.fillPoly(
        body, [np.round(polygon * 16).astype(np.int32)],
        255,
        cv2.LINE_AA,
        shift=4)

    # Hair: 1-px anti-aliased random walks leaving the upper half of the
    # body, each with its own opacity, slightly blurred.
    hair = np.zeros_like(body)
    for _ in range(int(rng.integers(40, 70))):
        theta = rng.uniform(1.1 * np.pi, 1.9 * np.pi)  # pointing upwards
        point = centre + 0.85 * radius * np.array(
            [np.cos(theta), np.sin(theta)])
        steps = rng.normal(0, 0.25, 24).cumsum() + theta
        length = rng.uniform(3, 7)
        walk = point + np.cumsum(
            np.stack([np.cos(steps), np.sin(steps)], 1) * length, 0)
        cv2.polylines(
            hair, [np.round(walk * 16).astype(np.int32)],
            False,
            int(rng.integers(110, 256)),
            1,
            cv2.LINE_AA,
            shift=4)
    hair = cv2.GaussianBlur(hair, (3, 3), 0.6)

    # Veil: a constant partial opacity with blurred borders beside the body.
    veil = np.zeros((height, width), np.float32)
    veil_centre = (int(centre[0] + rng.choice([-1, 1]) * radius * 1.1),
                   int(centre[1] + radius * 0.3))
    axes = (int(radius * rng.uniform(0.6, 0.9)), int(radius * 0.5))
    cv2.ellipse(veil, veil_centre, axes, rng.uniform(0, 180), 0, 360,
                rng.uniform(0.3, 0.65), -1)
    veil = cv2.GaussianBlur(veil, (0, 0), 3)

    # Union of the three layers ("over" composition of opacities).
    transparency = (1 - body / 255.) * (1 - hair / 255.) * (1 - veil)
    return np.round(255 * (1 - transparency)).astype(np.uint8)


def synthetic_foreground(rng: np.random.Generator,
                         alpha: np.ndarray) -> np.ndarray:
    """Foreground colours for a matte of :func:`synthetic_alpha`.

    The opaque body is textured; wherever the matte is not opaque (hair,
    veil, the anti-aliased rim) the foreground has one colour with grain,
    as hair and thin fabric have. That colour, repeated along every strand,
    is what a matting network can learn to tell strands from the background
    by; a texture there would give each strand pixel a random colour.

    Args:
        rng: Random generator.
        alpha: (H, W) uint8 matte.

    Returns:
        np.ndarray: (H, W, 3) uint8 BGR.
    """
    height, width = alpha.shape
    image = _texture(rng, height, width)
    colour = rng.uniform(0, 255, 3).astype(np.float32)
    grain = rng.normal(0, 8, image.shape).astype(np.float32)
    soft = np.clip(colour + grain, 0, 255).astype(np.uint8)
    return np.where((alpha < 255)[..., None], soft, image)


def trimap_from_alpha(alpha: np.ndarray, band: int) -> np.ndarray:
    """A Comp-1k-like trimap: unknown band around every fractional alpha.

    Definite foreground (255) and background (0) are the opaque and clear
    regions eroded by ``band`` pixels; all the rest is unknown (128).

    Args:
        alpha: (H, W) uint8 matte.
        band: Erosion size in pixels (> 0).

    Returns:
        np.ndarray: (H, W) uint8 with values in {0, 128, 255}.
    """
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE,
                                       (2 * band + 1, 2 * band + 1))
    trimap = np.full_like(alpha, 128)
    trimap[cv2.erode((alpha == 255).astype(np.uint8), kernel) > 0] = 255
    trimap[cv2.erode((alpha == 0).astype(np.uint8), kernel) > 0] = 0
    return trimap


class SyntheticComposite(NamedTuple):
    """An image with its known matte, foreground and background.

    Args:
        image: (H, W, 3) uint8 BGR composite, as Comp-1k merges them.
        alpha: (H, W) uint8 matte.
        foreground: (H, W, 3) uint8 BGR foreground colours.
        background: (H, W, 3) uint8 BGR background.
    """
    image: np.ndarray
    alpha: np.ndarray
    foreground: np.ndarray
    background: np.ndarray


def synthetic_composite(rng: np.random.Generator, height: int,
                        width: int) -> SyntheticComposite:
    """A held-out composite with known foreground colours, in memory.

    A textured foreground with coloured shapes (as backgrounds have, so the
    colours behind hair and veil change across the image) over a textured
    background, blended with :func:`.prepare.composite`.

    Returns:
        SyntheticComposite: The image and its ground truth.
    """
    alpha = synthetic_alpha(rng, height, width)
    foreground = synthetic_background(rng, height, width)
    background = synthetic_background(rng, height, width)
    return SyntheticComposite(
        composite(foreground, background, alpha), alpha, foreground,
        background)


# ------------------------------------------------------------------ writing
def _write_lines(path: str, lines: List[str]) -> None:
    write_atomically(''.join(f'{line}\n' for line in lines).encode(), path)


def _sample_size(rng: np.random.Generator, min_size: Tuple[int, int],
                 max_size: Tuple[int, int], odd: bool) -> Tuple[int, int]:
    height, width = (int(rng.integers(lo, hi + 1))
                     for lo, hi in zip(min_size, max_size))
    if odd:  # odd sides exercise every rounding path downstream
        height, width = height | 1, width | 1
        height, width = (s if s <= hi else s - 2
                         for s, hi in zip((height, width), max_size))
    return height, width


def _write_split(split: SplitLayout, root: str, bg_dir: str,
                 bg_names: List[str], seed: int, num_fg: int, bg_per_fg: int,
                 min_size: Tuple[int, int], max_size: Tuple[int, int]) -> None:
    """Write one split's foregrounds, alphas, trimaps, backgrounds and name
    lists."""
    src = osp.join(root, COMBINED_DIR, split.folder)
    fg_names = []
    for i in range(num_fg):
        rng = np.random.default_rng(
            [seed, _SPLIT_IDS[split.name], _FOREGROUND, i])
        # Training foregrounds alternate between the two source folders like
        # the download; the download also has JPEG pairs (fg and alpha).
        folder = split.source_dirs[i % len(split.source_dirs)]
        ext = '.jpg' if folder == OTHER_DIR and i == 1 else '.png'
        name = f'synthetic_{split.name}_{i:03d}{ext}'
        height, width = _sample_size(rng, min_size, max_size, odd=i == 0)
        alpha = synthetic_alpha(rng, height, width)
        write_image_atomically(
            synthetic_foreground(rng, alpha), osp.join(src, folder, 'fg',
                                                      name))
        write_image_atomically(alpha, osp.join(src, folder, 'alpha', name))
        if split.has_trimaps:
            trimap = trimap_from_alpha(alpha, int(rng.integers(4, 9)))
            for j in range(bg_per_fg):
                write_image_atomically(
                    trimap,
                    osp.join(src, split.trimap_dir,
                             composite_name(name, j, keep_ext=True)))
        for j in range(bg_per_fg):
            k = i * bg_per_fg + j
            bg_rng = np.random.default_rng(
                [seed, _SPLIT_IDS[split.name], _BACKGROUND, k])
            # The first background of each foreground is smaller than it, so
            # the protocol's upscaling is exercised; the others cover it.
            scale = (0.7, 0.9) if j == 0 else (1.0, 1.3)
            bg_size = [
                int(side * bg_rng.uniform(*scale)) for side in (height, width)
            ]
            write_image_atomically(
                synthetic_background(bg_rng, *bg_size),
                osp.join(bg_dir, bg_names[k]))
        fg_names.append(name)
    _write_lines(osp.join(src, split.fg_list), fg_names)
    _write_lines(osp.join(src, split.bg_list), bg_names)


def _check_counts_and_sizes(counts: Dict[str, int],
                            min_size: Tuple[int, int],
                            max_size: Tuple[int, int]) -> None:
    """Raise ValueError naming the first count that is not a positive int,
    or an empty (or under 64 pixels) foreground size range."""
    for key, value in counts.items():
        if not isinstance(value, int) or value < 1:
            raise ValueError(
                f'{key} must be a positive int, but got {value!r}')
    if not (len(min_size) == len(max_size) == 2 and 64 <= min(min_size)
            and all(lo <= hi for lo, hi in zip(min_size, max_size))):
        raise ValueError(
            'min_size and max_size must be (height, width) pairs with '
            f'64 <= min_size <= max_size, but got {min_size} and {max_size}')


def make_synthetic_comp1k(
    root: str,
    seed: int = 0,
    num_train_fg: int = 4,
    train_bg_per_fg: int = 2,
    num_test_fg: int = 2,
    test_bg_per_fg: int = 2,
    min_size: Tuple[int, int] = (320, 320),
    max_size: Tuple[int, int] = (400, 480)
) -> SyntheticSources:
    """Write a synthetic Comp-1k download, COCO and VOC folders under root.

    Layout: ``root/Combined_Dataset`` (see :mod:`.layout`),
    ``root/coco/train2014/COCO_train2014_<id>.jpg`` and
    ``root/VOCdevkit/VOC2012/JPEGImages/2008_<id>.jpg``. The first
    foreground of each split has odd sides; the first background of every
    foreground is smaller than it.

    Args:
        root: Output folder (created; files of an earlier call are
            overwritten).
        seed: Seed; the same seed writes byte-identical files.
        num_train_fg: Training foregrounds.
        train_bg_per_fg: COCO backgrounds per training foreground.
        num_test_fg: Test foregrounds.
        test_bg_per_fg: VOC backgrounds per test foreground.
        min_size: Smallest foreground (height, width).
        max_size: Largest foreground (height, width).

    Returns:
        SyntheticSources: The three roots for the preparation tool.

    Raises:
        ValueError: A count is not positive or the size range is empty or
            under 64 pixels.
    """
    _check_counts_and_sizes(
        dict(num_train_fg=num_train_fg, train_bg_per_fg=train_bg_per_fg,
             num_test_fg=num_test_fg, test_bg_per_fg=test_bg_per_fg),
        min_size, max_size)
    sources = SyntheticSources(root, osp.join(root, 'coco'),
                               osp.join(root, 'VOCdevkit'))
    coco_dir = osp.join(sources.coco_root, 'train2014')
    voc_dir = osp.join(sources.voc_root, 'VOC2012', 'JPEGImages')
    train_bgs = [
        f'{COCO2014_PREFIX}{k + 1:012d}.jpg'
        for k in range(num_train_fg * train_bg_per_fg)
    ]
    test_bgs = [
        f'2008_{k + 1:06d}.jpg' for k in range(num_test_fg * test_bg_per_fg)
    ]
    _write_split(SPLITS['training'], root, coco_dir, train_bgs, seed,
                 num_train_fg, train_bg_per_fg, min_size, max_size)
    _write_split(SPLITS['test'], root, voc_dir, test_bgs, seed, num_test_fg,
                 test_bg_per_fg, min_size, max_size)
    return sources


def build_demo_dataset(out_root: str,
                       seed: int = 0,
                       nproc: int = 1,
                       **sizes) -> str:
    """Generate a synthetic download and prepare it, in one call.

    The download goes to ``<out_root>/downloads`` and the prepared root is
    ``out_root`` itself, ready for ``data_root`` of the Comp-1k configs.
    Calling it again on the same folder rewrites the identical download and
    skips every composite.

    Args:
        out_root: Prepared root, e.g. ``'data/adobe_composition-1k'``.
        seed: Seed of :func:`make_synthetic_comp1k`.
        nproc: Worker processes of the preparation.
        **sizes: Other arguments of :func:`make_synthetic_comp1k`
            (counts, ``min_size``, ``max_size``).

    Returns:
        str: ``out_root``.

    Raises:
        RuntimeError: The preparation met a problem (never expected on
            generated data).
    """
    sources = make_synthetic_comp1k(
        osp.join(out_root, 'downloads'), seed=seed, **sizes)
    report = prepare_comp1k(
        *sources, out_root=out_root, nproc=nproc, progress=False)
    if report.problems:
        raise RuntimeError('preparing the synthetic dataset failed: ' +
                           '; '.join(map(str, report.problems)))
    return out_root
