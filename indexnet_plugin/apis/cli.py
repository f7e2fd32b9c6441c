"""``indexnet-predict``: alpha mattes for one image or a folder of images.

One pair::

    indexnet-predict cat.jpg cat_trimap.png --checkpoint indexnet.pth -o out

A folder: IMAGE and TRIMAP are folders, pairs are matched by file stem
(``images/cat.jpg`` with ``trimaps/cat.png``)::

    indexnet-predict images/ trimaps/ --checkpoint indexnet.pth -o out --preview

From a segmentation mask instead of a trimap (file or folder, see
:mod:`.mask` for the rule)::

    indexnet-predict cat.jpg --mask cat_mask.png --checkpoint indexnet.pth

From nothing but the image, for portraits: the bundled person segmenter
makes the mask (file or folder, see :mod:`.auto_mask`; needs
``indexnet_plugin[auto]``)::

    indexnet-predict portraits/ --auto-mask person --checkpoint indexnet.pth

Writes ``out/<stem>.png`` (uint8 alpha), with ``--rgba`` also
``out/<stem>_rgba.png`` (BGRA cut-out), with ``--foreground``
``out/<stem>_fg.png`` (foreground colours), with ``--preview``
``out/<stem>_preview.png`` (image | trimap | alpha | cut-out on a
checkerboard) and with ``--save-trimap`` ``out/<stem>_trimap.png``. Cut-out
colours are estimated (:mod:`.foreground`) unless ``--no-fg-estimation``.
Files are written atomically, so an interrupted run (Ctrl-C: exit status
130) leaves only complete outputs. A pair that fails anywhere -- reading,
prediction, memory, foreground estimation, writing -- is reported on one line
(``error: ...`` naming the file and the cause) and the others still run; the
exit status is then 1 (with ``--auto-mask``, an image without a person is
such a pair). A problem with the flags, device, config, checkpoint or
folders, or a missing segmenter, exits with 2 before any prediction. A
trimap whose values were relabelled to 0/128/255 and an image that runs in
tiles each get one ``warning: ...`` line.
"""
import argparse
import re
import sys
import warnings
from pathlib import Path
from typing import Callable, List, Optional, Sequence, Tuple

import numpy as np
import torch
from tqdm import tqdm

from ..environment import version_report
from ..fileio import write_image_atomically
from .auto_mask import (AUTO_MASK_KINDS, DEFAULT_MODEL, DEFAULT_THRESHOLD,
                        INSTALL_COMMAND, MODELS, PersonSegmenter,
                        SegmenterNotInstalledError)
from .builder import init_predictor
from .checkpoint import CheckpointError
from .foreground import estimate_foreground
from .io import (MAX_NON_TRIMAP_FRACTION, TRIMAP_VALUES, MattingInputError,
                 describe_error, find_pairs, list_images)
from .mask import MIN_UNKNOWN_WIDTH, UNKNOWN_WIDTH_FRACTION
from .memory import DEFAULT_SHARE, TiledInferenceWarning
from .predictor import (DEFAULT_BATCH_SIZE, BatchPredictionError,
                        MattingPredictor)
from .tiling import DEFAULT_TILE_OVERLAP, DEFAULT_TILE_SIZE
from .trimap import RULE
from .visualize import preview, rgba_cutout

EXIT_BAD_PAIRS = 1
EXIT_FATAL = 2
EXIT_INTERRUPTED = 130  # 128 + SIGINT, as shells report Ctrl-C
# Reads one image with its trimap: (image path, trimap or mask path or None)
# -> BGR image (H, W, 3), trimap (H, W).
Reader = Callable[[Path, Optional[Path]], Tuple[np.ndarray, np.ndarray]]
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
        '--checkpoint', required=True, help='weights: path or http(s) URL')
    parser.add_argument(
        '--config',
        help='model config: a file or a packaged config name (default: '
        'indexnet_mobv2, the model of the released Comp-1k checkpoints)')
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
        'onnxruntime)')
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


def _guide(args: argparse.Namespace) -> Tuple[Optional[Path], str]:
    """The trimap or mask source (None for --auto-mask) and what it is
    (``'trimap'``, ``'mask'`` or ``'auto'``); exactly one is given."""
    given = [
        name for name, value in (('a trimap', args.trimap),
                                 ('--mask', args.mask), ('--auto-mask',
                                                         args.auto_mask))
        if value is not None
    ]
    if not given:
        raise MattingInputError(
            'give a trimap, --mask MASK or --auto-mask person')
    if len(given) > 1:
        raise MattingInputError('give one of a trimap, --mask and '
                                f"--auto-mask, got {' and '.join(given)}")
    if args.trimap is not None and args.unknown_width is not None:
        raise MattingInputError(
            '--unknown-width applies to --mask and --auto-mask only')
    for flag, value in (('--auto-mask-model', args.auto_mask_model),
                        ('--auto-mask-threshold', args.auto_mask_threshold)):
        if args.auto_mask is None and value is not None:
            raise MattingInputError(f'{flag} applies to --auto-mask only')
    if args.auto_mask is not None:
        return None, 'auto'
    if args.mask is None:
        return Path(args.trimap), 'trimap'
    return Path(args.mask), 'mask'


def _pairs(image: Path, guide: Optional[Path], what: str
           ) -> Tuple[List[Tuple[Path, Optional[Path]]], List[str]]:
    """The (image, trimap or mask) pairs to predict and the unmatched
    images; with --auto-mask the image or the folder's images alone."""
    if guide is None:
        return [(path, None) for path in (
            list_images(image) if image.is_dir() else [image])], []
    if image.is_dir() != guide.is_dir():
        raise MattingInputError(
            f"image '{image}' and {what} '{guide}' must both be files or "
            'both be folders')
    if image.is_dir():
        return find_pairs(image, guide, what)
    return [(image, guide)], []


def _write(picture: np.ndarray, path: Path) -> None:
    """Write one output image atomically, naming it if that fails."""
    try:
        write_image_atomically(picture, path)
    except OSError as error:
        raise OSError(
            f"cannot write '{path}': {error.strerror or error}") from error


def _save(args: argparse.Namespace, stem: str, image: np.ndarray,
          trimap: np.ndarray, alpha: np.ndarray) -> None:
    """Write the outputs requested for one pair."""
    out = Path(args.out_dir)
    _write(alpha, out / f'{stem}.png')
    if args.save_trimap:
        _write(trimap, out / f'{stem}_trimap.png')
    colours = image
    if (args.rgba or args.foreground
            or args.preview) and not args.no_fg_estimation:
        colours = estimate_foreground(image, alpha)
    if args.rgba:
        _write(rgba_cutout(colours, alpha),
                               out / f'{stem}_rgba.png')
    if args.foreground:
        _write(colours, out / f'{stem}_fg.png')
    if args.preview:
        _write(
            preview(image, trimap, alpha, colours),
            out / f'{stem}_preview.png')


def _report(message: str, kind: str = 'error') -> None:
    """One error (or warning) line on stderr, not mangling the progress
    bar."""
    tqdm.write(f'{kind}: {message}', file=sys.stderr)


def _check_numbers(args: argparse.Namespace) -> None:
    """Refuse numeric flags out of range, naming the flag."""
    for flag, value, minimum in (('--batch-size', args.batch_size, 1),
                                 ('--tile-size', args.tile_size, 1),
                                 ('--tile-overlap', args.tile_overlap, 0)):
        if value < minimum:
            raise ValueError(f'{flag} must be at least {minimum}, got {value}')
    for flag, value in (('--max-memory', args.max_memory),
                        ('--max-megapixels', args.max_megapixels)):
        if value is not None and not value > 0:
            raise ValueError(f'{flag} must be positive, got {value:g}')
    if args.max_memory is not None and args.max_megapixels is not None:
        raise ValueError('give --max-memory or --max-megapixels, not both')
    tile_megapixels = args.tile_size**2 / MEGA
    if args.max_megapixels is not None and (args.max_megapixels <
                                            tile_megapixels):
        raise ValueError('--max-megapixels must be at least --tile-size '
                         f'squared ({tile_megapixels:g}), got '
                         f'{args.max_megapixels:g}')


def _check_device(text: str) -> None:
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


def _flag_names(message: str) -> str:
    """The predictor's message with its argument names as the flags the
    user typed."""
    return re.sub(r'\b(' + '|'.join(FLAGS) + r')\b',
                  lambda found: FLAGS[found.group(1)], message)


def _reader(args: argparse.Namespace, predictor: MattingPredictor,
            what: str, segmenter: Optional[PersonSegmenter]) -> Reader:
    """What reads an image with its trimap: read as the predictor reads
    trimaps, made from the mask, or made from the segmenter's mask."""
    guides = predictor.guides
    if what == 'auto':
        return lambda image, _: guides.auto_pair(image, segmenter,
                                                 args.unknown_width)
    if what == 'mask':
        return lambda image, mask: guides.mask_pair(image, mask,
                                                    args.unknown_width)
    return guides.trimap_pair


def _load(predictor: MattingPredictor, read: Reader, image_path: Path,
          guide_path: Optional[Path]) -> Tuple[np.ndarray, np.ndarray]:
    """Read one pair, reporting its warnings."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter('always')
        image, trimap = read(image_path, guide_path)
    predictor.check_size(image.shape[:2], image_path)
    for warning in caught:  # relabelled trimap values
        _report(str(warning.message), 'warning')
    note = predictor.tiling_note(image.shape[:2], image_path)
    if note is not None:
        _report(note, 'warning')
    return image, trimap


def _run_chunk(args: argparse.Namespace, predictor: MattingPredictor,
               read: Reader, chunk: Sequence[Tuple[Path, Optional[Path]]],
               progress: tqdm) -> int:
    """Predict and write up to ``--batch-size`` pairs; returns how many
    failed. A failure of one pair (reading, prediction, foreground
    estimation, writing) is one error line; the others go on."""
    failures = 0
    loaded = []
    for image_path, guide_path in chunk:
        try:
            loaded.append(
                (image_path, *_load(predictor, read, image_path,
                                    guide_path)))
        except Exception as error:
            _report(describe_error(error, image_path))
            failures += 1
            progress.update()
    with warnings.catch_warnings():
        # Reported above by file name.
        warnings.simplefilter('ignore', TiledInferenceWarning)
        try:
            alphas = predictor.predict_batch([item[1] for item in loaded],
                                             [item[2] for item in loaded])
            errors = {}
        except BatchPredictionError as failed:
            alphas, errors = failed.alphas, failed.errors
    for index, ((image_path, image, trimap),
                alpha) in enumerate(zip(loaded, alphas)):
        try:
            if index in errors:
                raise errors[index]
            _save(args, image_path.stem, image, trimap, alpha)
        except Exception as error:
            _report(describe_error(error, image_path))
            failures += 1
        progress.update()
    return failures


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Run the command; returns the exit status (0, 1 bad pairs, 2 fatal,
    130 interrupted)."""
    args = parse_args(argv)
    try:
        _check_numbers(args)
        _check_device(args.device)
        guide, what = _guide(args)
        pairs, problems = _pairs(Path(args.image), guide, what)
        segmenter = None
        if what == 'auto':  # before the model: a missing extra is found fast
            segmenter = PersonSegmenter(
                args.auto_mask_model or DEFAULT_MODEL,
                args.auto_mask_threshold or DEFAULT_THRESHOLD)
        predictor = init_predictor(
            args.config,
            args.checkpoint,
            args.device,
            fast=not args.no_fast,
            max_pixels=(None if args.max_megapixels is None else int(
                args.max_megapixels * MEGA)),
            max_memory=args.max_memory,
            strict_trimap=args.strict_trimap,
            tile_size=args.tile_size,
            tile_overlap=args.tile_overlap,
            batch_size=args.batch_size)
        Path(args.out_dir).mkdir(parents=True, exist_ok=True)
    except (MattingInputError, CheckpointError, ValueError, OSError,
            SegmenterNotInstalledError) as error:
        _report(_flag_names(str(error)))
        return EXIT_FATAL
    except KeyboardInterrupt:
        _report('interrupted')
        return EXIT_INTERRUPTED
    for problem in problems:
        _report(problem)
    failures = len(problems)
    read = _reader(args, predictor, what, segmenter)
    progress = tqdm(total=len(pairs), unit='image', disable=args.quiet)
    try:
        for start in range(0, len(pairs), args.batch_size):
            failures += _run_chunk(args, predictor, read,
                                   pairs[start:start + args.batch_size],
                                   progress)
    except KeyboardInterrupt:
        _report('interrupted; the files written are complete (atomic '
                'writes), the rest are not written')
        return EXIT_INTERRUPTED
    finally:
        progress.close()
        if segmenter is not None:
            segmenter.close()
    return EXIT_BAD_PAIRS if failures else 0


if __name__ == '__main__':
    sys.exit(main())
