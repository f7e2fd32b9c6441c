"""A guide for every frame of a clip: a trimap clip, a mask clip or the
automatic person mask, read in step with the clip.

A guide clip (video or folder of frames) must match its clip: as many
frames, the same size and, for two videos, the same frame rate; a mismatch
is one :class:`~.containers.VideoInputError` naming both. Masks and the
automatic mask pass through :class:`~.stabilise.TemporalMask` (unless
``stabilise=False``) and become trimaps by the rule of
:func:`~indexnet_plugin.apis.mask.mask_to_trimap`, with one band width for
the clip. Unlike a single image, a frame without the object (a person who
has left the picture, an empty mask) is no error: its trimap is all
background and its alpha 0; a frame that is all object gets alpha 255.
"""
import warnings
from pathlib import Path
from typing import Iterator, NamedTuple, Optional, Tuple

import numpy as np

from ..inputs.images import TrimapRelabelledWarning, as_trimap
from ..inputs.mask import mask_coverage, mask_to_trimap
from ..inputs.trimap import BACKGROUND, FOREGROUND
from .containers import ClipInfo, Frame, VideoInputError, probe_video, \
    read_video
from .formats import DEFAULT_RATE, is_video_file
from .frame_folders import probe_frames, read_frames
from .stabilise import TemporalMask, clip_width


class GuideCounts(NamedTuple):
    """What a guide did over a clip, for one line each at the end."""
    relabelled: int = 0  # trimap frames with values moved to 0/128/255
    empty: int = 0  # frames without the object (alpha 0)
    full: int = 0  # frames that are all object (alpha 255)


def open_clip(path: Path, rate=None, what: str = 'clip') -> ClipInfo:
    """Probe a video file or a folder of frames (``rate`` for a folder,
    default :data:`~.frame_folders.DEFAULT_RATE`)."""
    if Path(path).is_dir():
        return probe_frames(path, rate or DEFAULT_RATE, what)
    return probe_video(path, what)


def read_clip(info: ClipInfo, pixel_format: str = 'bgr24') -> Iterator[Frame]:
    """The frames of a probed clip (``'gray'``: as stored, for guides)."""
    if info.path.is_dir():
        return read_frames(info, grey=pixel_format == 'gray')
    return read_video(info, pixel_format)


def check_guide(clip: ClipInfo, guide: ClipInfo) -> None:
    """Refuse a guide clip that does not match its clip, naming both."""
    both = f'{guide.name} and {clip.name}'
    if guide.frames != clip.frames:
        raise VideoInputError(f'{both} differ in length: {guide.frames} '
                              f'and {clip.frames} frames')
    if (guide.height, guide.width) != (clip.height, clip.width):
        raise VideoInputError(
            f'{both} differ in size: {guide.height}x{guide.width} and '
            f'{clip.height}x{clip.width} (HxW)')
    if (is_video_file(guide.path) and is_video_file(clip.path)
            and guide.rate != clip.rate):
        raise VideoInputError(
            f'{both} differ in frame rate: {float(guide.rate):g} and '
            f'{float(clip.rate):g} frames per second')


class ClipGuide:
    """Makes each frame's trimap from one kind of guide.

    Args:
        kind: ``'trimap'``, ``'mask'`` or ``'auto'``.
        source: The trimap or mask clip (probed and checked), or None for
            ``'auto'``.
        segmenter: For ``'auto'``: a
            :class:`~indexnet_plugin.apis.PersonSegmenter`.
        unknown_width: Band width for masks; None: from the first frame
            showing the object (:func:`~.stabilise.clip_width`).
        stabilise: Smooth masks over time (:class:`~.stabilise.TemporalMask`).
        strict_trimap, relabel: How trimap frames are read, see
            :func:`~indexnet_plugin.apis.io.as_trimap`.
    """

    def __init__(self, kind: str, source: Optional[ClipInfo] = None,
                 segmenter=None, unknown_width: Optional[int] = None,
                 stabilise: bool = True, strict_trimap: bool = False,
                 relabel: bool = True):
        self.kind = kind
        self.source = source
        self.segmenter = segmenter
        self.unknown_width = unknown_width
        self.strict_trimap = strict_trimap
        self.relabel = relabel
        threshold = getattr(segmenter, 'threshold', 0.5)
        self.stabilise = stabilise
        self._temporal = TemporalMask(threshold, stabilise)
        self.counts = GuideCounts()

    def trimaps(self, frames: Iterator[Frame]
                ) -> Iterator[Tuple[Frame, np.ndarray]]:
        """Pair each frame with its trimap, ``uint8`` (H, W)."""
        guides = (read_clip(self.source, 'gray')
                  if self.source is not None else None)
        for frame in frames:
            guide = next(guides) if guides is not None else None
            yield frame, self.trimap(frame, guide)

    def trimap(self, frame: Frame, guide: Optional[Frame]) -> np.ndarray:
        """One frame's trimap from its guide frame (None for ``'auto'``)."""
        if self.kind == 'trimap':
            name = f'{self.source.name} frame {frame.index}'
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter('always', TrimapRelabelledWarning)
                trimap = as_trimap(guide.image, name, self.strict_trimap,
                                   self.relabel)
            self.counts = self.counts._replace(
                relabelled=self.counts.relabelled + bool(caught))
            return trimap
        if self.kind == 'mask':
            confidence = mask_coverage(guide.image,
                                  f'{self.source.name} frame {frame.index}')
        else:
            confidence = self.segmenter.confidence(frame.image)
        return self._from_inside(self._temporal.update(frame.image,
                                                       confidence))

    def _from_inside(self, inside: np.ndarray) -> np.ndarray:
        if not inside.any() or inside.all():
            field = 'empty' if not inside.any() else 'full'
            self.counts = self.counts._replace(
                **{field: getattr(self.counts, field) + 1})
            return np.full(inside.shape, FOREGROUND if inside.any() else
                           BACKGROUND, np.uint8)
        if not self.stabilise:  # each frame by the rule for one image
            return mask_to_trimap(inside.astype(np.float32),
                                  self.unknown_width)
        if self.unknown_width is None:
            self.unknown_width = clip_width(inside)
        return mask_to_trimap(inside.astype(np.float32), self.unknown_width)
