"""``indexnet-predict``: alpha mattes for one image or a folder of images.

One pair::

    indexnet-predict cat.jpg cat_trimap.png --checkpoint indexnet.pth -o out

A folder: IMAGE and TRIMAP are folders, pairs are matched by file stem
(``images/cat.jpg`` with ``trimaps/cat.png``)::

    indexnet-predict images/ trimaps/ --checkpoint indexnet.pth -o out --preview

From a segmentation mask instead of a trimap (file or folder, see
:mod:`~indexnet_plugin.apis.inputs.mask` for the rule)::

    indexnet-predict cat.jpg --mask cat_mask.png --checkpoint indexnet.pth

From nothing but the image, for portraits: the bundled person segmenter
makes the mask (file or folder, see
:mod:`~indexnet_plugin.apis.inputs.person`; needs ``indexnet_plugin[auto]``)::

    indexnet-predict portraits/ --auto-mask person --checkpoint indexnet.pth

From a box around any object, refined by optional strokes (GrabCut, see
:mod:`~indexnet_plugin.apis.inputs.box`; for a folder one box for all or a
boxes file, see :mod:`.boxes`)::

    indexnet-predict bottle.jpg --box 120,40,380,610 --scribbles strokes.png
    indexnet-predict products/ --box boxes.csv --checkpoint indexnet.pth

With an exported file instead of a checkpoint (``tools/export_onnx.py``'s
``.onnx`` or OpenVINO ``.xml``, or the int8 ``.xml`` of
``tools/quantize.py``; see :mod:`~indexnet_plugin.apis.loading.exported`)::

    indexnet-predict images/ trimaps/ --model-file indexnet_int8.xml

Writes ``out/<stem>.png`` (uint8 alpha), with ``--rgba`` also
``out/<stem>_rgba.png`` (BGRA cut-out), with ``--foreground``
``out/<stem>_fg.png`` (foreground colours), with ``--preview``
``out/<stem>_preview.png`` (image | trimap | alpha | cut-out on a
checkerboard) and with ``--save-trimap`` ``out/<stem>_trimap.png``. Cut-out
colours are estimated (:mod:`~indexnet_plugin.apis.cutout.foreground`)
unless ``--no-fg-estimation``.
Files are written atomically, so an interrupted run (Ctrl-C: exit status
130) leaves only complete outputs. A pair that fails anywhere -- reading,
prediction, memory, foreground estimation, writing -- is reported on one line
(``error: ...`` naming the file and the cause) and the others still run; the
exit status is then 1 (with ``--auto-mask``, an image without a person is
such a pair; with ``--box``, a bad box, a boxes file without the image's
stem or with a malformed entry for it, scribbles of another size). A
problem with the flags, device, config, checkpoint, model file, boxes file
or folders, or a missing segmenter, exits with 2 before any prediction. A trimap whose values were relabelled to 0/128/255 and an image
that runs in tiles each get one ``warning: ...`` line.
"""
import argparse
import sys
import warnings
from pathlib import Path
from typing import Callable, List, Optional, Sequence, Tuple

import numpy as np
from tqdm import tqdm

from ...fileio import write_image_atomically
from ..cutout.foreground import estimate_foreground
from ..cutout.visualize import preview, rgba_cutout
from ..inference.memory import GB, TiledInferenceWarning
from ..inference.predictor import (BatchPredictionError, MattingPredictor,
                                   image_errors)
from ..inference.reading import ReadPair, read_pair
from ..inputs.box import Box
from ..inputs.folders import find_pairs, list_images
from ..inputs.images import MattingInputError, describe_error
from ..inputs.person import DEFAULT_MODEL, DEFAULT_THRESHOLD, PersonSegmenter
from ..loading.builder import init_predictor
from ..loading.checkpoint import CheckpointError
from ..loading.exported import init_exported_predictor
from ..runtimes.selection import FastPathWarning
from .boxes import box_source, scribble_pairs
from .options import (MEGA, check_device, check_model_source, check_numbers,
                      flag_names, parse_args)
from .video_options import is_clip

EXIT_BAD_PAIRS = 1
EXIT_FATAL = 2
EXIT_INTERRUPTED = 130  # 128 + SIGINT, as shells report Ctrl-C
# Reads one image with its trimap: (image path, trimap or mask path or None)
# -> BGR image (H, W, 3), trimap (H, W).
Reader = Callable[[Path, Optional[Path]], Tuple[np.ndarray, np.ndarray]]


def _guide(args: argparse.Namespace) -> Tuple[Optional[Path], str]:
    """The trimap, mask or scribbles source (None for --auto-mask and for
    --box without --scribbles) and what it is (``'trimap'``, ``'mask'``,
    ``'auto'`` or ``'box'``); exactly one guide is given."""
    given = [
        name for name, value in (('a trimap', args.trimap),
                                 ('--mask', args.mask),
                                 ('--auto-mask', args.auto_mask),
                                 ('--box', args.box)) if value is not None
    ]
    if not given:
        raise MattingInputError('give a trimap, --mask MASK, --auto-mask '
                                'person or --box X0,Y0,X1,Y1')
    if len(given) > 1:
        raise MattingInputError('give one of a trimap, --mask, --auto-mask '
                                f"and --box, got {' and '.join(given)}")
    if args.trimap is not None and args.unknown_width is not None:
        raise MattingInputError(
            '--unknown-width applies to --mask, --auto-mask and --box only')
    for flag, value, guide, guide_flag in (
        ('--auto-mask-model', args.auto_mask_model, args.auto_mask,
         '--auto-mask'),
        ('--auto-mask-threshold', args.auto_mask_threshold, args.auto_mask,
         '--auto-mask'),
        ('--scribbles', args.scribbles, args.box, '--box'),
    ):
        if guide is None and value is not None:
            raise MattingInputError(f'{flag} applies to {guide_flag} only')
    if args.auto_mask is not None:
        return None, 'auto'
    if args.box is not None:
        return (None if args.scribbles is None else Path(args.scribbles),
                'box')
    if args.mask is None:
        return Path(args.trimap), 'trimap'
    return Path(args.mask), 'mask'


def _pairs(image: Path, guide: Optional[Path], what: str
           ) -> Tuple[List[Tuple[Path, Optional[Path]]], List[str]]:
    """The (image, trimap or mask) pairs to predict and the unmatched
    images; with --auto-mask the image or the folder's images alone, with
    --box each with its scribbles or None."""
    if what == 'box':
        return scribble_pairs(image, guide)
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


def _network_summary(predictor: MattingPredictor,
                     model_file: Optional[str]) -> str:
    """Which network runs (an exported file: which, and fp32 or int8) and
    how the memory budget bounds it."""
    runs = predictor.backend
    if model_file is not None:
        runs = (f"model file '{model_file}' on {predictor.backend} "
                f'({predictor.precision})')
    summary = (f'network: {runs}; whole images up to '
               f'{predictor.max_pixels / MEGA:.2f} megapixels (network '
               f'input), larger ones in tiles of at most '
               f'{predictor.tile_size}x{predictor.tile_size}')
    if predictor.memory_budget is None:
        return summary
    return summary + (f' (memory budget {predictor.memory_budget / GB:.2f} '
                      'GB)')


def _predictor(args: argparse.Namespace) -> MattingPredictor:
    """The predictor of the checkpoint or the exported --model-file, with
    the tiling, batching, memory and trimap flags."""
    options = dict(
        max_pixels=(None if args.max_megapixels is None else int(
            args.max_megapixels * MEGA)),
        max_memory=args.max_memory,
        strict_trimap=args.strict_trimap,
        tile_size=args.tile_size,
        tile_overlap=args.tile_overlap,
        batch_size=args.batch_size)
    if args.model_file is not None:
        return init_exported_predictor(args.model_file, args.backend,
                                       **options)
    return init_predictor(args.config, args.checkpoint, args.device,
                          fast=not args.no_fast, backend=args.backend,
                          **options)


def _reader(args: argparse.Namespace, predictor: MattingPredictor,
            what: str, segmenter: Optional[PersonSegmenter],
            boxes: Optional[Callable[[Path], Box]]) -> Reader:
    """What reads an image with its trimap: read as the predictor reads
    trimaps, made from the mask, from the segmenter's mask or from the
    image's box and scribbles."""
    guides = predictor.guides
    if what == 'box':
        return lambda image, scribbles: guides.box_pair(
            image, boxes(image), scribbles, args.unknown_width)
    if what == 'auto':
        return lambda image, _: guides.auto_pair(image, segmenter,
                                                 args.unknown_width)
    if what == 'mask':
        return lambda image, mask: guides.mask_pair(image, mask,
                                                    args.unknown_width)
    return guides.trimap_pair


def _load(predictor: MattingPredictor, read: Reader, image_path: Path,
          guide_path: Optional[Path]) -> ReadPair:
    """Read one pair, reporting its notes (relabelled values, tiles)."""
    pair = read_pair(predictor, lambda: read(image_path, guide_path),
                     image_path)
    for note in pair.notes:
        _report(note, 'warning')
    return pair


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
            pair = _load(predictor, read, image_path, guide_path)
            loaded.append((image_path, pair.image, pair.trimap))
        except image_errors() as error:
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
        except image_errors() as error:
            _report(describe_error(error, image_path))
            failures += 1
        progress.update()
    return failures


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Run the command; returns the exit status (0, 1 bad pairs, 2 fatal,
    130 interrupted)."""
    args = parse_args(argv)
    try:
        check_numbers(args)
        check_model_source(args)
        check_device(args.device)
        guide, what = _guide(args)
        if is_clip(args):  # a video file or --frames: PyAV only from here
            from .video import clip_main
            return clip_main(args, _predictor, _network_summary, _report)
        pairs, problems = _pairs(Path(args.image), guide, what)
        segmenter = None
        if what == 'auto':  # before the model: a missing extra is found fast
            segmenter = PersonSegmenter(
                args.auto_mask_model or DEFAULT_MODEL,
                args.auto_mask_threshold or DEFAULT_THRESHOLD)
        boxes = None if args.box is None else box_source(args.box)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter('always', FastPathWarning)
            predictor = _predictor(args)
        for warning in caught:
            if issubclass(warning.category, FastPathWarning):
                _report(str(warning.message), 'warning')  # fell back: why
            else:
                warnings.showwarning(warning.message, warning.category,
                                     warning.filename, warning.lineno)
        if args.verbose:
            _report(_network_summary(predictor, args.model_file), 'info')
        Path(args.out_dir).mkdir(parents=True, exist_ok=True)
    except (MattingInputError, CheckpointError, ValueError, OSError,
            ImportError) as error:  # ImportError: no segmenter or OpenVINO
        _report(flag_names(str(error)))
        return EXIT_FATAL
    except KeyboardInterrupt:
        _report('interrupted')
        return EXIT_INTERRUPTED
    for problem in problems:
        _report(problem)
    failures = len(problems)
    read = _reader(args, predictor, what, segmenter, boxes)
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
