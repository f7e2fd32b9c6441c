"""What a video run writes, and the writers of each output.

Outputs (any of them in one run, see :class:`VideoOutputs`):

* ``alpha_video``: the alpha as FFV1 in ``.mkv`` (lossless, grey);
* ``alpha_frames``: the alpha as a folder of PNG frames;
* ``cutout``: colours with alpha, ``.webm`` (VP9) or ``.mov`` (ProRes
  4444); an ``.mp4`` cannot hold alpha and is refused;
* ``composite``: the cut-out over a colour, an image or a video, ``.mp4``;
* ``rgba_frames``: the cut-out as a folder of BGRA PNG frames.

Cut-outs and composites use the estimated foreground colours
(:func:`~indexnet_plugin.apis.estimate_foreground`). Frames are named
``000000.png``, ``000001.png``, ... by their position in the clip.

Every output is written under a temporary name beside its target and moved
into place when the clip is complete (``indexnet_plugin.fileio``), so an
interrupted run leaves no partial file or folder under the final name, and
an output found complete is skipped with ``resume``.
"""
from pathlib import Path
from typing import NamedTuple, Optional, Tuple, Union

from .encoders import CODECS

Colour = Tuple[int, int, int]  # BGR
Background = Union[Colour, str, Path]
# The composite's backdrop unless another is given: a chroma-key green.
DEFAULT_BACKGROUND: Colour = (64, 177, 0)
FRAME_NAME = '{:06d}.png'


class VideoOutputError(ValueError):
    """An output cannot be written as asked; the message names it."""


class VideoOutputs(NamedTuple):
    """The files and folders of a video run; None: not written.

    Args:
        alpha_video: ``.mkv`` (FFV1).
        alpha_frames: A folder for PNG alpha frames.
        cutout: ``.webm`` or ``.mov``.
        composite: ``.mp4``.
        rgba_frames: A folder for BGRA PNG frames.
        background: The composite's backdrop: BGR colour, image or video.
    """
    alpha_video: Optional[Path] = None
    alpha_frames: Optional[Path] = None
    cutout: Optional[Path] = None
    composite: Optional[Path] = None
    rgba_frames: Optional[Path] = None
    background: Background = DEFAULT_BACKGROUND

    def targets(self) -> dict:
        """Each output asked for: name -> path."""
        return {name: Path(getattr(self, name)) for name in FILE_KINDS +
                FOLDER_KINDS if getattr(self, name) is not None}


FILE_KINDS = ('alpha_video', 'cutout', 'composite')
FOLDER_KINDS = ('alpha_frames', 'rgba_frames')
_CODEC_KIND = {'alpha_video': 'alpha', 'cutout': 'cutout',
               'composite': 'composite'}
_WHAT = {'alpha_video': 'alpha video', 'cutout': 'cut-out',
         'composite': 'composite'}


def check_outputs(outputs: VideoOutputs) -> None:
    """Refuse outputs that cannot be written as named.

    Raises:
        VideoOutputError: No output, a format that cannot hold what it
            should (an ``.mp4`` cut-out), or two outputs at one path.
    """
    targets = outputs.targets()
    if not targets:
        raise VideoOutputError('no video output asked for')
    for name in FILE_KINDS:
        path = targets.get(name)
        if path is None:
            continue
        suffixes = [suffix for kind, suffix in CODECS
                    if kind == _CODEC_KIND[name]]
        if path.suffix.lower() not in suffixes:
            reason = ('cannot hold alpha' if name == 'cutout'
                      and path.suffix.lower() in ('.mp4', '.m4v', '.avi')
                      else 'is not a format written here')
            raise VideoOutputError(
                f"{_WHAT[name]} '{path}': {path.suffix or 'no suffix'} "
                f"{reason}; expected {' or '.join(suffixes)}")
    paths = [path.absolute() for path in targets.values()]
    if len(set(paths)) < len(paths):
        raise VideoOutputError('two outputs share one path: ' +
                               ', '.join(map(str, targets.values())))


def needs_colours(outputs: VideoOutputs) -> bool:
    """Whether the foreground colours are estimated for these outputs."""
    return any(getattr(outputs, name) is not None
               for name in ('cutout', 'composite', 'rgba_frames'))
