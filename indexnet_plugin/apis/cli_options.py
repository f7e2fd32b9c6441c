"""The command line of ``indexnet-predict``: its flags and their checks.

Numbers, the device and combinations of flags are checked before the model
loads, and every message names the flag as the user typed it.
"""
import argparse
import re
from typing import Optional, Sequence

import torch

from ..environment import version_report
from .auto_mask import (AUTO_MASK_KINDS, DEFAULT_MODEL, DEFAULT_THRESHOLD,
                        INSTALL_COMMAND, MODELS)
from .exported import EXPORTED_BACKENDS
from .fast import BACKENDS
from .io import MAX_NON_TRIMAP_FRACTION, TRIMAP_VALUES
from .mask import MIN_UNKNOWN_WIDTH, UNKNOWN_WIDTH_FRACTION
from .memory import DEFAULT_SHARE
from .predictor import DEFAULT_BATCH_SIZE
from .tiling import DEFAULT_TILE_OVERLAP, DEFAULT_TILE_SIZE
from .trimap import RULE

MEGA = 1e6
# Arguments of the predictor as the flags that set them, for its messages.
FLAGS = {
    'batch_size': '--batch-size',
    'max_memory': '--max-memory',
    'tile_overlap': '--tile-overlap',
    'tile_size': '--tile-size',
}


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(
        prog='indexnet-predict',
        description='Predict alpha mattes from images and trimaps, masks or '
        'an automatic person mask (files, or folders matched by file stem).',
        # keeps the version report one library per line
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        '--version', action='version', version=version_report())
    parser.add_argument('image', help='image file or folder of images')
    parser.add_argument(
        'trimap', nargs='?', help='trimap file or folder of trimaps')
    parser.add_argument(
        '--mask',
        help='instead of a trimap: binary or soft mask file or folder of '
        'masks, made into trimaps')
    parser.add_argument(
        '--auto-mask', choices=AUTO_MASK_KINDS,
        help='instead of a trimap: find the person with the bundled '
        f'segmenter (MediaPipe selfie segmentation; {INSTALL_COMMAND}) and '
        'make its mask a trimap as --mask does')
    parser.add_argument(
        '--auto-mask-model', choices=tuple(MODELS),
        help='with --auto-mask: the segmenter\'s model (default: '
        f'{DEFAULT_MODEL}; landscape is faster, made for wide video frames)')
    parser.add_argument(
        '--auto-mask-threshold', type=_fraction, metavar='CONFIDENCE',
        help='with --auto-mask: the person is where the segmenter\'s '
        f'confidence is at least this (default: {DEFAULT_THRESHOLD:g})')
    parser.add_argument(
        '--unknown-width', type=_pixels, metavar='PIXELS',
        help='with --mask or --auto-mask: unknown band in pixels on each '
        f'side of the outline (default: {UNKNOWN_WIDTH_FRACTION * 100:g}%% '
        f"of the object's size, at least {MIN_UNKNOWN_WIDTH})")
    parser.add_argument(
        '--save-trimap', action='store_true',
        help='also write <stem>_trimap.png (the trimap used)')
    parser.add_argument(
        '--checkpoint', help='weights: path or http(s) URL')
    parser.add_argument(
        '--config',
        help='model config: a file or a packaged config name (default: '
        'indexnet_mobv2, the model of the released Comp-1k checkpoints)')
    parser.add_argument(
        '--model-file', metavar='FILE',
        help='instead of --config and --checkpoint: an exported .onnx or '
        'OpenVINO .xml (tools/export_onnx.py; the int8 file of '
        'tools/quantize.py), run on the CPU by OpenVINO or onnxruntime')
    parser.add_argument(
        '-o', '--out-dir', default='alphas', help='output folder')
    parser.add_argument(
        '--rgba', action='store_true', help='also write <stem>_rgba.png')
    parser.add_argument(
        '--foreground', action='store_true',
        help='also write <stem>_fg.png (foreground colours)')
    parser.add_argument(
        '--no-fg-estimation', action='store_true',
        help='cut-outs keep the raw image colours (--rgba, --foreground, '
        '--preview)')
    parser.add_argument(
        '--preview', action='store_true',
        help='also write <stem>_preview.png')
    parser.add_argument('--device', default='cpu', help='torch device')
    parser.add_argument(
        '--batch-size', type=int, default=DEFAULT_BATCH_SIZE,
        help='images per network call (same network input size only)')
    parser.add_argument(
        '--max-memory', type=float, metavar='GB',
        help='memory budget of a prediction: images whose whole-image '
        'inference needs more run in overlapping tiles (default: '
        f'{DEFAULT_SHARE * 100:.0f}%% of the available memory)')
    parser.add_argument(
        '--max-megapixels', type=float,
        help='instead of --max-memory: larger network inputs run in tiles')
    parser.add_argument('--tile-size', type=int, default=DEFAULT_TILE_SIZE)
    parser.add_argument(
        '--tile-overlap', type=int, default=DEFAULT_TILE_OVERLAP)
    parser.add_argument(
        '--no-fast', action='store_true',
        help='run the plain PyTorch network (no batch-norm folding, no '
        'OpenVINO or onnxruntime)')
    parser.add_argument(
        '--backend', choices=BACKENDS, default=BACKENDS[0],
        help='what runs the fast network: auto (OpenVINO, then '
        'onnxruntime, TorchScript, eager PyTorch: the first that is '
        "installed and gives the plain network's alpha), or one of them "
        '(with the later ones as fallbacks); with a --model-file .onnx: '
        f"{', '.join(EXPORTED_BACKENDS)} (OpenVINO when installed)")
    parser.add_argument(
        '--verbose', action='store_true',
        help='say which network runs (with --model-file: the file, '
        'backend and fp32 or int8) and the memory budget')
    parser.add_argument(
        '--strict-trimap', action='store_true',
        help='refuse trimaps with more than '
        f'{MAX_NON_TRIMAP_FRACTION * 100:g}%% of values other than '
        f"{', '.join(map(str, TRIMAP_VALUES))} instead of relabelling them "
        f'(values {RULE})')
    parser.add_argument(
        '--quiet', action='store_true', help='no progress bar')
    return parser.parse_args(argv)


def _pixels(text: str) -> int:
    """An argparse type: a positive number of pixels."""
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(
            f'expected a positive number of pixels, got {text!r}')
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
