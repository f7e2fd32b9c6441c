"""Draw the README's cut-out figures.

The default figure: one synthetic composite pasted onto a new background
with its raw colours and with the estimated foreground colours. The
composite (hair strands and a semi-transparent veil over a textured,
colourful background) comes from the synthetic Comp-1k generator, and its
true alpha is used, so the figure shows only the effect of the colours.
Panels, cropped around the hair: the image | raw colours on the new
background | estimated foreground on it | the true foreground on it.

``--portrait``: a photo matted with no trimap given, by the steps of
``indexnet-predict IMAGE --auto-mask person --preview``. The photo is
scikit-image's astronaut (public domain, NASA; ``skimage.data.astronaut()``),
its trimap comes from the bundled person segmenter
(:mod:`indexnet_plugin.apis.inputs.person`, default model, threshold and band),
its alpha from the weights given, its cut-out colours from the foreground
estimation. Panels (the CLI's preview, labelled): image | automatic trimap
| alpha | cut-out on a checkerboard.

Example::

    python tools/make_cutout_figure.py docs/cutout_composite.png
    python tools/make_cutout_figure.py docs/portrait_auto_mask.png \\
        --portrait --config configs/indexnet_demo.py \\
        --checkpoint work_dirs/indexnet_demo/iter_400.pth
"""
import argparse
import sys
from pathlib import Path

import cv2
import numpy as np

from skimage import data

from indexnet_plugin.apis import (MattingPredictor, estimate_foreground,
                                  init_predictor)
from indexnet_plugin.apis.inputs.person import PersonSegmenter
from indexnet_plugin.apis.cutout.visualize import label, preview
from indexnet_plugin.datasets.comp1k.synthetic import synthetic_composite
from indexnet_plugin.fileio import write_image_atomically

SEED = (2026, 14)
SIZE = (360, 420)  # H, W of the composite
CROP = (slice(10, 190), slice(110, 310))  # rows, columns around the hair
ZOOM = 2
GAP = 6  # white columns between panels
NEW_BACKGROUND = (40, 160, 40)  # BGR green, far from the old colours
LABELS = ('image', 'raw colours', 'estimated', 'true foreground')
PORTRAIT_LABELS = ('image', 'automatic trimap', 'alpha', 'cut-out')


def paste(colours: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    """Composite colours with alpha onto the plain new background."""
    weight = alpha[..., None] / 255.0
    background = np.array(NEW_BACKGROUND, np.float64)
    return np.round(colours * weight + background * (1 - weight)).astype(
        np.uint8)


def panel(picture: np.ndarray, text: str) -> np.ndarray:
    """Crop, enlarge (nearest, so fringes stay visible) and label."""
    crop = np.ascontiguousarray(picture[CROP])
    crop = cv2.resize(
        crop, None, fx=ZOOM, fy=ZOOM, interpolation=cv2.INTER_NEAREST)
    return label(crop, text)


def make_figure() -> np.ndarray:
    """The four labelled panels side by side, BGR uint8."""
    sample = synthetic_composite(np.random.default_rng(SEED), *SIZE)
    estimate = estimate_foreground(sample.image, sample.alpha)
    pictures = (sample.image, paste(sample.image, sample.alpha),
                paste(estimate,
                      sample.alpha), paste(sample.foreground, sample.alpha))
    strip = [panel(p, text) for p, text in zip(pictures, LABELS)]
    gap = np.full((strip[0].shape[0], GAP, 3), 255, np.uint8)
    return np.hstack([x for p in strip for x in (p, gap)][:-1])


def astronaut() -> np.ndarray:
    """scikit-image's astronaut photo, BGR uint8 (512, 512, 3)."""
    return np.ascontiguousarray(data.astronaut()[..., ::-1])


def make_portrait_figure(predictor: MattingPredictor) -> np.ndarray:
    """The portrait's four labelled panels side by side, BGR uint8."""
    image = astronaut()
    with PersonSegmenter() as segmenter:
        trimap = segmenter.trimap(image)
    alpha = predictor.predict(image, trimap)
    return preview(image, trimap, alpha, estimate_foreground(image, alpha),
                   PORTRAIT_LABELS)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('out', type=Path, help='PNG to write')
    parser.add_argument(
        '--portrait', action='store_true',
        help='the astronaut photo with an automatic trimap instead')
    parser.add_argument(
        '--checkpoint', help='with --portrait: weights, path or http(s) URL')
    parser.add_argument(
        '--config', help='with --portrait: model config, a file or a '
        'packaged config name')
    args = parser.parse_args(argv)
    if args.portrait and args.checkpoint is None:
        parser.error('--portrait needs --checkpoint')
    if not args.portrait and (args.checkpoint or args.config):
        parser.error('--checkpoint and --config apply to --portrait only')
    if args.portrait:
        figure = make_portrait_figure(
            init_predictor(args.config, args.checkpoint))
    else:
        figure = make_figure()
    write_image_atomically(figure, args.out,
                           (cv2.IMWRITE_PNG_COMPRESSION, 9))
    print(f'{args.out}: {figure.shape[1]}x{figure.shape[0]}, '
          f'{args.out.stat().st_size / 1024:.0f} KB')
    return 0


if __name__ == '__main__':
    sys.exit(main())
