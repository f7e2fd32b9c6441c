"""Peak memory of one prediction per network-input pixel, per backend.

Measures what :mod:`indexnet_plugin.apis.inference.memory` budgets for: the
memory a whole-image prediction adds on top of a ready predictor. Each (path, size)
runs in a fresh subprocess: the predictor is built (``openvino`` and
``onnxruntime``: batch norms folded, the cached converted model or ONNX
graph; ``plain``: the PyTorch network), warmed up on a 64x64 image, then
the resident set is read (``VmRSS``), its high-water mark reset
(``/proc/self/clear_refs``, Linux >= 4.0), one whole square image
predicted and the new high-water mark read (``VmHWM``). The difference per pixel is printed for each size and, fitted
by least squares against the network input's pixel count, gives bytes per
pixel and a fixed part.

Run: ``.venv/bin/python bench/bench_memory.py [--checkpoint model.pth]``
(random weights by default: memory does not depend on their values).
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Callable

import numpy as np

from bench_inference import make_inputs

PATHS = ('plain', 'onnxruntime', 'openvino')


def _status_kb(key: str) -> int:
    """A ``kB`` field of ``/proc/self/status``."""
    with open('/proc/self/status') as status:
        for line in status:
            if line.startswith(key + ':'):
                return int(line.split()[1])
    raise KeyError(key)


def added_peak_mb(run: Callable[[], object]) -> float:
    """Peak memory (MB) that ``run()`` adds to this process's resident set."""
    baseline = _status_kb('VmRSS')
    with open('/proc/self/clear_refs', 'w') as clear_refs:
        clear_refs.write('5')  # reset VmHWM to the current VmRSS
    run()
    return (_status_kb('VmHWM') - baseline) / 1024


def worker(path: str, size: int, checkpoint: str, out: str) -> None:
    """Peak memory of one whole-image prediction of ``size``x``size``."""
    from indexnet_plugin.apis import init_predictor
    fast = path != 'plain'
    predictor = init_predictor(
        None, checkpoint or None, fast=fast,
        backend=path if fast else 'auto', max_memory=1024)
    assert predictor.backend == path, (predictor.backend, path)
    predictor.predict(*make_inputs(64))
    image, trimap = make_inputs(size)
    added = added_peak_mb(lambda: predictor.predict(image, trimap))
    Path(out).write_text(json.dumps(dict(path=path, size=size,
                                         added_mb=added)))


def measure(path: str, size: int, checkpoint: str, tmp: Path) -> float:
    """Run :func:`worker` in a fresh process; the added peak in MB."""
    out = tmp / f'{path}-{size}.json'
    subprocess.run([
        sys.executable, __file__, '--worker', path, str(size), checkpoint,
        str(out)
    ], check=True)
    return json.loads(out.read_text())['added_mb']


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--checkpoint', default='',
                        help='weights (default: random)')
    parser.add_argument('--sizes', type=int, nargs='+',
                        default=[512, 1024, 1536])
    parser.add_argument('--paths', nargs='+', choices=PATHS, default=PATHS)
    parser.add_argument('--worker', nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        path, size, checkpoint, out = args.worker
        worker(path, int(size), checkpoint, out)
        return
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        os.environ.setdefault('INDEXNET_PLUGIN_CACHE_DIR',
                              str(tmp / 'onnx_cache'))
        for path in args.paths:
            pixels = np.array([s * s for s in args.sizes], float)
            added = np.array(
                [measure(path, s, args.checkpoint, tmp) for s in args.sizes])
            for size, mb in zip(args.sizes, added):
                print(f'{path:<6} {size:>5}x{size:<5} added peak {mb:8.1f} MB'
                      f'  {mb * 2**20 / (size * size):6.1f} bytes/pixel',
                      flush=True)
            if len(args.sizes) > 1:
                slope, intercept = np.polyfit(pixels, added * 2**20, 1)
                print(f'{path:<6} fit: {slope:.1f} bytes/pixel + '
                      f'{intercept / 2**20:.1f} MB', flush=True)


if __name__ == '__main__':
    main()
