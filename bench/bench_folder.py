"""Folder speed: ``indexnet-predict`` on folders of images of different
sizes, per image, OpenVINO fp32 and int8, onnxruntime and mmedit's model.

A folder of photos has many sizes. OpenVINO compiled its network for each
new input shape (0.4-0.7 s, int8 0.8-1.3 s), so the one-size figures of
``bench/bench_inference.py`` overstated its lead there; it now runs inputs
of up to 1280x1024 on one model compiled for dynamic shapes, and keeps
compiled models across runs
(:mod:`indexnet_plugin.apis.runtimes.openvino_network`).
Two sets of inputs, generated here (seeded smooth images with ellipse
trimaps, as ``bench_inference.make_image`` makes them), written as files
(``.jpg`` images, ``.png`` trimaps) into a temporary folder:

* ``photos``: five sizes of real photos, portrait and landscape, from
  502x1120 to 1280x1920 (:data:`PHOTO_SIZES`, H x W);
* ``mixed``: 50 images of 20 sizes (:func:`mixed_sizes`), in a seeded order
  (a folder sorted by name meets its sizes in no particular order).

Each implementation runs in a process of its own, once on a one-image
folder first (warm caches: the cached ONNX graph and converted model, the
files in the page cache), then on each set:

* ``mmedit``: its IndexNet built from its own config
  (``bench_inference.mmedit_predictor``), each pair read with OpenCV,
  ``test_step`` under ``torch.no_grad``, the alpha written as a PNG: what
  a folder costs with mmedit's model;
* ``onnxruntime``, ``openvino``: ``indexnet-predict IMAGES TRIMAPS
  --checkpoint W --backend B`` run in the process (its console entry point);
* ``int8``: ``indexnet-predict --model-file int8.xml``, an int8 file of
  ``tools/quantize.py`` made from the same weights (every layer int8, as on
  the demo model), made once into ``--work-dir`` and reused.

Per image: the folder's wall time after the predictor is ready (reading,
prediction, writing) divided by its images, and the part of it spent
compiling OpenVINO models (``openvino.Core.compile_model``, its
``import_model`` of a cached one and ``CompiledModel.create_infer_request``,
timed from here, not in the library); the rest is printed as ``other``.
``setup`` is the process's time before the first image (imports, weights,
the self-check), ``process`` its whole wall time. Ratios are printed side
by side from one run; every implementation's alphas are compared with
mmedit's. The machine is shared: note the load average printed with the
figures.

``--runs 2`` runs OpenVINO's implementations over each folder a second
time (a new process, the same cache folder) and reports that run, marked
``(run 2)``: the compiled models of the first run are imported from the
cache (:mod:`indexnet_plugin.apis.runtimes.compiled_cache`), as when a
folder of a camera's sizes is run again.

Run: ``.venv/bin/python bench/bench_folder.py [--sets photos mixed]
[--impls mmedit onnxruntime openvino int8] [--runs 2] [--checkpoint
model.pth --int8 int8.xml]``.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Dict, List, Sequence, Tuple

import numpy as np

from bench_inference import make_image, mmedit_predictor, save_weights

REPO = Path(__file__).resolve().parents[1]
# (height, width) of the photos set: Comp-1k-like photo sizes, portrait and
# landscape, 0.56 to 2.46 megapixels.
PHOTO_SIZES = ((502, 1120), (1080, 720), (1000, 1500), (1920, 1080),
               (1280, 1920))
MIXED_IMAGES, MIXED_SIZES = 50, 20
# Long side and aspect ratios of the mixed set's photos.
MIXED_LONG_SIDE = (640, 1280)
MIXED_ASPECTS = (4 / 3, 3 / 2, 16 / 9, 1.0)
SIZE_DIVISOR = 32  # distinct network input sizes, see mixed_sizes
WARM_UP_SIZE = (320, 416)  # in neither set
SEED = 29
IMPLEMENTATIONS = ('mmedit', 'onnxruntime', 'openvino', 'int8')
COMPILING = ('openvino', 'int8')  # what --runs repeats
# (faster, slower) pairs whose per-image time ratios are printed.
RATIO_PAIRS = (('openvino', 'onnxruntime'), ('openvino', 'mmedit'),
               ('int8', 'openvino'), ('int8', 'mmedit'))
# tools/quantize.py on the tiny synthetic Comp-1k: every layer int8.
QUANTIZE_CROPS = 8


def mixed_sizes(seed: int = SEED) -> List[Tuple[int, int]]:
    """:data:`MIXED_IMAGES` (height, width) of :data:`MIXED_SIZES` sizes
    whose network inputs differ, each size two or three times, shuffled."""
    rng = np.random.default_rng(seed)
    sizes, shapes = [], set()
    while len(sizes) < MIXED_SIZES:
        long_side = int(rng.integers(*MIXED_LONG_SIDE))
        short = int(long_side / rng.choice(MIXED_ASPECTS)) + int(
            rng.integers(-8, 9))
        size = (long_side, short) if rng.random() < 0.5 else (short,
                                                              long_side)
        shape = tuple(side // SIZE_DIVISOR for side in size)
        if shape not in shapes:
            shapes.add(shape)
            sizes.append(size)
    repeats = [sizes[i % MIXED_SIZES] for i in range(MIXED_IMAGES)]
    return [repeats[i] for i in rng.permutation(MIXED_IMAGES)]


def write_folder(root: Path, sizes: Sequence[Tuple[int, int]]) -> Path:
    """``root/images/NNN.jpg`` and ``root/trimaps/NNN.png``, one per size."""
    import cv2
    for folder in ('images', 'trimaps'):
        (root / folder).mkdir(parents=True)
    for index, (height, width) in enumerate(sizes):
        image, trimap = make_image(height, width, seed=SEED + index)
        cv2.imwrite(str(root / 'images' / f'{index:03d}.jpg'), image,
                    [cv2.IMWRITE_JPEG_QUALITY, 95])
        cv2.imwrite(str(root / 'trimaps' / f'{index:03d}.png'), trimap)
    return root


def int8_file(weights: Path, work_dir: Path) -> Path:
    """An int8 IR of ``weights`` by tools/quantize.py, made once."""
    out = work_dir / 'int8.xml'
    if out.is_file() and out.with_suffix('.bin').is_file():
        return out
    from indexnet_plugin.datasets.comp1k import build_demo_dataset
    root = build_demo_dataset(
        str(work_dir / 'comp1k'), num_train_fg=2, train_bg_per_fg=2,
        num_test_fg=1, test_bg_per_fg=1, min_size=(128, 128),
        max_size=(160, 192))
    subprocess.run([
        sys.executable, str(REPO / 'tools' / 'quantize.py'), str(weights),
        str(out), '--config', str(REPO / 'configs' / 'indexnet_demo.py'),
        '--crops', str(QUANTIZE_CROPS), '--validation-crops', '0',
        '--keep-fp32', '--cfg-options',
        f'train_dataloader.dataset.data_root={root}'
    ], check=True)
    return out


class Clock:
    """Times OpenVINO's compilations and the moment the predictor is ready,
    by wrapping library entry points in this process."""

    def __init__(self):
        self.compiling = 0.0
        self.ready = None

    def wrap(self, owner, name: str, on_return) -> None:
        original = getattr(owner, name)

        def timed(*args, **kwargs):
            start = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                on_return(start, time.perf_counter())

        setattr(owner, name, timed)

    def add_compilation(self, start: float, end: float) -> None:
        if self.ready is not None:  # the self-check's is part of setup
            self.compiling += end - start

    def set_ready(self, start: float, end: float) -> None:
        self.ready = end

    def install(self) -> None:
        from indexnet_plugin.apis import MattingPredictor
        self.wrap(MattingPredictor, '__init__', self.set_ready)
        try:
            import openvino
        except ImportError:
            return
        self.wrap(openvino.Core, 'compile_model', self.add_compilation)
        self.wrap(openvino.Core, 'import_model', self.add_compilation)
        self.wrap(openvino.CompiledModel, 'create_infer_request',
                  self.add_compilation)


def run_mmedit(folder: Path, out: Path, weights: str, clock: Clock) -> None:
    """mmedit's model over the folder's pairs, one by one."""
    import cv2
    predict = mmedit_predictor(weights)
    clock.ready = time.perf_counter()
    out.mkdir(parents=True, exist_ok=True)
    for image_path in sorted((folder / 'images').iterdir()):
        image = cv2.imread(str(image_path), cv2.IMREAD_COLOR)
        trimap = cv2.imread(str(folder / 'trimaps' / f'{image_path.stem}.png'),
                            cv2.IMREAD_GRAYSCALE)
        alpha = predict(image, trimap)
        cv2.imwrite(str(out / f'{image_path.stem}.png'),
                    alpha.astype(np.uint8))


def predict_argv(impl: str, folder: Path, out: Path, weights: str,
                 int8: str, max_memory: float) -> List[str]:
    """``indexnet-predict``'s arguments for one implementation."""
    source = (['--model-file', int8] if impl == 'int8' else
              ['--checkpoint', weights, '--backend', impl])
    return [str(folder / 'images'), str(folder / 'trimaps'), '-o', str(out),
            '--quiet', '--max-memory', str(max_memory)] + source


def run_ours(argv: List[str]) -> None:
    """``indexnet-predict`` as its console script runs it."""
    from importlib.metadata import entry_points
    (script, ) = entry_points(group='console_scripts', name='indexnet-predict')
    status = script.load()(argv)
    if status != 0:
        raise SystemExit(f'indexnet-predict {argv} exited with {status}')


def worker(impl: str, folder: str, out: str, weights: str, int8: str,
           max_memory: float, result: str) -> None:
    """One folder through one implementation; writes the timings."""
    start = time.perf_counter()
    clock = Clock()
    folder, out = Path(folder), Path(out)
    if impl == 'mmedit':
        run_mmedit(folder, out, weights, clock)
    else:
        clock.install()
        run_ours(predict_argv(impl, folder, out, weights, int8, max_memory))
    end = time.perf_counter()
    images = len(list((folder / 'images').iterdir()))
    Path(result).write_text(json.dumps(dict(
        images=images, setup=clock.ready - start,
        per_image=(end - clock.ready) / images,
        compiling=clock.compiling / images)))


def worker_command(*args: str) -> List[str]:
    """The command running :func:`worker` with ``args`` in a new process."""
    return [sys.executable, __file__, '--worker', *args]


def measure(impl: str, folder: Path, out: Path, args: argparse.Namespace,
            weights: Path, int8: str) -> dict:
    """Run one folder through ``impl`` in a fresh process."""
    result = out.with_suffix('.json')
    start = time.perf_counter()
    subprocess.run(worker_command(impl, str(folder), str(out), str(weights),
                                  int8, str(args.max_memory), str(result)),
                   check=True)
    measured = json.loads(result.read_text())
    measured['process'] = time.perf_counter() - start
    return measured


def measure_runs(impl: str, folder: Path, out: Path,
                 args: argparse.Namespace, weights: Path, int8: str) -> dict:
    """:func:`measure` ``--runs`` times for OpenVINO's implementations
    (earlier runs into other folders: ours skip existing outputs), the
    last run's figures."""
    runs = args.runs if impl in COMPILING else 1
    for run in range(1, runs):
        measure(impl, folder, out.with_name(f'{out.name}-run{run}'), args,
                weights, int8)
    return dict(measure(impl, folder, out, args, weights, int8), run=runs)


def alpha_difference(out: Path, reference: Path) -> str:
    """Largest difference from the reference alphas in levels, over all."""
    import cv2
    largest, differing, pixels = 0, 0, 0
    for path in sorted(reference.glob('*.png')):
        a = cv2.imread(str(out / path.name), cv2.IMREAD_GRAYSCALE).astype(int)
        b = cv2.imread(str(path), cv2.IMREAD_GRAYSCALE)
        largest = max(largest, int(np.abs(a - b).max()))
        differing += int((a != b).sum())
        pixels += a.size
    return f'max {largest} levels, {differing / pixels:.4%} pixels differ'


def print_results(name: str, results: Dict[str, dict], outs: Dict[str, Path],
                  load: str) -> None:
    """One line per implementation, then the ratios of :data:`RATIO_PAIRS`."""
    for impl, r in results.items():
        alpha = ('  alpha vs mmedit: '
                 f"{alpha_difference(outs[impl], outs['mmedit'])}"
                 if 'mmedit' in results and impl != 'mmedit' else '')
        label = f'{impl} (run {r["run"]})' if r['run'] > 1 else impl
        print(f"{name:<7} {label:<16} per image {r['per_image']:6.2f}s "
              f"(compiling {r['compiling']:5.2f}s, other "
              f"{r['per_image'] - r['compiling']:5.2f}s)  setup "
              f"{r['setup']:5.1f}s  process {r['process']:6.1f}s{alpha}",
              flush=True)
    for faster, slower in RATIO_PAIRS:
        if faster in results and slower in results:
            a, b = results[faster], results[slower]
            a_rest = a['per_image'] - a['compiling']
            b_rest = b['per_image'] - b['compiling']
            print(f"{name:<7} {faster} vs {slower}: "
                  f"{b['per_image'] / a['per_image']:4.2f}x per image "
                  f"({b['per_image']:.2f}s / {a['per_image']:.2f}s); "
                  f"without compiling {b_rest / a_rest:4.2f}x "
                  f"({b_rest:.2f}s / {a_rest:.2f}s)", flush=True)
    print(f'{name:<7} load average: {load}', flush=True)


def load_average() -> str:
    return ' '.join(f'{x:.2f}' for x in os.getloadavg())


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--sets', nargs='+', choices=('photos', 'mixed'),
                        default=['photos', 'mixed'])
    parser.add_argument('--impls', nargs='+', choices=IMPLEMENTATIONS,
                        default=list(IMPLEMENTATIONS))
    parser.add_argument('--checkpoint', default='',
                        help='weights (default: random, as the tests)')
    parser.add_argument('--int8', default='',
                        help="int8 '.xml' of --checkpoint's weights "
                        '(default: made once into --work-dir)')
    parser.add_argument(
        '--work-dir', default=str(Path.home() / '.cache' / 'indexnet_plugin'
                                  / 'bench_folder'),
        help='where the random weights and their int8 file are kept')
    parser.add_argument('--max-memory', type=float, default=8.0,
                        help='GB: the memory budget (every image whole)')
    parser.add_argument('--runs', type=int, default=1,
                        help="runs of OpenVINO's implementations over each "
                        'folder, the last reported (2: compiled cache warm)')
    parser.add_argument('--worker', nargs=7, help=argparse.SUPPRESS)
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    if args.worker:
        *strings, max_memory, result = args.worker
        worker(*strings, float(max_memory), result)
        return
    work_dir = Path(args.work_dir)
    work_dir.mkdir(parents=True, exist_ok=True)
    weights = Path(args.checkpoint or work_dir / 'weights.pth')
    if not weights.is_file():
        save_weights(weights)
    int8 = ''
    if 'int8' in args.impls:
        int8 = args.int8 or str(int8_file(weights, work_dir))
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        os.environ['INDEXNET_PLUGIN_CACHE_DIR'] = str(tmp / 'cache')
        sets = dict(warm_up=[WARM_UP_SIZE], photos=PHOTO_SIZES,
                    mixed=mixed_sizes())
        for name in ['warm_up'] + args.sets:
            folder = write_folder(tmp / name, sets[name])
            outs = {impl: tmp / f'{name}-{impl}' for impl in args.impls}
            results = {impl: measure_runs(impl, folder, outs[impl], args,
                                          weights, int8)
                       for impl in args.impls}
            if name != 'warm_up':
                print_results(name, results, outs, load_average())


if __name__ == '__main__':
    main()
