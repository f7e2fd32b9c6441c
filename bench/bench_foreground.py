"""Foreground estimation: colour error and time, against the network's time.

One run prints, side by side:

* error: on held-out synthetic composites with known foreground
  (:func:`~indexnet_plugin.datasets.comp1k.synthetic.synthetic_composite`:
  hair strands, veil and sharp edges over textured, colourful backgrounds;
  seeds the dataset generator never uses), the alpha-weighted colour error
  over the semi-transparent region
  (:func:`~indexnet_plugin.apis.cutout.foreground.foreground_error`) of our
  :func:`~indexnet_plugin.apis.cutout.foreground.estimate_foreground` and of
  pymatting's ``estimate_foreground_ml`` (when installed), as ratios to the
  raw image colours', per image and in total;
* time at 1920x1080: the network (``init_predictor`` defaults: the fast
  network, random weights) and the estimation on the same composite, best of
  ``--reps`` runs each, interleaved, with the load average; pymatting's time
  too (its JIT compilation excluded).

Run: ``.venv/bin/python bench/bench_foreground.py``.
"""
import argparse
import os
import tempfile
import time

import numpy as np

from indexnet_plugin.apis.cutout.foreground import (estimate_foreground,
                                                    foreground_error)
from indexnet_plugin.datasets.comp1k.synthetic import synthetic_composite

try:
    from pymatting import estimate_foreground_ml
except ImportError:  # optional: only the comparison needs it
    estimate_foreground_ml = None

HELD_OUT_SEED = 2026  # the dataset generator's seeds are small integers


def pymatting_foreground(image: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    """pymatting's multi-level estimate as BGR uint8 (it is channel-order
    agnostic)."""
    estimate = estimate_foreground_ml(image / 255.0, alpha / 255.0)
    return np.round(np.clip(estimate, 0, 1) * 255).astype(np.uint8)


def errors(count: int) -> None:
    """Print the error ratios per composite and in total."""
    methods = {'ours': estimate_foreground}
    if estimate_foreground_ml is not None:
        methods['pymatting'] = pymatting_foreground
    totals = dict.fromkeys(['raw', *methods], 0.0)
    print('error over the semi-transparent region, ratio to raw colours:')
    for index in range(count):
        rng = np.random.default_rng([HELD_OUT_SEED, index])
        height, width = (int(v) for v in rng.integers(320, 481, 2))
        sample = synthetic_composite(rng, height, width)
        row = {
            'raw': foreground_error(sample.image, sample.foreground,
                                    sample.alpha)
        }
        for name, method in methods.items():
            row[name] = foreground_error(
                method(sample.image, sample.alpha), sample.foreground,
                sample.alpha)
        for name in totals:
            totals[name] += row[name]
        print(f'  {index:2d} {height}x{width}  ' + _ratios(row), flush=True)
    print('  total      ' + _ratios(totals))


def _ratios(row: dict) -> str:
    text = '  '.join(f'{name} {row[name] / row["raw"]:.3f}' for name in row
                     if name != 'raw')
    if 'pymatting' in row:
        text += f'  ours/pymatting {row["ours"] / row["pymatting"]:.3f}'
    return text


def best_time(function, reps: int) -> float:
    times = []
    for _ in range(reps):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return min(times)


def timing(reps: int) -> None:
    """Print the estimation's time against the network's at 1920x1080."""
    from indexnet_plugin.apis import init_predictor
    sample = synthetic_composite(
        np.random.default_rng([HELD_OUT_SEED, 1080]), 1080, 1920)
    trimap = np.full_like(sample.alpha, 128)
    trimap[sample.alpha == 0] = 0
    trimap[sample.alpha == 255] = 255
    with tempfile.TemporaryDirectory() as cache:
        os.environ['INDEXNET_PLUGIN_CACHE_DIR'] = cache
        predictor = init_predictor(None, None)
        predictor.predict(sample.image, trimap)  # warm-up
    candidates = {
        'network': lambda: predictor.predict(sample.image, trimap),
        'ours': lambda: estimate_foreground(sample.image, sample.alpha),
    }
    if estimate_foreground_ml is not None:
        pymatting_foreground(sample.image[:64, :64], sample.alpha[:64, :64])
        candidates['pymatting'] = lambda: pymatting_foreground(
            sample.image, sample.alpha)
    load = os.getloadavg()
    best = dict.fromkeys(candidates, float('inf'))
    for _ in range(reps):  # interleaved, so load changes hit all alike
        for name, function in candidates.items():
            best[name] = min(best[name], best_time(function, 1))
    network = best.pop('network')
    print(f'1920x1080, best of {reps}: network {network:.2f} s')
    for name, seconds in best.items():
        print(f'  {name:<9} {seconds:.2f} s = {seconds / network:.1%} of the '
              'network')
    print('load average (1, 5, 15 min) before / after: '
          f'{load[0]:.1f} {load[1]:.1f} {load[2]:.1f} / ' +
          ' '.join(f'{v:.1f}' for v in os.getloadavg()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        '--count',
        type=int,
        default=8,
        help='held-out composites for the error')
    parser.add_argument('--reps', type=int, default=3)
    args = parser.parse_args()
    if estimate_foreground_ml is None:
        print('pymatting is not installed: no comparison with '
              'estimate_foreground_ml (pip install pymatting)')
    errors(args.count)
    timing(args.reps)


if __name__ == '__main__':
    main()
