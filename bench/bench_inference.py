"""Inference speed and peak memory: ours (OpenVINO, onnxruntime) against
mmedit 1.0.0rc7's IndexNet.

One run, same weights (random, as the tests': indexnet_plugin.testing; saved
once and loaded by both), same image and trimap (a smooth random picture, a
trimap with an unknown band around an ellipse). Every measurement runs in a
fresh subprocess so that its peak resident memory (``ru_maxrss``) is its own.

Compared, per size (512, 1024, 2048 by default):

* ``mmedit``: its IndexNet built from its own config, ``test_step`` under
  ``torch.no_grad`` (exactly what ``mim test`` runs per image);
* ``openvino-cold`` (smallest size only, measured first): ``init_predictor``
  with an empty cache, so its setup exports the ONNX graph and compiles it
  (once per weights, in a fresh cache folder of this run);
* ``onnxruntime``, ``openvino``: ``init_predictor(backend=...)`` with the
  cached graph or compiled model and a memory budget of ``--max-memory``
  GB (with the default 2 GB, 512x512 and 1024x1024 run whole, 2048x2048 in
  tiles);
* ``onnxruntime-whole``, ``openvino-whole`` (largest size only): the same
  with a budget that never tiles.

Times are the best of ``--reps`` runs (one at the largest size), wall clock
and process CPU; the one-time cost of building the fast network is printed
separately (``setup``). The machine is shared, so wall times are noisy:
prefer the CPU time ratio. Run: ``.venv/bin/python bench/bench_inference.py``.
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

import numpy as np

MMEDIT_CONFIG = 'indexnet/indexnet_mobv2_1xb16-78k_comp1k.py'


def make_inputs(size: int):
    """Deterministic smooth BGR image and ellipse trimap of a square size."""
    import cv2
    rng = np.random.default_rng(size)
    coarse = rng.integers(0, 256, (16, 16, 3), dtype=np.uint8)
    image = cv2.resize(coarse, (size, size), interpolation=cv2.INTER_CUBIC)
    trimap = np.zeros((size, size), np.uint8)
    centre, axes = (size // 2, size // 2), (size // 3, size // 4)
    cv2.ellipse(trimap, centre, axes, 0, 0, 360, 255, -1)
    cv2.ellipse(trimap, centre, axes, 0, 0, 360, 128, max(4, size // 32))
    return image, trimap


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


def worker(impl: str, size: int, reps: int, weights: str, max_memory: float,
           out: str) -> None:
    """Time one implementation in this process; write times, rss, alpha."""
    import torch
    image, trimap = make_inputs(size)
    start = time.perf_counter()
    if impl == 'mmedit':
        # mmedit alone: importing indexnet_plugin here would add its ~106 MB
        # to mmedit's peak memory (measured after building the model).
        from mmedit.structures import EditDataSample
        model = mmedit_model()
        model.load_state_dict(torch.load(weights)['state_dict'])

        def predict():
            sample = EditDataSample(ori_merged_shape=image.shape)
            sample.trimap = torch.from_numpy(trimap)[None].float()
            sample.ori_trimap = torch.from_numpy(trimap)[None]
            data = dict(
                inputs=[torch.from_numpy(image).permute(2, 0, 1)],
                data_samples=[sample])
            with torch.no_grad():
                return model.test_step(data)[0].output.pred_alpha.data.numpy()
    else:
        from indexnet_plugin.apis import init_predictor
        # openvino-cold differs from openvino only by the cache being empty.
        backend = impl.split('-')[0]
        predictor = init_predictor(
            None, weights, backend=backend,
            max_memory=1024 if impl.endswith('-whole') else max_memory)
        assert predictor.backend == backend, (predictor.backend, backend)

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
        impl=impl, size=size, wall=min(walls), cpu=min(cpus), setup=setup,
        maxrss_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    Path(out + '.json').write_text(json.dumps(result))


def measure(impl: str, size: int, reps: int, weights: Path,
            max_memory: float, tmp: Path) -> dict:
    """Run :func:`worker` in a fresh subprocess and read its results."""
    out = str(tmp / f'{impl}-{size}')
    subprocess.run([
        sys.executable, __file__, '--worker', impl, str(size), str(reps),
        str(weights), str(max_memory), out
    ], check=True)
    result = json.loads(Path(out + '.json').read_text())
    result['alpha'] = np.load(out + '.npy')
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--sizes', type=int, nargs='+',
                        default=[512, 1024, 2048])
    parser.add_argument('--reps', type=int, default=2)
    parser.add_argument(
        '--max-memory', type=float, default=2.0,
        help="GB: ours' memory budget, which forces tiles at 2048x2048")
    parser.add_argument('--worker', nargs=6, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        impl, size, reps, weights, max_memory, out = args.worker
        worker(impl, int(size), int(reps), weights, float(max_memory), out)
        return
    largest = max(args.sizes)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        weights = tmp / 'weights.pth'
        save_weights(weights)
        os.environ['INDEXNET_PLUGIN_CACHE_DIR'] = str(tmp / 'onnx_cache')
        smallest = min(args.sizes)
        for size in sorted(args.sizes):
            reps = 1 if size == largest else args.reps
            impls = (['mmedit'] +
                     (['openvino-cold'] if size == smallest else []) +
                     ['onnxruntime', 'openvino'] +
                     (['onnxruntime-whole', 'openvino-whole']
                      if size == largest else []))
            results = {
                i: measure(i, size, reps, weights, args.max_memory, tmp)
                for i in impls
            }
            reference = results['mmedit']
            if 'onnxruntime' in results:
                ov, ort = results['openvino'], results['onnxruntime']
                print(f"{size:>5} openvino vs onnxruntime: wall "
                      f"{ort['wall'] / ov['wall']:4.2f}x cpu "
                      f"{ort['cpu'] / ov['cpu']:4.2f}x", flush=True)
            for impl, r in results.items():
                diff = np.abs(r['alpha'].astype(int) - reference['alpha'])
                print(f"{size:>5} {impl:<17} wall {r['wall']:7.2f}s "
                      f"cpu {r['cpu']:7.2f}s setup {r['setup']:5.1f}s "
                      f"peak {r['maxrss_mb']:7.0f} MB  speed-up wall "
                      f"{reference['wall'] / r['wall']:4.2f}x cpu "
                      f"{reference['cpu'] / r['cpu']:4.2f}x  memory "
                      f"{r['maxrss_mb'] / reference['maxrss_mb']:4.2f}x  "
                      f'alpha vs mmedit: max {diff.max()} levels, '
                      f'{(diff > 0).mean():.4%} pixels differ', flush=True)


if __name__ == '__main__':
    main()
