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
130) leaves only complete outputs, and a rerun writes only the outputs that
are missing (``--overwrite``: all; see
:mod:`~indexnet_plugin.apis.inference.outputs`). A pair that fails anywhere -- reading,
prediction, memory, foreground estimation, writing -- is reported on one line
(``error: ...`` naming the file and the cause) and the others still run; the
exit status is then 1 (with ``--auto-mask``, an image without a person is
such a pair; with ``--box``, a bad box, a boxes file without the image's
stem or with a malformed entry for it, scribbles of another size). A
problem with the flags, device, config, checkpoint, model file, boxes file
or folders, or a missing segmenter, exits with 2 before any prediction. A trimap whose values were relabelled to 0/128/255 and an image
that runs in tiles each get one ``warning: ...`` line.

With ``--ray`` the same work runs on a pool of Ray workers, on this machine
or a cluster (:mod:`.ray_run`, :mod:`~indexnet_plugin.apis.distributed`)::

    indexnet-predict images/ trimaps/ --checkpoint indexnet.pth -o out --ray
"""
import argparse
import warnings
from pathlib import Path
from typing import List, NamedTuple, Optional, Sequence, Tuple

from tqdm import tqdm

from ..inference.chunks import BoxSource, PairPaths, pair_reader, run_chunk
from ..inference.memory import GB
from ..inference.outputs import OutputOptions
from ..inference.predictor import MattingPredictor
from ..inputs.folders import find_pairs, list_images
from ..inputs.images import MattingInputError
from ..inputs.person import DEFAULT_MODEL, DEFAULT_THRESHOLD, PersonSegmenter
from ..loading.checkpoint import CheckpointError
from ..loading.spec import PredictorSpec
from ..runtimes.selection import FastPathWarning
from .boxes import box_source, scribble_pairs
from .options import (LOCAL_RAY, MEGA, check_device, check_model_source,
                      check_numbers, check_ray, flag_names, parse_args)
from .ray_run import import_ray, run_on_ray, start_ray, stop_ray
from .reporting import (EXIT_BAD_PAIRS, EXIT_FATAL, EXIT_INTERRUPTED,
                        report, report_outcomes)
from .video_options import is_clip


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


def _pairs(image: Path, guide: Optional[Path],
           what: str) -> Tuple[List[PairPaths], List[str]]:
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


def predictor_spec(args: argparse.Namespace) -> PredictorSpec:
    """What the predictor is built from: the checkpoint or the exported
    --model-file, with the tiling, batching, memory and trimap flags."""
    return PredictorSpec(
        config=args.config, checkpoint=args.checkpoint,
        model_file=args.model_file, device=args.device,
        fast=not args.no_fast, backend=args.backend,
        options=dict(
            max_pixels=(None if args.max_megapixels is None else int(
                args.max_megapixels * MEGA)),
            max_memory=args.max_memory,
            strict_trimap=args.strict_trimap,
            tile_size=args.tile_size,
            tile_overlap=args.tile_overlap,
            batch_size=args.batch_size))


def output_options(args: argparse.Namespace) -> OutputOptions:
    """What is written for each image, from the output flags."""
    return OutputOptions(
        Path(args.out_dir), save_trimap=args.save_trimap, rgba=args.rgba,
        foreground=args.foreground, preview=args.preview,
        fg_estimation=not args.no_fg_estimation, overwrite=args.overwrite)


def _predictor(args: argparse.Namespace) -> MattingPredictor:
    """The predictor, its fast-path fallback reported as a warning line
    (and with --verbose what runs)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter('always', FastPathWarning)
        predictor = predictor_spec(args).build()
    for warning in caught:
        if issubclass(warning.category, FastPathWarning):
            report(str(warning.message), 'warning')  # fell back: why
        else:
            warnings.showwarning(warning.message, warning.category,
                                 warning.filename, warning.lineno)
    if args.verbose:
        report(_network_summary(predictor, args.model_file), 'info')
    return predictor


class _Prepared(NamedTuple):
    """What a run needs once the flags are checked."""
    pairs: List[PairPaths]
    problems: List[str]  # images without a unique guide
    what: str  # 'trimap', 'mask', 'auto' or 'box'
    segmenter: Optional[PersonSegmenter]  # with --auto-mask
    boxes: Optional[BoxSource]  # with --box
    predictor: Optional[MattingPredictor]  # None with --ray: the workers'
    ray_started: bool = False  # --ray started (or joined) a cluster


def _prepare(args: argparse.Namespace) -> Optional[_Prepared]:
    """Check the flags, list the pairs, build the segmenter and the
    predictor (with --ray: check first that Ray is installed, and build
    the predictor here too, so that a bad model exits before Ray starts;
    then start or join the cluster). None for a clip, once the flags it
    shares with images are checked."""
    check_numbers(args)
    check_model_source(args)
    check_device(args.device)
    check_ray(args)
    guide, what = _guide(args)
    if is_clip(args):
        return None
    pairs, problems = _pairs(Path(args.image), guide, what)
    if args.ray is not None:
        import_ray(local=args.ray == LOCAL_RAY)
    segmenter = None
    if what == 'auto':  # before the model: a missing extra is found fast
        segmenter = PersonSegmenter(
            args.auto_mask_model or DEFAULT_MODEL,
            args.auto_mask_threshold or DEFAULT_THRESHOLD)
    boxes = None if args.box is None else box_source(args.box)
    predictor = _predictor(args)
    Path(args.out_dir).mkdir(parents=True, exist_ok=True)
    if args.ray is None:
        return _Prepared(pairs, problems, what, segmenter, boxes, predictor)
    del predictor  # the workers build their own
    return _Prepared(pairs, problems, what, segmenter, boxes, None,
                     start_ray(args))


def _run_here(args: argparse.Namespace, prepared: _Prepared) -> int:
    """Predict every pair in this process, chunk by chunk; returns how
    many failed."""
    pairs, predictor = prepared.pairs, prepared.predictor
    read = pair_reader(predictor, prepared.what, args.unknown_width,
                       prepared.segmenter, prepared.boxes)
    outputs = output_options(args)
    progress = tqdm(total=len(pairs), unit='image', disable=args.quiet)
    try:
        return sum(
            report_outcomes(
                run_chunk(predictor, read,
                          pairs[start:start + args.batch_size], outputs),
                progress)
            for start in range(0, len(pairs), args.batch_size))
    finally:
        progress.close()


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Run the command; returns the exit status (0, 1 bad pairs, 2 fatal,
    130 interrupted)."""
    args = parse_args(argv)
    try:
        prepared = _prepare(args)
        if prepared is None:  # a video file or --frames: PyAV only there
            from .video import clip_main
            return clip_main(args, _predictor)
    except (MattingInputError, CheckpointError, ValueError, OSError,
            ImportError) as error:  # ImportError: no segmenter, OpenVINO, Ray
        # (OSError: also Ray's ConnectionError, no cluster at --ray ADDRESS)
        report(flag_names(str(error)))
        return EXIT_FATAL
    except KeyboardInterrupt:
        report('interrupted')
        return EXIT_INTERRUPTED
    for problem in prepared.problems:
        report(problem)
    try:
        if args.ray is None:
            failures = _run_here(args, prepared)
        else:
            failures = run_on_ray(args, predictor_spec(args),
                                  output_options(args), prepared.pairs,
                                  prepared.what, prepared.boxes)
    except KeyboardInterrupt:
        report('interrupted; the files written are complete (atomic '
               'writes), the rest are not written')
        return EXIT_INTERRUPTED
    finally:
        if prepared.segmenter is not None:
            prepared.segmenter.close()
        if prepared.ray_started:
            stop_ray()
    return EXIT_BAD_PAIRS if failures or prepared.problems else 0
