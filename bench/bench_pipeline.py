"""Time our IndexNet- and DIM-scheme training pipelines against MMEditing's.

Both pipelines come from MMEditing 1.0.0rc7's own IndexNet configs
(``indexnet_mobv2_1xb16-78k_comp1k.py`` and its ``-dimaug`` variant); ours
is the same list with the matting steps switched to ``indexnet_plugin.*``.
They run on the same generated Comp-1k-like samples (PNG files of 800x600 to
1920x1080), with the same seed per run, interleaved so that load from other
processes hits both alike. Prints per sample the time of the whole pipeline
(dominated by PNG decoding, which both share) and of each matting step, with
the ratio ours / mmedit (target <= 1.0). Each step's time is its fastest of
the repeats, the usual estimate of its own cost on a busy machine.

Usage: python bench/bench_pipeline.py [--repeats 5]
"""
import argparse
import copy
import os.path as osp
import tempfile
import time

import cv2
import numpy as np
from mmcv.transforms import Compose
from mmengine.config import Config
from mmengine.registry import init_default_scope

import indexnet_plugin  # noqa: F401  (registration)

SIZES = [(600, 800), (720, 1280), (1080, 1920)]  # (h, w)
OURS = {
    'GenerateTrimapWithDistTransform', 'CropAroundUnknown', 'GenerateTrimap'
}
CONFIGS = {
    'indexnet': 'indexnet/indexnet_mobv2_1xb16-78k_comp1k.py',
    'dim': 'indexnet/indexnet_mobv2-dimaug_1xb16-78k_comp1k.py',
}


def make_sample(root, name, h, w, seed):
    """Write alpha/fg/bg/merged PNGs of a soft ellipse with a noisy
    (hair-like) border covering ~10 % of the image; return the paths."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[:h, :w]
    dist = np.sqrt(((yy - h * rng.uniform(0.4, 0.6)) / (0.35 * h))**2 +
                   ((xx - w * rng.uniform(0.4, 0.6)) / (0.3 * w))**2)
    alpha = np.clip((1 - dist) * 2000, 0, 255)
    band = (dist > 0.85) & (dist < 1.15)
    alpha = np.clip(alpha + band * rng.normal(0, 80, (h, w)), 0, 255)
    alpha = alpha.astype(np.uint8)
    fg = cv2.GaussianBlur(
        rng.integers(0, 256, (h, w, 3), dtype=np.uint8), (0, 0), 3)
    bg = cv2.GaussianBlur(
        rng.integers(0, 256, (h, w, 3), dtype=np.uint8), (0, 0), 3)
    a = alpha[..., None] / 255
    merged = np.round(a * fg + (1 - a) * bg).astype(np.uint8)
    paths = {}
    for key, image in dict(alpha=alpha, fg=fg, bg=bg, merged=merged).items():
        paths[f'{key}_path'] = osp.join(root, f'{name}_{key}.png')
        cv2.imwrite(paths[f'{key}_path'], image)
    return paths


def pipelines(scheme):
    """(ours, mmedit's) transform lists of ``scheme``'s training config."""
    import mmedit
    path = osp.join(
        osp.dirname(mmedit.__file__), '.mim', 'configs', CONFIGS[scheme])
    theirs = Config.fromfile(path).train_pipeline
    ours = copy.deepcopy(theirs)
    for step in ours:
        if step['type'] in OURS:
            step['type'] = f'indexnet_plugin.{step["type"]}'
    return Compose(ours).transforms, Compose(theirs).transforms


def run_timed(transforms, sample, seed):
    """Run the transforms on a copy of ``sample``; return the seconds taken
    by each step."""
    np.random.seed(seed)
    results = copy.deepcopy(sample)
    times = []
    for transform in transforms:
        start = time.perf_counter()
        results = transform(results)
        times.append(time.perf_counter() - start)
    return times


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        '--repeats',
        type=int,
        default=5,
        help='runs per sample and pipeline (fastest kept)')
    args = parser.parse_args()
    init_default_scope('mmedit')
    print(f'OpenCV threads: {cv2.getNumThreads()}, repeats: {args.repeats}')
    with tempfile.TemporaryDirectory() as root:
        samples = [(f'{w}x{h}', make_sample(root, str(i), h, w, seed=i))
                   for i, (h, w) in enumerate(SIZES)]
        for scheme in CONFIGS:
            ours, theirs = pipelines(scheme)
            names = [type(t).__name__ for t in theirs]
            print(f'\n== {scheme} scheme: ' + ' -> '.join(names))
            totals = {'ours': 0., 'mmedit': 0.}
            matting = {'ours': 0., 'mmedit': 0.}
            for label, sample in samples:
                runs = {'ours': [], 'mmedit': []}
                for seed in range(args.repeats):
                    runs['ours'].append(run_timed(ours, sample, seed))
                    runs['mmedit'].append(run_timed(theirs, sample, seed))
                # fastest of each step over the runs (same seeds both sides)
                steps = {
                    who: [min(s) for s in zip(*r)]
                    for who, r in runs.items()
                }
                total = {who: sum(s) for who, s in steps.items()}
                for who in totals:
                    totals[who] += total[who]
                print(f'{label:>10}: ours {1e3 * total["ours"]:7.1f} ms  '
                      f'mmedit {1e3 * total["mmedit"]:7.1f} ms  ratio '
                      f'{total["ours"] / total["mmedit"]:.2f}')
                for name, t_ours, t_theirs in zip(names, steps['ours'],
                                                  steps['mmedit']):
                    if name in OURS:
                        matting['ours'] += t_ours
                        matting['mmedit'] += t_theirs
                        print(f'{"":>12}{name}: ours {1e3 * t_ours:6.2f} ms '
                              f' mmedit {1e3 * t_theirs:6.2f} ms  ratio '
                              f'{t_ours / t_theirs:.2f}')
            print(f'{"all":>10}: ratio ours / mmedit '
                  f'{totals["ours"] / totals["mmedit"]:.2f} (pipeline), '
                  f'{matting["ours"] / matting["mmedit"]:.2f} (matting '
                  'steps)')


if __name__ == '__main__':
    main()
