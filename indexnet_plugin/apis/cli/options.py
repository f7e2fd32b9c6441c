"""The command line of ``indexnet-predict``: its flags and their checks.

Numbers, the device and combinations of flags are checked before the model
loads, and every message names the flag as the user typed it.
"""
import argparse
import re
from typing import Optional, Sequence

import torch

from ...environment import version_report
from ..inference.memory import DEFAULT_SHARE
from ..inference.predictor import DEFAULT_BATCH_SIZE
from ..inference.tiling import DEFAULT_TILE_OVERLAP, DEFAULT_TILE_SIZE
from ..inputs.images import MAX_NON_TRIMAP_FRACTION, TRIMAP_VALUES
from ..inputs.mask import MIN_UNKNOWN_WIDTH, UNKNOWN_WIDTH_FRACTION
from ..inputs.person import (AUTO_MASK_KINDS, DEFAULT_MODEL,
                             DEFAULT_THRESHOLD, INSTALL_COMMAND, MODELS)
from ..inputs.trimap import RULE
from ..loading.exported import EXPORTED_BACKENDS
from ..distributed.ray_batch import CLIENT_PREFIX as RAY_CLIENT_PREFIX
from ..runtimes.selection import BACKENDS
from .video_options import add_video_options

MEGA = 1e6
# --ray without an address: a local cluster.
LOCAL_RAY = 'local'
# Arguments of the predictor as the flags that set them, for its messages.
FLAGS = {
    'batch_size': '--batch-size',
    'max_memory': '--max-memory',
    'tile_overlap': '--tile-overlap',
    'tile_size': '--tile-size',
}


def build_parser() -> argparse.ArgumentParser:
    """The parser of ``indexnet-predict``, its flags in groups."""
    parser = argparse.ArgumentParser(
        prog='indexnet-predict',
        description='Predict alpha mattes from images and trimaps, masks, '
        'an automatic person mask or a box around any object (files, or '
        'folders matched by file stem).',
        # keeps the version report one library per line
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        '--version', action='version', version=version_report())
    for add_group in (_guide_options, _model_options, _output_options,
                      add_video_options, _runtime_options, _ray_options,
                      _report_options):
        add_group(parser)
    return parser


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    """Parse the command line."""
    return build_parser().parse_args(argv)


def _guide_options(parser: argparse.ArgumentParser) -> None:
    """The images and their guide: a trimap, a mask, the person segmenter
    or a box."""
    parser.add_argument('image', help='image file or folder of images')
    parser.add_argument(
        'trimap', nargs='?', help='trimap file or folder of trimaps')
    guides = parser.add_argument_group('guides instead of a trimap')
    guides.add_argument(
        '--mask',
        help='binary or soft mask file or folder of masks, made into '
        'trimaps')
    guides.add_argument(
        '--auto-mask', choices=AUTO_MASK_KINDS,
        help='find the person with the bundled segmenter (MediaPipe selfie '
        f'segmentation; {INSTALL_COMMAND}) and make its mask a trimap as '
        '--mask does')
    guides.add_argument(
        '--auto-mask-model', choices=tuple(MODELS),
        help='with --auto-mask: the segmenter\'s model (default: '
        f'{DEFAULT_MODEL}; landscape is faster, made for wide video frames)')
    guides.add_argument(
        '--auto-mask-threshold', type=_fraction, metavar='CONFIDENCE',
        help='with --auto-mask: the person is where the segmenter\'s '
        f'confidence is at least this (default: {DEFAULT_THRESHOLD:g})')
    guides.add_argument(
        '--box', metavar='X0,Y0,X1,Y1|FILE',
        help='the object is in this box (pixels; columns X0 to X1-1, rows '
        'Y0 to Y1-1): GrabCut finds it and its mask is made a trimap as '
        '--mask does; for a folder, one box for all or a boxes file (.csv '
        'rows stem,X0,Y0,X1,Y1 or .json {"stem": [X0, Y0, X1, Y1]})')
    guides.add_argument(
        '--scribbles', metavar='FILE|FOLDER',
        help='with --box: strokes correcting it, a grey image of the '
        "image's size (white: object, black: background, grey: no stroke); "
        'for a folder of images, a folder matched by file stem (images '
        'without one have no strokes)')
    guides.add_argument(
        '--unknown-width', type=_pixels, metavar='PIXELS',
        help='with --mask, --auto-mask or --box: unknown band in pixels on '
        'each side of the outline (default: '
        f'{UNKNOWN_WIDTH_FRACTION * 100:g}%% of the object\'s size, at least '
        f'{MIN_UNKNOWN_WIDTH})')
    guides.add_argument(
        '--strict-trimap', action='store_true',
        help='refuse trimaps with more than '
        f'{MAX_NON_TRIMAP_FRACTION * 100:g}%% of values other than '
        f"{', '.join(map(str, TRIMAP_VALUES))} instead of relabelling them "
        f'(values {RULE})')


def _model_options(parser: argparse.ArgumentParser) -> None:
    """The weights: a config and checkpoint, or an exported file."""
    model = parser.add_argument_group('model')
    model.add_argument('--checkpoint', help='weights: path or http(s) URL')
    model.add_argument(
        '--config',
        help='model config: a file or a packaged config name (default: '
        'indexnet_mobv2, the model of the released Comp-1k checkpoints)')
    model.add_argument(
        '--model-file', metavar='FILE',
        help='instead of --config and --checkpoint: an exported .onnx or '
        'OpenVINO .xml (tools/export_onnx.py; the int8 file of '
        'tools/quantize.py), run on the CPU by OpenVINO or onnxruntime')


def _output_options(parser: argparse.ArgumentParser) -> None:
    """What is written for each image."""
    outputs = parser.add_argument_group('outputs')
    outputs.add_argument(
        '-o', '--out-dir', default='alphas', help='output folder')
    outputs.add_argument(
        '--rgba', action='store_true', help='also write <stem>_rgba.png')
    outputs.add_argument(
        '--foreground', action='store_true',
        help='also write <stem>_fg.png (foreground colours)')
    outputs.add_argument(
        '--no-fg-estimation', action='store_true',
        help='cut-outs keep the raw image colours (--rgba, --foreground, '
        '--preview)')
    outputs.add_argument(
        '--preview', action='store_true',
        help='also write <stem>_preview.png')
    outputs.add_argument(
        '--save-trimap', action='store_true',
        help='also write <stem>_trimap.png (the trimap used)')
    outputs.add_argument(
        '--overwrite', action='store_true',
        help='write every output again; by default an output that exists '
        'is kept (files are written atomically, so it is complete) and an '
        'image whose outputs all exist is skipped')


def _runtime_options(parser: argparse.ArgumentParser) -> None:
    """Where and how the network runs: device, backend, batches, memory,
    tiles."""
    runtime = parser.add_argument_group('runtime')
    runtime.add_argument('--device', default='cpu', help='torch device')
    runtime.add_argument(
        '--no-fast', action='store_true',
        help='run the plain PyTorch network (no batch-norm folding, no '
        'OpenVINO or onnxruntime)')
    runtime.add_argument(
        '--backend', choices=BACKENDS, default=BACKENDS[0],
        help='what runs the fast network: auto (OpenVINO, then '
        'onnxruntime, TorchScript, eager PyTorch: the first that is '
        "installed and gives the plain network's alpha), or one of them "
        '(with the later ones as fallbacks); with a --model-file .onnx: '
        f"{', '.join(EXPORTED_BACKENDS)} (OpenVINO when installed)")
    runtime.add_argument(
        '--batch-size', type=int, default=DEFAULT_BATCH_SIZE,
        help='images per network call (same network input size only)')
    runtime.add_argument(
        '--max-memory', type=float, metavar='GB',
        help='memory budget of a prediction: images whose whole-image '
        'inference needs more run in overlapping tiles (default: '
        f'{DEFAULT_SHARE * 100:.0f}%% of the available memory)')
    runtime.add_argument(
        '--max-megapixels', type=float,
        help='instead of --max-memory: larger network inputs run in tiles')
    runtime.add_argument('--tile-size', type=int, default=DEFAULT_TILE_SIZE)
    runtime.add_argument(
        '--tile-overlap', type=int, default=DEFAULT_TILE_OVERLAP)


def _ray_options(parser: argparse.ArgumentParser) -> None:
    """Many images on Ray: the same work on a pool of worker processes,
    on this machine or a cluster's."""
    ray = parser.add_argument_group(
        'Ray (the [ray] extra: many images on many processes or machines)')
    ray.add_argument(
        '--ray', nargs='?', const=LOCAL_RAY, metavar='ADDRESS',
        help='predict on Ray workers: without ADDRESS a local cluster on '
        'this machine (127.0.0.1 only); auto or HOST:PORT an existing '
        'cluster, whose nodes see the same paths (give it after the '
        'folders, or as --ray=ADDRESS)')
    ray.add_argument(
        '--ray-workers', type=_count, metavar='N',
        help="with --ray: workers, each with its own model (default: one "
        "per --ray-cpus-per-worker CPUs of the cluster)")
    ray.add_argument(
        '--ray-cpus-per-worker', type=_count, default=1, metavar='N',
        help='with --ray: CPUs reserved for each worker, its threads '
        '(default: 1)')


def _report_options(parser: argparse.ArgumentParser) -> None:
    """What the command says while it runs."""
    report = parser.add_argument_group('reporting')
    report.add_argument(
        '--verbose', action='store_true',
        help='say which network runs (with --model-file: the file, '
        'backend and fp32 or int8) and the memory budget')
    report.add_argument(
        '--quiet', action='store_true', help='no progress bar')


def _pixels(text: str) -> int:
    """An argparse type: a positive number of pixels."""
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(
            f'expected a positive number of pixels, got {text!r}')
    return int(text)


def _count(text: str) -> int:
    """An argparse type: a positive whole number."""
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(
            f'expected a positive whole number, got {text!r}')
    return int(text)


def _fraction(text: str) -> float:
    """An argparse type: a number strictly between 0 and 1."""
    try:
        value = float(text)
    except ValueError:
        value = None
    if value is None or not 0 < value < 1:
        raise argparse.ArgumentTypeError(
            f'expected a number between 0 and 1 (exclusive), got {text!r}')
    return value


def check_numbers(args: argparse.Namespace) -> None:
    """Refuse numbers out of range and flags that exclude each other,
    naming the flags."""
    for flag, value, minimum in (('--batch-size', args.batch_size, 1),
                                 ('--tile-size', args.tile_size, 1),
                                 ('--tile-overlap', args.tile_overlap, 0)):
        if value < minimum:
            raise ValueError(f'{flag} must be at least {minimum}, got {value}')
    for flag, value in (('--max-memory', args.max_memory),
                        ('--max-megapixels', args.max_megapixels)):
        if value is not None and not value > 0:
            raise ValueError(f'{flag} must be positive, got {value:g}')
    if args.no_fast and args.backend != BACKENDS[0]:
        raise ValueError(f'--backend {args.backend} runs the fast network; '
                         'leave out --no-fast')
    if args.max_memory is not None and args.max_megapixels is not None:
        raise ValueError('give --max-memory or --max-megapixels, not both')
    tile_megapixels = args.tile_size**2 / MEGA
    if args.max_megapixels is not None and (args.max_megapixels <
                                            tile_megapixels):
        raise ValueError('--max-megapixels must be at least --tile-size '
                         f'squared ({tile_megapixels:g}), got '
                         f'{args.max_megapixels:g}')


def check_model_source(args: argparse.Namespace) -> None:
    """A checkpoint (with its config) or an exported --model-file, and
    no flag the exported file cannot honour."""
    if args.model_file is None:
        if args.checkpoint is None:
            raise ValueError('give --checkpoint (and --config) or '
                             '--model-file')
        return
    conflicts = [
        flag for flag, given in (
            ('--config', args.config is not None),
            ('--checkpoint', args.checkpoint is not None),
            ('--no-fast', args.no_fast),
            (f'--device {args.device}', args.device.split(':')[0] != 'cpu'),
            (f'--backend {args.backend}',
             args.backend not in EXPORTED_BACKENDS))
        if given
    ]
    if conflicts:
        raise ValueError('--model-file runs an exported model on the CPU '
                         f"({', '.join(EXPORTED_BACKENDS)}); leave out "
                         f"{' and '.join(conflicts)}")


def check_ray(args: argparse.Namespace) -> None:
    """Ray's flags only with --ray, a CPU device, and an ADDRESS that is
    one (not a folder taken for it)."""
    if args.ray is None:
        for flag, given in (('--ray-workers', args.ray_workers is not None),
                            ('--ray-cpus-per-worker',
                             args.ray_cpus_per_worker != 1)):
            if given:
                raise ValueError(f'{flag} applies to --ray only')
        return
    if args.device.split(':')[0] != 'cpu':
        raise ValueError(f'--ray runs on CPU workers; leave out --device '
                         f'{args.device}')
    address = args.ray
    if address.startswith(RAY_CLIENT_PREFIX):
        raise ValueError(
            f'--ray {address}: Ray Data does not run through Ray Client '
            '(ray://); run indexnet-predict on a node of the cluster with '
            '--ray auto (e.g. through ray job submit)')
    if address not in (LOCAL_RAY, 'auto') and not re.fullmatch(
            r'[\w.-]+:\d+', address):
        raise ValueError(
            f"--ray {address!r} is not a Ray address (auto or HOST:PORT); "
            'give --ray after the folders, or as --ray=ADDRESS')


def check_device(text: str) -> None:
    """Refuse a device that is malformed or not on this machine, saying
    which are."""
    available = ['cpu']
    if torch.cuda.is_available():
        available += [f'cuda:{i}' for i in range(torch.cuda.device_count())]
    try:
        device = torch.device(text)
    except RuntimeError:
        raise ValueError(f'--device {text!r} is not a torch device; '
                         f"available here: {', '.join(available)}")
    index = 0 if device.index is None else device.index
    if device.type != 'cpu' and f'{device.type}:{index}' not in available:
        raise ValueError(f'--device {text!r} is not available here; '
                         f"available: {', '.join(available)}")


def flag_names(message: str) -> str:
    """The predictor's message with its argument names as the flags the
    user typed."""
    return re.sub(r'\b(' + '|'.join(FLAGS) + r')\b',
                  lambda found: FLAGS[found.group(1)], message)
