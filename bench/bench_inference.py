"""Inference speed, peak memory and alpha: ours on onnxruntime, on OpenVINO
and (given a file) int8 on OpenVINO, against mmedit 1.0.0rc7's IndexNet.

One run, same weights (``--checkpoint``, or the tests' random ones:
indexnet_plugin.testing; saved once and loaded by every worker), same image
and trimap (a smooth random picture, a trimap with an unknown band around an
ellipse). Every measurement runs in a fresh subprocess so that its peak
resident memory (``ru_maxrss``) is its own.

Compared, per size (``--sizes``, 512, 1024 and 2048 by default):

* ``mmedit``: its IndexNet built from its own config, ``test_step`` under
  ``torch.no_grad`` (exactly what ``mim test`` runs per image), the
  reference of every alpha difference and speed-up;
* ``openvino-cold`` (smallest size only, measured first): ``init_predictor``
  with an empty cache, so its setup exports the ONNX graph and converts it
  (once per weights, in a fresh cache folder of this run);
* ``onnxruntime``, ``openvino``: ``init_predictor(backend=...)`` with the
  cached graph or converted model and a memory budget of ``--max-memory``
  GB (with the default 2 GB, 512x512 and 1024x1024 run whole, 2048x2048 in
  tiles);
* ``int8`` (with ``--int8 FILE.xml``, an int8 IR of ``tools/quantize.py``):
  ``init_exported_predictor(FILE, backend='openvino')``, compared with
  ``openvino`` too (give ``--checkpoint`` the weights it was quantized
  from, or that difference means nothing);
* ``*-whole`` (largest size only): the same with a budget that never tiles.

Times are the best of ``--reps`` runs (one from 2048x2048 up), wall clock
and process CPU, and the wall time of the first run (``first``: OpenVINO's
includes its compilation for the input's shape, about 0.5 s). The one-time
cost of building the predictor is printed separately (``setup``). The
machine is shared, so wall times are noisy: prefer the CPU time ratios.

Run: ``.venv/bin/python bench/bench_inference.py [--sizes 512 1024]
[--reps 3] [--int8 int8.xml --checkpoint model.pth]``.
"""
import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable, Dict, List

import numpy as np

MMEDIT_CONFIG = 'indexnet/indexnet_mobv2_1xb16-78k_comp1k.py'
# Sizes from this side up run once (mmedit takes 30-50 s each there); the
# time of a single OpenVINO run includes its compilation for the shape.
ONE_RUN_SIZE = 2048
# A budget (GB) under which no input of this benchmark tiles.
NEVER_TILES = 1024.0
# Pairs (expected faster, slower) whose speed and memory ratios are printed.
RATIO_PAIRS = (('openvino', 'onnxruntime'), ('int8', 'openvino'))


def make_image(height: int, width: int, seed: int):
    """Deterministic smooth BGR image and ellipse trimap of (height, width)."""
    import cv2
    rng = np.random.default_rng(seed)
    coarse = rng.integers(0, 256, (16, 16, 3), dtype=np.uint8)
    image = cv2.resize(coarse, (width, height), interpolation=cv2.INTER_CUBIC)
    trimap = np.zeros((height, width), np.uint8)
    centre, axes = (width // 2, height // 2), (width // 3, height // 4)
    band = max(4, min(height, width) // 32)
    cv2.ellipse(trimap, centre, axes, 0, 0, 360, 255, -1)
    cv2.ellipse(trimap, centre, axes, 0, 0, 360, 128, band)
    return image, trimap


def make_inputs(size: int):
    """Deterministic smooth BGR image and ellipse trimap of a square size."""
    return make_image(size, size, seed=size)


def mmedit_model():
    """mmedit's IndexNet from its own config (no pretrained download)."""
    import mmedit
    from mmedit.registry import MODELS
    from mmengine.config import Config
    from mmengine.registry import init_default_scope
    init_default_scope('mmedit')
    root = Path(mmedit.__file__).parent / '.mim' / 'configs'
    cfg = Config.fromfile(str(root / MMEDIT_CONFIG)).model
    cfg.backbone.encoder.pop('init_cfg', None)
    return MODELS.build(cfg).eval()


def save_weights(path: Path) -> None:
    """The tests' random weights (fan-in scaled convolutions, batch-norm
    statistics far from the identity)."""
    import torch

    from indexnet_plugin.testing import randomise_weights
    model = randomise_weights(mmedit_model(), seed=0)
    torch.save({'meta': {}, 'state_dict': model.state_dict()}, path)


def implementations(size: int, sizes: List[int], int8: bool) -> List[str]:
    """What is measured at ``size``, in order (see the module docstring)."""
    ours = ['onnxruntime', 'openvino'] + (['int8'] if int8 else [])
    return (['mmedit'] + (['openvino-cold'] if size == min(sizes) else []) +
            ours + ([f'{impl}-whole' for impl in ours]
                    if size == max(sizes) else []))


def mmedit_predictor(weights: str) -> Callable[[np.ndarray, np.ndarray],
                                               np.ndarray]:
    """mmedit's prediction of an (image, trimap) pair; its model built here,
    alone: importing indexnet_plugin would add its ~106 MB to mmedit's peak
    memory (measured after building the model)."""
    import torch
    from mmedit.structures import EditDataSample
    model = mmedit_model()
    # A local checkpoint of the user's (mmengine's hold a config object).
    model.load_state_dict(
        torch.load(weights, map_location='cpu',
                   weights_only=False)['state_dict'])

    def predict(image: np.ndarray, trimap: np.ndarray) -> np.ndarray:
        sample = EditDataSample(ori_merged_shape=image.shape)
        sample.trimap = torch.from_numpy(trimap)[None].float()
        sample.ori_trimap = torch.from_numpy(trimap)[None]
        data = dict(inputs=[torch.from_numpy(image).permute(2, 0, 1)],
                    data_samples=[sample])
        with torch.no_grad():
            return model.test_step(data)[0].output.pred_alpha.data.numpy()

    return predict


def mmedit_predict(weights: str, image: np.ndarray,
                   trimap: np.ndarray) -> Callable[[], np.ndarray]:
    """:func:`mmedit_predictor` of one pair, ready to call."""
    predict = mmedit_predictor(weights)
    return lambda: predict(image, trimap)


def our_predictor(impl: str, weights: str, int8: str, max_memory: float):
    """Our predictor of ``impl`` (``'openvino-cold'`` differs from
    ``'openvino'`` only by the cache being empty)."""
    budget = NEVER_TILES if impl.endswith('-whole') else max_memory
    backend = impl.split('-')[0]
    if backend == 'int8':
        from indexnet_plugin.apis import init_exported_predictor
        predictor = init_exported_predictor(int8, backend='openvino',
                                            max_memory=budget)
        assert predictor.precision == 'int8', predictor.precision
        backend = 'openvino'
    else:
        from indexnet_plugin.apis import init_predictor
        predictor = init_predictor(None, weights, backend=backend,
                                   max_memory=budget)
    assert predictor.backend == backend, (predictor.backend, backend)
    return predictor


def worker(impl: str, size: int, reps: int, weights: str, int8: str,
           max_memory: float, out: str) -> None:
    """Time one implementation in this process; write times, rss, alpha."""
    image, trimap = make_inputs(size)
    start = time.perf_counter()
    if impl == 'mmedit':
        predict = mmedit_predict(weights, image, trimap)
    else:
        predictor = our_predictor(impl, weights, int8, max_memory)

        def predict():
            return predictor.predict(image, trimap)
    setup = time.perf_counter() - start
    walls, cpus = [], []
    for _ in range(reps):
        wall, cpu = time.perf_counter(), time.process_time()
        alpha = predict()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    np.save(out + '.npy', alpha)
    result = dict(
        impl=impl, size=size, first=walls[0], wall=min(walls), cpu=min(cpus),
        setup=setup,
        maxrss_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    Path(out + '.json').write_text(json.dumps(result))


def measure(impl: str, size: int, reps: int, weights: Path, int8: str,
            max_memory: float, tmp: Path) -> dict:
    """Run :func:`worker` in a fresh subprocess and read its results."""
    out = str(tmp / f'{impl}-{size}')
    subprocess.run([
        sys.executable, __file__, '--worker', impl, str(size), str(reps),
        str(weights), int8, str(max_memory), out
    ], check=True)
    result = json.loads(Path(out + '.json').read_text())
    result['alpha'] = np.load(out + '.npy')
    return result


def alpha_difference(alpha: np.ndarray, reference: np.ndarray) -> str:
    """Largest difference in uint8 levels and the share of pixels differing."""
    difference = np.abs(alpha.astype(int) - reference)
    return (f'max {difference.max()} levels, '
            f'{(difference > 0).mean():.4%} pixels differ')


def print_ratios(size: int, results: Dict[str, dict]) -> None:
    """Speed and memory of each of :data:`RATIO_PAIRS` measured at
    ``size``, and int8's alpha against fp32 OpenVINO's."""
    for faster, slower in RATIO_PAIRS:
        for mode in ('', '-whole'):
            if faster + mode not in results or slower + mode not in results:
                continue
            a, b = results[faster + mode], results[slower + mode]
            alpha = (f"  alpha {alpha_difference(a['alpha'], b['alpha'])}"
                     if faster == 'int8' else '')
            print(f"{size:>5} {faster + mode} vs {slower + mode}: wall "
                  f"{b['wall'] / a['wall']:4.2f}x cpu "
                  f"{b['cpu'] / a['cpu']:4.2f}x memory "
                  f"{a['maxrss_mb'] / b['maxrss_mb']:4.2f}x{alpha}",
                  flush=True)


def print_table(size: int, results: Dict[str, dict]) -> None:
    """One line per implementation; ratios against mmedit's."""
    reference = results['mmedit']
    for impl, r in results.items():
        print(f"{size:>5} {impl:<17} wall {r['wall']:7.2f}s "
              f"cpu {r['cpu']:7.2f}s first {r['first']:7.2f}s "
              f"setup {r['setup']:5.1f}s "
              f"peak {r['maxrss_mb']:7.0f} MB  speed-up wall "
              f"{reference['wall'] / r['wall']:4.2f}x cpu "
              f"{reference['cpu'] / r['cpu']:4.2f}x  memory "
              f"{r['maxrss_mb'] / reference['maxrss_mb']:4.2f}x  "
              f"alpha vs mmedit: "
              f"{alpha_difference(r['alpha'], reference['alpha'])}",
              flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--sizes', type=int, nargs='+',
                        default=[512, 1024, 2048])
    parser.add_argument('--reps', type=int, default=2,
                        help='runs per size below 2048 (from there: one)')
    parser.add_argument(
        '--max-memory', type=float, default=2.0,
        help="GB: ours' memory budget, which forces tiles at 2048x2048")
    parser.add_argument('--checkpoint', default='',
                        help='weights (default: random, as the tests)')
    parser.add_argument('--int8', default='',
                        help="an int8 '.xml' of tools/quantize.py to compare")
    parser.add_argument('--worker', nargs=7, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        impl, size, reps, weights, int8, max_memory, out = args.worker
        worker(impl, int(size), int(reps), weights, int8, float(max_memory),
               out)
        return
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        weights = args.checkpoint or tmp / 'weights.pth'
        if not args.checkpoint:
            save_weights(weights)
        os.environ['INDEXNET_PLUGIN_CACHE_DIR'] = str(tmp / 'onnx_cache')
        for size in sorted(args.sizes):
            reps = 1 if size >= ONE_RUN_SIZE else args.reps
            results = {
                impl: measure(impl, size, reps, weights, args.int8,
                              args.max_memory, tmp)
                for impl in implementations(size, args.sizes,
                                            bool(args.int8))
            }
            print_table(size, results)
            print_ratios(size, results)


if __name__ == '__main__':
    main()
