"""A chunk of (image, guide) files predicted and written, one outcome each:
the work of ``indexnet-predict`` on one process and of each Ray worker
(:mod:`~indexnet_plugin.apis.distributed`), so both read every guide kind,
write every output and skip what is written by the same code.

A failure of one image (reading, prediction, memory, foreground estimation,
writing: :func:`~.predictor.image_errors`) is that image's ``error:`` line;
the others go on. Nothing is printed here: each outcome carries its lines
for the caller to report.
"""
import warnings
from pathlib import Path
from typing import Callable, List, NamedTuple, Optional, Sequence, Tuple

import numpy as np

from ..inputs.box import Box
from ..inputs.images import describe_error
from ..inputs.person import PersonSegmenter
from .memory import TiledInferenceWarning
from .outputs import OutputOptions
from .predictor import BatchPredictionError, MattingPredictor, image_errors
from .reading import read_pair

# (image path, trimap, mask or scribbles path, or None for an automatic mask
# or a box without scribbles).
PairPaths = Tuple[Path, Optional[Path]]
# An image's box (X0, Y0, X1, Y1) from its path; raises MattingInputError
# (naming the image) when it has none.
BoxSource = Callable[[Path], Box]
# Reads one image with its trimap: (image path, guide path or None) ->
# BGR image (H, W, 3), trimap (H, W).
Reader = Callable[[Path, Optional[Path]], Tuple[np.ndarray, np.ndarray]]

WRITTEN, SKIPPED, FAILED = 'written', 'skipped', 'failed'


class PairOutcome(NamedTuple):
    """What became of one image.

    Attributes:
        image: The image's path, as given.
        status: ``'written'`` (its missing outputs), ``'skipped'`` (all
            were written already) or ``'failed'``.
        lines: What to tell the user, in order, each starting with
            ``warning: `` or ``error: `` (a failed image ends with its
            error).
    """
    image: str
    status: str
    lines: List[str]


def pair_reader(predictor: MattingPredictor, what: str,
                unknown_width: Optional[int] = None,
                segmenter: Optional[PersonSegmenter] = None,
                boxes: Optional[BoxSource] = None) -> Reader:
    """What reads an image with its guide: a trimap read as the predictor
    reads trimaps (``what='trimap'``), a mask made a trimap (``'mask'``),
    the segmenter's mask made one (``'auto'``; the guide path is None) or
    the object in the image's box, from ``boxes``, found by GrabCut
    (``'box'``; the guide path is its scribbles, or None)."""
    guides = predictor.guides
    if what == 'box':
        return lambda image, scribbles: guides.box_pair(
            image, boxes(image), scribbles, unknown_width)
    if what == 'auto':
        return lambda image, _: guides.auto_pair(image, segmenter,
                                                 unknown_width)
    if what == 'mask':
        return lambda image, mask: guides.mask_pair(image, mask,
                                                    unknown_width)
    return guides.trimap_pair


def run_chunk(predictor: MattingPredictor, read: Reader,
              chunk: Sequence[PairPaths],
              outputs: OutputOptions) -> List[PairOutcome]:
    """Read, predict (one :meth:`~.MattingPredictor.predict_batch` call)
    and write up to a batch of images.

    Args:
        predictor: What predicts.
        read: Reads an image with its guide.
        chunk: The images with their guides, at most
            ``predictor.batch_size`` for one network call per input size.
        outputs: What to write, and the rerun rule.

    Returns:
        list[PairOutcome]: One per image of ``chunk``, in order.
    """
    lines = {image: [] for image, _ in chunk}
    failed, loaded = set(), []
    for image_path, guide_path in chunk:
        pending = outputs.pending(image_path.stem)
        if not pending:
            continue
        try:
            pair = read_pair(predictor, lambda i=image_path, g=guide_path:
                             read(i, g), image_path)
        except image_errors() as error:
            lines[image_path].append(
                f'error: {describe_error(error, image_path)}')
            failed.add(image_path)
            continue
        lines[image_path] += [f'warning: {note}' for note in pair.notes]
        loaded.append((image_path, pair, pending))
    alphas, errors = _predict(predictor, [item[1] for item in loaded])
    for index, ((image_path, pair, pending),
                alpha) in enumerate(zip(loaded, alphas)):
        try:
            if index in errors:
                raise errors[index]
            outputs.save(image_path.stem, pair.image, pair.trimap, alpha,
                         pending)
        except image_errors() as error:
            lines[image_path].append(
                f'error: {describe_error(error, image_path)}')
            failed.add(image_path)
    done = {item[0] for item in loaded}
    return [
        PairOutcome(
            str(image), FAILED if image in failed else
            WRITTEN if image in done else SKIPPED, lines[image])
        for image, _ in chunk
    ]


def _predict(predictor: MattingPredictor, pairs: list) -> tuple:
    """The alphas of the read pairs (None where one failed) and the
    failures by index."""
    with warnings.catch_warnings():
        # Each image's tiling is one of its notes already.
        warnings.simplefilter('ignore', TiledInferenceWarning)
        try:
            return predictor.predict_batch([pair.image for pair in pairs],
                                           [pair.trimap for pair in pairs]), {}
        except BatchPredictionError as failed:
            return failed.alphas, failed.errors
