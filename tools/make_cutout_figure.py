"""Draw the README's cut-out figure: one synthetic composite pasted onto a new
background with its raw colours and with the estimated foreground colours.

The composite (hair strands and a semi-transparent veil over a textured,
colourful background) comes from the synthetic Comp-1k generator, and its
true alpha is used, so the figure shows only the effect of the colours.
Panels, cropped around the hair: the image | raw colours on the new
background | estimated foreground on it | the true foreground on it.

Example::

    python tools/make_cutout_figure.py docs/cutout_composite.png
"""
import argparse
import sys
from pathlib import Path

import cv2
import numpy as np

from indexnet_plugin.apis import estimate_foreground
from indexnet_plugin.datasets.comp1k.synthetic import synthetic_composite

SEED = (2026, 14)
SIZE = (360, 420)  # H, W of the composite
CROP = (slice(10, 190), slice(110, 310))  # rows, columns around the hair
ZOOM = 2
GAP = 6  # white columns between panels
NEW_BACKGROUND = (40, 160, 40)  # BGR green, far from the old colours
LABELS = ('image', 'raw colours', 'estimated', 'true foreground')


def paste(colours: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    """Composite colours with alpha onto the plain new background."""
    weight = alpha[..., None] / 255.0
    background = np.array(NEW_BACKGROUND, np.float64)
    return np.round(colours * weight + background * (1 - weight)).astype(
        np.uint8)


def panel(picture: np.ndarray, label: str) -> np.ndarray:
    """Crop, enlarge (nearest, so fringes stay visible) and label."""
    crop = np.ascontiguousarray(picture[CROP])
    crop = cv2.resize(
        crop, None, fx=ZOOM, fy=ZOOM, interpolation=cv2.INTER_NEAREST)
    cv2.rectangle(crop, (0, 0), (8 + 11 * len(label), 24), (255, 255, 255), -1)
    cv2.putText(crop, label, (4, 17), cv2.FONT_HERSHEY_SIMPLEX, 0.5, (0, 0, 0),
                1, cv2.LINE_AA)
    return crop


def make_figure() -> np.ndarray:
    """The four labelled panels side by side, BGR uint8."""
    sample = synthetic_composite(np.random.default_rng(SEED), *SIZE)
    estimate = estimate_foreground(sample.image, sample.alpha)
    pictures = (sample.image, paste(sample.image, sample.alpha),
                paste(estimate,
                      sample.alpha), paste(sample.foreground, sample.alpha))
    strip = [panel(p, label) for p, label in zip(pictures, LABELS)]
    gap = np.full((strip[0].shape[0], GAP, 3), 255, np.uint8)
    return np.hstack([x for p in strip for x in (p, gap)][:-1])


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('out', type=Path, help='PNG to write')
    args = parser.parse_args(argv)
    figure = make_figure()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    if not cv2.imwrite(
            str(args.out), figure, [cv2.IMWRITE_PNG_COMPRESSION, 9]):
        raise OSError(f"cannot write '{args.out}'")
    print(f'{args.out}: {figure.shape[1]}x{figure.shape[0]}, '
          f'{args.out.stat().st_size / 1024:.0f} KB')
    return 0


if __name__ == '__main__':
    sys.exit(main())
