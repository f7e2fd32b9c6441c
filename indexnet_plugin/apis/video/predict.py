"""Matting a clip: :func:`predict_video`."""
import time
from pathlib import Path
from typing import Callable, List, NamedTuple, Optional, Union

import numpy as np

from ..cutout.foreground import estimate_foreground
from ..inputs.trimap import UNKNOWN
from .containers import ClipInfo
from .guides import ClipGuide, GuideCounts, check_guide, open_clip, read_clip
from .outputs import VideoOutputs, check_outputs, needs_colours
from .pipeline import Prefetch, Serial, Sink
from .writers import ClipWriters

PathLike = Union[str, Path]


class VideoResult(NamedTuple):
    """What :func:`predict_video` did.

    Args:
        written: The outputs written (paths).
        skipped: Outputs left alone because they were complete (resume).
        frames: Frames predicted (0 when every output was complete).
        seconds: Wall time of the run.
        counts: The guide's frames without object, all object, relabelled.
    """
    written: List[Path]
    skipped: List[Path]
    frames: int
    seconds: float
    counts: GuideCounts


def predict_frame(predictor, image: np.ndarray,
                  trimap: np.ndarray) -> np.ndarray:
    """One frame's alpha; a trimap without unknown pixels is the alpha
    itself (the network would only write its labels back)."""
    if not (trimap == UNKNOWN).any():
        return trimap.copy()
    return predictor.predict(image, trimap)


def _guide_kind(trimap, mask, auto_mask) -> str:
    given = [name for name, value in (('trimap', trimap), ('mask', mask),
                                      ('auto_mask', auto_mask))
             if value is not None]
    if len(given) != 1:
        raise ValueError('give exactly one of trimap, mask and auto_mask, '
                         'got ' + (' and '.join(given) or 'none'))
    return {'trimap': 'trimap', 'mask': 'mask', 'auto_mask': 'auto'}[given[0]]


def plan_outputs(outputs: VideoOutputs, resume: bool) -> List[str]:
    """The outputs already complete (skipped with ``resume``)."""
    check_outputs(outputs)
    if not resume:
        return []
    return [name for name, path in outputs.targets().items()
            if path.exists()]


def predict_video(predictor,
                  clip: PathLike,
                  trimap: Optional[PathLike] = None,
                  *,
                  outputs: VideoOutputs,
                  mask: Optional[PathLike] = None,
                  auto_mask=None,
                  unknown_width: Optional[int] = None,
                  stabilise: bool = True,
                  rate=None,
                  resume: bool = False,
                  progress: Optional[Callable[[int], None]] = None,
                  on_start: Optional[Callable[[ClipInfo], None]] = None,
                  overlap: bool = True) -> VideoResult:
    """Predict the alpha of every frame of a clip and write the outputs.

    Args:
        predictor: A :class:`~indexnet_plugin.apis.MattingPredictor`.
        clip: A video file or a folder of numbered frames.
        trimap: A trimap clip (video or folder) of the same frames.
        outputs: What to write, see :class:`~.outputs.VideoOutputs`.
        mask: Instead of a trimap: a mask clip.
        auto_mask: Instead of a trimap: ``'person'`` or a
            :class:`~indexnet_plugin.apis.PersonSegmenter`.
        unknown_width: Band width of trimaps made from masks.
        stabilise: Stabilise masks over time (see :mod:`.stabilise`).
        rate: Frame rate of a folder of frames (default 25).
        resume: Leave the outputs already there (complete: written
            atomically), write the others.
        progress: Called with 1 after each frame is written.
        on_start: Called with the :class:`~.containers.ClipInfo` once
            inputs and outputs are checked, before any frame is read.
        overlap: Stages in threads (:mod:`.pipeline`); False: one after
            another in this thread (to measure what overlapping buys).

    Returns:
        VideoResult: The outputs written and skipped, and counts.

    Raises:
        MattingInputError: A bad clip or guide (VideoInputError: unreadable,
            truncated, undecodable, not matching), a bad frame.
        ValueError: Not exactly one guide; VideoOutputError: a bad output.
    """
    start = time.perf_counter()
    kind = _guide_kind(trimap, mask, auto_mask)
    skip = plan_outputs(outputs, resume)
    info = open_clip(Path(clip), rate)
    source = None if kind == 'auto' else _guide_clip(
        info, trimap if kind == 'trimap' else mask, kind, rate)
    skipped = [outputs.targets()[name] for name in skip]
    if len(skip) == len(outputs.targets()):  # all there already
        return VideoResult([], skipped, 0, 0.0, GuideCounts())
    guide = ClipGuide(kind, source, _segmenter(predictor, auto_mask),
                      unknown_width, stabilise, predictor.guides.strict_trimap,
                      predictor.guides.relabel)
    if on_start is not None:
        on_start(info)
    written = _run(predictor, info, guide, outputs, skip, progress, overlap)
    return VideoResult(written, skipped, info.frames,
                       time.perf_counter() - start, guide.counts)


def _guide_clip(info: ClipInfo, path: PathLike, kind: str,
                rate) -> ClipInfo:
    """The trimap or mask clip, checked against the clip."""
    source = open_clip(Path(path), rate, f'{kind} clip')
    check_guide(info, source)
    return source


def _run(predictor, info: ClipInfo, guide: ClipGuide, outputs: VideoOutputs,
         skip: List[str], progress: Optional[Callable[[int], None]],
         overlap: bool) -> List[Path]:
    """The three stages over every frame (see :mod:`.pipeline`); returns
    the outputs written."""
    colours = needs_colours(outputs)

    def write(item) -> None:
        frame, alpha = item
        fg = estimate_foreground(frame.image, alpha) if colours else None
        writers.write(frame, alpha, fg)
        if progress is not None:
            progress(1)

    pairs = guide.trimaps(read_clip(info))
    audio = info.path if info.audio else None
    with ClipWriters(outputs, info, audio, skip) as writers, \
            (Prefetch(pairs) if overlap else Serial(pairs)) as pairs, \
            (Sink(write) if overlap else Serial(write)) as sink:
        for frame, trimap in pairs:
            sink.put((frame, predict_frame(predictor, frame.image, trimap)))
        sink.close()
        return writers.finish()


def _segmenter(predictor, auto_mask):
    if auto_mask is None:
        return None
    return predictor.guides.segmenter(auto_mask)
