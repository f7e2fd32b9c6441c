"""The box guide's trimaps against reference trimaps, per image.

Cases (see ``box_references.py`` for how the photos' trimaps were drawn):
six synthetic Comp-1k test composites (``make_synthetic_comp1k`` with
``--seed``, trimaps from the true alpha), three scikit-image photographs with
traced trimaps, and matplotlib's present drawing (true alpha) on a garage
photo. For each, the box of the reference trimap's object (the bounding box
of its foreground and unknown pixels) gives a trimap
(:func:`~indexnet_plugin.apis.inputs.box.box_trimap`), scored against the
reference:

* kept: share of the reference foreground that the trimap does not call
  background (target >= 95 %);
* leak: share of the reference background that it calls foreground
  (target <= 2 %);
* unknown: share of the image the trimap leaves unknown;
* with strokes: kept / leak after one round of correction: three black dabs
  (radius 8) at the deepest points of the three largest leaked regions and
  three white ones in the three largest lost regions, as a person clicking
  on what went wrong;
* SAD (with ``--checkpoint``): the matte from our trimap against the matte
  from the reference trimap, same network (sum of absolute alpha
  differences / 1000);
* time: box -> trimap with the image scaled to 1920x1280, 2 cores (``cv2``
  threads).

Run: ``.venv/bin/python bench/bench_box.py --config configs/indexnet_demo.py
--checkpoint work_dirs/indexnet_demo/iter_400.pth``.
"""
import argparse
import json
import os
import os.path as osp
import sys
import tempfile
import time
import warnings
from typing import Iterator, List, Optional, Tuple

import cv2
import matplotlib
import numpy as np
from skimage import data

from indexnet_plugin.apis.inputs.box import box_trimap, check_box
from indexnet_plugin.apis import MattingInputError
from indexnet_plugin.datasets.comp1k import (make_synthetic_comp1k,
                                             prepare_comp1k)
from indexnet_plugin.datasets.transforms.functional import trimap_by_distance

sys.path.insert(0, osp.dirname(osp.abspath(__file__)))
from box_references import PHOTOS  # noqa: E402

Case = Tuple[str, np.ndarray, np.ndarray]  # name, BGR image, trimap
LARGE = (1280, 1920)  # H, W of the timing
DAB_RADIUS = 8
DABS = 3
PRESENT_BAND = 10


def synthetic_cases(seed: int, count: int) -> Iterator[Case]:
    """Synthetic test composites and their trimaps (from the true alpha)."""
    with tempfile.TemporaryDirectory() as root:
        data_root = osp.join(root, 'data')
        sources = make_synthetic_comp1k(
            osp.join(root, 'raw'), seed=seed, num_train_fg=1,
            train_bg_per_fg=1, num_test_fg=count, test_bg_per_fg=1)
        prepare_comp1k(*sources, out_root=data_root)
        with open(osp.join(data_root, 'test_list.json')) as file:
            entries = json.load(file)
        for entry in entries:
            name = osp.splitext(osp.basename(entry['merged_path']))[0]
            yield (name, cv2.imread(osp.join(data_root,
                                             entry['merged_path'])),
                   cv2.imread(osp.join(data_root, entry['trimap_path']),
                              cv2.IMREAD_GRAYSCALE))


def polygon_trimap(shape: Tuple[int, int], polygon: List[Tuple[int, int]],
                   band: int) -> np.ndarray:
    """Inside the polygon 255, outside 0, within ``band`` of its outline
    128."""
    inside = np.zeros(shape, np.uint8)
    cv2.fillPoly(inside, [np.array(polygon, np.int32)], 1)
    to_outside = cv2.distanceTransform(inside, cv2.DIST_L2, 5)
    to_inside = cv2.distanceTransform(1 - inside, cv2.DIST_L2, 5)
    trimap = inside * np.uint8(255)
    trimap[np.where(inside > 0, to_outside, to_inside) <= band] = 128
    return trimap


def photo_cases() -> Iterator[Case]:
    for name, (function, polygon, band) in PHOTOS.items():
        image = np.ascontiguousarray(getattr(data, function)()[..., ::-1])
        yield name, image, polygon_trimap(image.shape[:2], polygon, band)


def present_case() -> Case:
    """matplotlib's present (RGBA), 3x, on a crop of the garage photo."""
    path = osp.join(matplotlib.get_data_path(), 'sample_data',
                    'Minduka_Present_Blue_Pack.png')
    rgba = cv2.resize(cv2.imread(path, cv2.IMREAD_UNCHANGED), None, fx=3,
                      fy=3, interpolation=cv2.INTER_CUBIC)
    garage = np.ascontiguousarray(data.stereo_motorcycle()[0][..., ::-1])
    background = garage[40:524, 200:724].astype(np.float32)
    alpha = np.zeros(background.shape[:2], np.float32)
    top, left = 50, 70
    height, width = rgba.shape[:2]
    alpha[top:top + height, left:left + width] = rgba[..., 3] / 255
    foreground = background.copy()
    foreground[top:top + height, left:left + width] = rgba[..., :3]
    image = foreground * alpha[..., None] + background * (1 - alpha[..., None])
    return ('present', np.round(image).astype(np.uint8),
            trimap_by_distance(np.round(alpha * 255).astype(np.uint8),
                               PRESENT_BAND))


def glass_case() -> Case:
    """A drawn wine glass (mostly transparent: alpha 0.12 inside, 0.85 on
    its rim and stem) on a crop of the garage photo; trimap from the alpha
    as the present's."""
    garage = np.ascontiguousarray(data.stereo_motorcycle()[0][..., ::-1])
    background = garage[0:420, 300:700].astype(np.float32)
    body = np.zeros(background.shape[:2], np.uint8)
    cv2.ellipse(body, (200, 140), (80, 100), 0, 0, 180, 1, -1)
    cv2.rectangle(body, (120, 40), (280, 140), 1, -1)
    cv2.rectangle(body, (194, 240), (206, 350), 1, -1)
    cv2.ellipse(body, (200, 352), (60, 10), 0, 0, 360, 1, -1)
    rim = body - cv2.erode(body, np.ones((7, 7), np.uint8))
    rim[240:362] = body[240:362]  # stem and foot: solid glass
    alpha = np.where(rim > 0, 0.85, np.where(body > 0, 0.12, 0.0))
    alpha = cv2.GaussianBlur(alpha.astype(np.float32), (5, 5), 1.0)
    image = (235 * alpha[..., None] + background * (1 - alpha[..., None]))
    return ('glass (drawn)', np.round(image).astype(np.uint8),
            trimap_by_distance(np.round(alpha * 255).astype(np.uint8),
                               PRESENT_BAND))


def reference_box(trimap: np.ndarray) -> Tuple[int, int, int, int]:
    x, y, width, height = cv2.boundingRect((trimap > 0).astype(np.uint8))
    return x, y, x + width, y + height


def scores(ours: np.ndarray, reference: np.ndarray) -> Tuple[float, ...]:
    """(kept, leak, unknown) as fractions, see the module docstring."""
    foreground, background = reference == 255, reference == 0
    kept = 1 - np.count_nonzero(foreground & (ours == 0)) / max(
        1, np.count_nonzero(foreground))
    leak = np.count_nonzero(background & (ours == 255)) / max(
        1, np.count_nonzero(background))
    return kept, leak, float(np.mean(ours == 128))


def dabs(ours: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """A scribble image: black dabs on the largest leaked regions, white on
    the largest lost ones (deepest point of each)."""
    scribbles = np.full(reference.shape, 128, np.uint8)
    for wrong, level in (((ours == 255) & (reference == 0), 0),
                         ((ours == 0) & (reference == 255), 255)):
        count, labels, stats, _ = cv2.connectedComponentsWithStats(
            wrong.astype(np.uint8))
        for index in np.argsort(-stats[1:, cv2.CC_STAT_AREA])[:DABS] + 1:
            depth = cv2.distanceTransform((labels == index).astype(np.uint8),
                                          cv2.DIST_L2, 5)
            y, x = np.unravel_index(np.argmax(depth), depth.shape)
            cv2.circle(scribbles, (int(x), int(y)), DAB_RADIUS, level, -1)
    return scribbles


def large_time(image: np.ndarray, box, reps: int) -> float:
    """Best time of box -> trimap on the image scaled to 1920x1280."""
    height, width = image.shape[:2]
    large = cv2.resize(image, LARGE[::-1], interpolation=cv2.INTER_CUBIC)
    fx, fy = LARGE[1] / width, LARGE[0] / height
    scaled = (int(box[0] * fx), int(box[1] * fy),
              min(LARGE[1], round(box[2] * fx)),
              min(LARGE[0], round(box[3] * fy)))
    best = float('inf')
    for _ in range(reps):
        start = time.perf_counter()
        box_trimap(large, scaled)
        best = min(best, time.perf_counter() - start)
    return best


def sad(predictor, image, trimap, reference_alpha) -> float:
    alpha = predictor.predict(image, trimap).astype(np.float64) / 255
    return float(np.abs(alpha - reference_alpha).sum() / 1000)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--config', default='configs/indexnet_demo.py')
    parser.add_argument('--checkpoint', help='weights for the SAD column')
    parser.add_argument('--seed', type=int, default=7)
    parser.add_argument('--synthetic', type=int, default=6)
    parser.add_argument('--reps', type=int, default=2)
    parser.add_argument('--out', help='folder for the trimaps made')
    args = parser.parse_args()
    cv2.setNumThreads(2)
    predictor: Optional[object] = None
    if args.checkpoint:
        from indexnet_plugin.apis import init_predictor
        warnings.simplefilter('ignore')
        predictor = init_predictor(args.config, args.checkpoint)
    print(f'load average at start: {os.getloadavg()}')
    print('| image | size | box | kept | leak | unknown (ref) | with strokes '
          '| SAD | 1920x1280 |')
    print('|---|---|---|---|---|---|---|---|---|')
    cases = [*synthetic_cases(args.seed, args.synthetic), *photo_cases(),
             present_case(), glass_case()]
    for name, image, reference in cases:
        box = check_box(reference_box(reference), image.shape[:2], name)
        try:
            trimap = box_trimap(image, box, name=f"image '{name}'")
        except MattingInputError as error:
            print(f'| {name} | {image.shape[1]}x{image.shape[0]} | '
                  f'{",".join(map(str, box))} | refused: {error} |')
            continue
        kept, leak, unknown = scores(trimap, reference)
        scribbles = dabs(trimap, reference)
        fixed = scores(box_trimap(image, box, scribbles), reference)
        column = '-'
        if predictor is not None:
            reference_alpha = predictor.predict(
                image, reference).astype(np.float64) / 255
            column = f'{sad(predictor, image, trimap, reference_alpha):.2f}'
        if args.out:
            os.makedirs(args.out, exist_ok=True)
            cv2.imwrite(osp.join(args.out, f'{name}.png'), trimap)
        seconds = large_time(image, box, args.reps)
        print(f'| {name} | {image.shape[1]}x{image.shape[0]} | '
              f'{",".join(map(str, box))} | {100 * kept:.1f} % | '
              f'{100 * leak:.1f} % | {100 * unknown:.0f} % '
              f'({100 * np.mean(reference == 128):.0f} %) | '
              f'{100 * fixed[0]:.1f} / {100 * fixed[1]:.1f} % | {column} | '
              f'{seconds:.2f} s |', flush=True)
    print(f'load average at end: {os.getloadavg()}')


if __name__ == '__main__':
    main()
