"""Writing a clip's results to every output at once (see :mod:`.outputs`)."""
import contextlib
import sys
from pathlib import Path
from typing import Dict, Iterator, List, Optional

import cv2
import numpy as np

from ...fileio import staged_files, staged_folder
from ..inputs.images import decode_file, as_image
from ..cutout.visualize import composite
from .containers import ClipInfo, Frame, probe_video, read_video
from .formats import is_video_file
from .encoders import CODECS, VideoEncoder
from .outputs import FILE_KINDS, FRAME_NAME, VideoOutputs

_CODEC_KIND = {'alpha_video': 'alpha', 'cutout': 'cutout',
               'composite': 'composite'}


def cover(image: np.ndarray, height: int, width: int) -> np.ndarray:
    """Scale an image to cover (height, width) and crop its centre."""
    if image.shape[:2] == (height, width):
        return image
    scale = max(height / image.shape[0], width / image.shape[1])
    size = (max(width, round(image.shape[1] * scale)),
            max(height, round(image.shape[0] * scale)))
    scaled = cv2.resize(image, size, interpolation=cv2.INTER_AREA
                        if scale < 1 else cv2.INTER_LINEAR)
    top, left = (size[1] - height) // 2, (size[0] - width) // 2
    return scaled[top:top + height, left:left + width]


def backdrops(background, height: int, width: int) -> Iterator[np.ndarray]:
    """The composite's backdrop for each frame, forever: a colour, an image
    (scaled to cover the frame) or a video (each frame scaled; played again
    from the start when shorter than the clip).

    Raises:
        MattingInputError: An unreadable image or video.
    """
    if isinstance(background, tuple):
        plain = np.empty((height, width, 3), np.uint8)
        plain[:] = background
        while True:
            yield plain
    if is_video_file(background):
        info = probe_video(background, 'background')
        while True:
            for frame in read_video(info):
                yield cover(frame.image, height, width)
    image = cover(as_image(decode_file(background, 'background'),
                           f"background '{background}'"), height, width)
    while True:
        yield image


class ClipWriters:
    """Every output of a clip, written under staged names and moved into
    place when :meth:`finish` completes; leaving the ``with`` block without
    it (an error, Ctrl-C) removes every staged file.

    Args:
        outputs: What to write (those in ``skip`` are not).
        info: The source clip.
        audio_from: The video whose audio goes into the video outputs
            (the alpha video gets none), or None.
        skip: Names of outputs to leave alone (already complete).
    """

    def __init__(self, outputs: VideoOutputs, info: ClipInfo,
                 audio_from: Optional[Path] = None, skip=()):
        self.outputs = outputs
        self.info = info
        self.audio_from = audio_from
        self.kinds = {name: path for name, path in outputs.targets().items()
                      if name not in skip}
        self._stack = contextlib.ExitStack()
        self._encoders: Dict[str, VideoEncoder] = {}
        self._folders: Dict[str, Path] = {}
        self._backdrops: Optional[Iterator[np.ndarray]] = None
        self._finished = False

    def __enter__(self) -> 'ClipWriters':
        try:
            for name, path in self.kinds.items():
                if name in FILE_KINDS:
                    staged, = self._stack.enter_context(staged_files([path]))
                    codec = CODECS[_CODEC_KIND[name], path.suffix.lower()]
                    audio = self.audio_from if name != 'alpha_video' else None
                    self._encoders[name] = VideoEncoder(staged, codec,
                                                        self.info, audio)
                else:
                    self._folders[name] = self._stack.enter_context(
                        staged_folder(path))
            if 'composite' in self.kinds:
                self._backdrops = backdrops(self.outputs.background,
                                            self.info.height, self.info.width)
        except BaseException:
            self._abort()
            self._stack.__exit__(*sys.exc_info())
            raise
        return self

    def write(self, frame: Frame, alpha: np.ndarray,
              colours: Optional[np.ndarray]) -> None:
        """Write one frame's results to every output.

        Args:
            frame: The source frame (its index and timestamp).
            alpha: ``uint8`` (H, W).
            colours: BGR ``uint8`` (H, W, 3) foreground colours, when a
                cut-out, composite or RGBA frames are written.
        """
        name = FRAME_NAME.format(frame.index)
        for kind, encoder in self._encoders.items():
            if kind == 'alpha_video':
                encoder.write(frame.pts, alpha)
            elif kind == 'cutout':
                encoder.write(frame.pts, np.dstack((colours, alpha)))
            else:
                encoder.write(frame.pts,
                              composite(colours, alpha, next(self._backdrops)))
        for kind, folder in self._folders.items():
            image = alpha if kind == 'alpha_frames' else np.dstack(
                (colours, alpha))
            ok, data = cv2.imencode('.png', image)
            (folder / name).write_bytes(data.tobytes())

    def finish(self) -> List[Path]:
        """Flush the encoders and move every output into place.

        Returns:
            list[Path]: The outputs written.
        """
        try:
            for encoder in self._encoders.values():
                encoder.close()
        except BaseException:
            self._abort()
            raise
        finally:
            self._encoders.clear()
        self._stack.close()  # moves every staged output into place
        self._finished = True
        return list(self.kinds.values())

    def _abort(self) -> None:
        for encoder in self._encoders.values():
            encoder.abort()
        self._encoders.clear()

    def __exit__(self, kind, error, trace) -> None:
        if self._finished:
            return
        self._abort()
        if error is None:  # left without finish(): nothing is complete
            error = RuntimeError('the clip was not written to its end')
            kind, trace = type(error), None
        # Each staged output sees the error and removes its files.
        self._stack.__exit__(kind, error, trace)
