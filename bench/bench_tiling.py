"""Tiled against whole-image prediction with a trained model.

Error (in this process, the fast network shared by every setting): for each
tiling setting (tile side, overlap), the alpha of tiled and of whole-image
prediction on

* the synthetic Comp-1k test set (``--data-root``; its images are small, so
  the tiles are small too: ``--small-tiles``), and
* a large image: the first test sample upscaled ``--scale`` times (bicubic
  image and alpha, nearest trimap), with the predictor's real tile sizes
  (``--large-tiles``);

printed as SAD between the two (sum of absolute differences of alphas in
[0, 1], / 1000, as Comp-1k's SAD), the largest difference in uint8 levels,
the share of pixels that differ, and each one's SAD to the ground truth.

Cost (fresh subprocesses, large image): wall and CPU time and the peak memory
that one prediction adds (see ``bench_memory.added_peak_mb``), whole and
tiled with the default setting.

Run after ``make demo`` (random weights exaggerate seams: use a trained
model): ``.venv/bin/python bench/bench_tiling.py --config
configs/indexnet_demo.py --checkpoint $(cat
work_dirs/indexnet_demo/last_checkpoint)``.
"""
import argparse
import json
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import cv2
import numpy as np

from bench_memory import added_peak_mb

LARGE_NAME = 'large'


def read(path: Path, flags: int) -> np.ndarray:
    """``cv2.imread`` that names a file it cannot read."""
    picture = cv2.imread(str(path), flags)
    if picture is None:
        raise FileNotFoundError(f"cannot read '{path}'")
    return picture


def load_test_set(root: Path, scale: int):
    """(name, image, trimap, alpha) of the test set and the large image."""
    samples = []
    for sample in json.loads((root / 'test_list.json').read_text()):
        image = read(root / sample['merged_path'], cv2.IMREAD_COLOR)
        trimap = read(root / sample['trimap_path'], cv2.IMREAD_GRAYSCALE)
        alpha = read(root / sample['alpha_path'], cv2.IMREAD_GRAYSCALE)
        samples.append((Path(sample['merged_path']).stem, image, trimap,
                        alpha))
    _, image, trimap, alpha = samples[0]
    size = (image.shape[1] * scale, image.shape[0] * scale)
    large = (LARGE_NAME, cv2.resize(image, size,
                                    interpolation=cv2.INTER_CUBIC),
             cv2.resize(trimap, size, interpolation=cv2.INTER_NEAREST),
             cv2.resize(alpha, size, interpolation=cv2.INTER_CUBIC))
    return samples, large


def build(config, checkpoint, tiles=None):
    """The whole-image predictor, or one in ``tiles`` = (side, overlap)."""
    from indexnet_plugin.apis import init_predictor
    if tiles is None:
        return init_predictor(config, checkpoint, max_memory=1024)
    side, overlap = tiles
    return init_predictor(config, checkpoint, max_pixels=side * side,
                          tile_size=side, tile_overlap=overlap)


def with_tiles(whole, tiles):
    """A predictor sharing ``whole``'s network, tiled (side, overlap)."""
    from indexnet_plugin.apis import MattingPredictor
    side, overlap = tiles
    return MattingPredictor(whole.network, whole.settings,
                            max_pixels=side * side, tile_size=side,
                            tile_overlap=overlap)


def sad(a: np.ndarray, b: np.ndarray) -> float:
    """Comp-1k's SAD of two float alphas in [0, 1]."""
    return float(np.abs(a - b).sum() / 1000)


def compare(whole, tiled, samples) -> str:
    """Summed tiled-vs-whole and ground-truth errors over ``samples``."""
    to_whole = to_truth_whole = to_truth_tiled = 0.0
    worst, differing, pixels = 0, 0, 0
    for _, image, trimap, alpha in samples:
        a = whole.predict(image, trimap, as_float=True)
        b = tiled.predict(image, trimap, as_float=True)
        truth = alpha / 255.0
        to_whole += sad(a, b)
        to_truth_whole += sad(a, truth)
        to_truth_tiled += sad(b, truth)
        levels = np.abs(np.round(a * 255).astype(int) -
                        np.round(b * 255).astype(int))
        worst = max(worst, int(levels.max()))
        differing += int((levels > 0).sum())
        pixels += levels.size
    return (f'tiled vs whole SAD {to_whole:8.3f}  max {worst:3d} levels  '
            f'{differing / pixels:7.3%} pixels differ  |  SAD to truth: '
            f'whole {to_truth_whole:8.3f} tiled {to_truth_tiled:8.3f}')


def worker(config: str, checkpoint: str, tiles: str, data_root: str,
           scale: int, out: str) -> None:
    """Time and peak memory of one large-image prediction."""
    import torch
    parsed = None if tiles == 'whole' else tuple(
        int(v) for v in tiles.split(','))
    predictor = build(config or None, checkpoint, parsed)
    _, (_, image, trimap, _) = load_test_set(Path(data_root), scale)
    predictor.predict(image[:64, :64], trimap[:64, :64])  # warm up
    wall, cpu = time.perf_counter(), time.process_time()
    added = added_peak_mb(lambda: predictor.predict(image, trimap))
    Path(out).write_text(
        json.dumps(
            dict(wall=time.perf_counter() - wall,
                 cpu=time.process_time() - cpu, added_mb=added,
                 threads=torch.get_num_threads())))


def measure(args, tiles: str, tmp: Path) -> dict:
    out = tmp / f'{tiles}.json'
    subprocess.run([
        sys.executable, __file__, '--checkpoint', args.checkpoint,
        '--worker', args.config or '', tiles, args.data_root,
        str(args.scale), str(out)
    ], check=True)
    return json.loads(out.read_text())


def parse_tiles(text: str):
    side, overlap = text.split(',')
    return int(side), int(overlap)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--checkpoint', required=True)
    parser.add_argument('--config', help='model config (default: the '
                        'released IndexNet MobileNetV2 model)')
    parser.add_argument('--data-root', default='data/synthetic_comp1k')
    parser.add_argument('--scale', type=int, default=4)
    parser.add_argument('--small-tiles', type=parse_tiles, nargs='+',
                        default=[(256, 64), (256, 128), (192, 96)],
                        metavar='SIDE,OVERLAP')
    parser.add_argument('--large-tiles', type=parse_tiles, nargs='+',
                        default=[(1280, 256), (1280, 384), (1280, 512)],
                        metavar='SIDE,OVERLAP')
    parser.add_argument('--skip-cost', action='store_true')
    parser.add_argument('--worker', nargs=5, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        config, tiles, data_root, scale, out = args.worker
        worker(config, args.checkpoint, tiles, data_root, int(scale), out)
        return
    from indexnet_plugin.apis.inference.memory import TiledInferenceWarning
    warnings.simplefilter('ignore', TiledInferenceWarning)  # tiled on purpose
    samples, large = load_test_set(Path(args.data_root), args.scale)
    whole = build(args.config, args.checkpoint)
    sizes = sorted({s[1].shape[:2] for s in samples})
    print(f'synthetic test set: {len(samples)} images of {sizes}')
    for tiles in args.small_tiles:
        print(f'  tiles {tiles[0]:>4} overlap {tiles[1]:>3}: ' +
              compare(whole, with_tiles(whole, tiles), samples), flush=True)
    print(f'large image: test sample 0 x{args.scale}, '
          f'{large[1].shape[0]}x{large[1].shape[1]}')
    for tiles in args.large_tiles:
        print(f'  tiles {tiles[0]:>4} overlap {tiles[1]:>3}: ' +
              compare(whole, with_tiles(whole, tiles), [large]), flush=True)
    if args.skip_cost:
        return
    del whole
    with tempfile.TemporaryDirectory() as tmp:
        tiles = args.large_tiles[0]
        results = {
            'whole': measure(args, 'whole', Path(tmp)),
            f'tiled {tiles[0]}/{tiles[1]}':
            measure(args, f'{tiles[0]},{tiles[1]}', Path(tmp)),
        }
    reference = results['whole']
    for name, r in results.items():
        print(f"large image {name:<16} wall {r['wall']:6.2f}s cpu "
              f"{r['cpu']:6.2f}s ({r['threads']} threads) added peak "
              f"{r['added_mb']:7.0f} MB  vs whole: time "
              f"{r['cpu'] / reference['cpu']:4.2f}x memory "
              f"{r['added_mb'] / reference['added_mb']:4.2f}x", flush=True)


if __name__ == '__main__':
    main()
