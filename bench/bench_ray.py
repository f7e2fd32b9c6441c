"""Images per second of ``indexnet-predict --ray`` on 1 and 2 local workers
against the single-process command, on the same folder.

One run makes a folder of ``--images`` smooth random pairs of ``--size``
(image and ellipse trimap, as bench_inference's) and random weights, then
runs, one after another, each as its own ``indexnet-predict`` process with
the default fast path and a fresh output folder:

* ``single``: the single-process command (PyTorch's default threads: one
  per core);
* ``single-1t``: the same on one thread (``OMP_NUM_THREADS=1``), what one
  Ray worker runs on;
* ``ray-1``, ``ray-2``: ``--ray --ray-workers 1`` and ``2`` (a local
  cluster started by the command, one thread per worker).

The weights' fast network is converted once before (into a temporary
cache that every run and worker reads), so no run pays the conversion.

Then Ray's own cost per image, apart from the machine's load: the same
pipeline (:func:`~indexnet_plugin.apis.distributed.ray_batch.build_dataset`:
one block per chunk of 4 paths, a pool of 2 actors) on ``--pipeline-images``
made-up paths with workers that only return their rows, in this process's
own local cluster, minus its start (the first row's arrival).

For each command it prints the wall time of the whole command (Python start, model
load, Ray's start-up), the images per second over it, the steady rate
(images between the first and last output file's modification time) and
the start-up (wall time minus the images at the steady rate). Ray's
per-image overhead is ``ray-1``'s steady time per image minus
``single-1t``'s, both on one thread. Alphas are checked byte-identical to
``single``'s. The load average is printed before and after: the figures
mean little on a loaded machine.

Run: ``.venv/bin/python bench/bench_ray.py [--images 64] [--size 320]``.
"""
import argparse
import filecmp
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Dict, List

import cv2

from bench_inference import make_image

# What runs, and the extra flags and environment of each.
RUNS = {
    'single': ([], {}),
    'single-1t': ([], {'OMP_NUM_THREADS': '1'}),
    'ray-1': (['--ray', '--ray-workers', '1'], {}),
    'ray-2': (['--ray', '--ray-workers', '2'], {}),
}


def make_folder(root: Path, count: int, size: int) -> None:
    """``count`` pairs in root/images and root/trimaps, each image its own
    (seeded) smooth random picture with an ellipse trimap."""
    for sub in ('images', 'trimaps'):
        (root / sub).mkdir(parents=True)
    for index in range(count):
        image, trimap = make_image(size, size, seed=index)
        cv2.imwrite(str(root / 'images' / f'{index:05d}.jpg'), image)
        cv2.imwrite(str(root / 'trimaps' / f'{index:05d}.png'), trimap)


def save_weights(path: Path) -> None:
    """Random weights of the default config (the same time as trained
    ones), and their fast network converted into the cache (so that no run
    pays the conversion)."""
    import torch

    from indexnet_plugin.apis import init_model, init_predictor
    from indexnet_plugin.testing import randomise_weights
    model = randomise_weights(init_model(None, None), seed=0)
    torch.save({'meta': {}, 'state_dict': model.state_dict()}, path)
    init_predictor(None, path)


def run(name: str, root: Path, weights: Path) -> Dict[str, float]:
    """One command on the folder; its wall time and steady rate."""
    flags, env = RUNS[name]
    out = root / f'out-{name}'
    command = [
        sys.executable, '-m', 'indexnet_plugin.apis.cli',
        str(root / 'images'),
        str(root / 'trimaps'), '--checkpoint',
        str(weights), '-o',
        str(out), '--quiet', *flags
    ]
    start = time.perf_counter()
    subprocess.run(command, check=True, env={**os.environ, **env})
    wall = time.perf_counter() - start
    times = sorted(path.stat().st_mtime for path in out.glob('*.png'))
    steady = (len(times) - 1) / (times[-1] - times[0])
    return dict(wall=wall, count=len(times), steady=steady,
                startup=wall - len(times) / steady)


class IdleWorker:
    """A worker that predicts nothing: its rows, at once."""

    def __call__(self, batch):
        images = [image for chunk in batch['images'] for image in chunk]
        return dict(image=images, status=['written'] * len(images),
                    lines=[[] for _ in images])


def pipeline_cost(count: int) -> float:
    """Seconds per image of Ray's pipeline alone on 2 local workers, after
    the first row."""
    from indexnet_plugin.apis.distributed import ray_batch
    ray_batch.connect(None, workers=2)
    import ray
    pairs = [(Path(f'/made/up/{i}.jpg'), Path(f'/made/up/{i}.png'))
             for i in range(count)]
    dataset = ray_batch.build_dataset(pairs, 4, 2, 1, {}, IdleWorker)
    rows = iter(dataset.iter_rows())
    next(rows)
    start = time.perf_counter()
    rest = sum(1 for _ in rows)
    seconds = (time.perf_counter() - start) / rest
    ray.shutdown()
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--images', type=int, default=64)
    parser.add_argument('--size', type=int, default=320)
    parser.add_argument('--runs', nargs='+', default=list(RUNS),
                        choices=list(RUNS))
    parser.add_argument('--pipeline-images', type=int, default=4000)
    args = parser.parse_args()
    print(f'load average before: {os.getloadavg()}')
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        # Every run's (and worker's) cache of converted networks.
        os.environ['INDEXNET_PLUGIN_CACHE_DIR'] = str(root / 'cache')
        make_folder(root, args.images, args.size)
        save_weights(root / 'weights.pth')
        for name in args.runs:
            results[name] = run(name, root, root / 'weights.pth')
            print(f'{name}: done, load {os.getloadavg()[0]:.2f}', flush=True)
        reference = sorted((root / f'out-{args.runs[0]}').glob('*.png'))
        identical: List[str] = [
            name for name in args.runs[1:] if all(
                filecmp.cmp(path, root / f'out-{name}' / path.name,
                            shallow=False) for path in reference)
        ]
    print(f'\n{args.images} images of {args.size}x{args.size}, fast path '
          '(default backend)')
    print(f"{'run':<10} {'wall s':>7} {'img/s':>6} {'steady img/s':>13} "
          f"{'start-up s':>11}")
    for name, result in results.items():
        print(f"{name:<10} {result['wall']:7.1f} "
              f"{result['count'] / result['wall']:6.2f} "
              f"{result['steady']:13.2f} {result['startup']:11.1f}")
    if {'ray-1', 'ray-2'} <= results.keys():
        print(f"ray-2 / ray-1 steady: "
              f"{results['ray-2']['steady'] / results['ray-1']['steady']:.2f}x")
    if {'ray-1', 'single-1t'} <= results.keys():
        overhead = 1 / results['ray-1']['steady'] - 1 / results[
            'single-1t']['steady']
        print(f'Ray per-image overhead (ray-1 - single-1t, steady): '
              f'{overhead * 1000:.0f} ms')
    pipeline = pipeline_cost(args.pipeline_images)
    print(f"Ray's pipeline alone ({args.pipeline_images} made-up paths, 2 "
          f'idle workers): {pipeline * 1000:.2f} ms per image')
    print(f"alphas byte-identical to {args.runs[0]}'s: "
          f"{', '.join(identical) or 'none'} (of {', '.join(args.runs[1:])})")
    print(f'load average after: {os.getloadavg()}')


if __name__ == '__main__':
    main()
