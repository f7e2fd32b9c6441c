"""Output video files: one video stream with the source's timestamps, and
its audio.

The codecs, by output (checked with PyAV 18.1's FFmpeg; times per 1280x720
frame on 2 loaded cores, 2 encoder threads, ``bench/bench_video.py``):

* alpha, ``.mkv``: FFV1 in grey, lossless (20 ms);
* cut-out, ``.webm``: VP9 with alpha (``yuva420p``) at constant quality,
  libvpx's real-time mode (100 ms; its "good" mode costs 2.5x for a
  smaller file; 4.7 Mbit/s at 25 fps); the alpha plane within
  :data:`VP9_ALPHA_ERROR` levels;
* cut-out, ``.mov``: ProRes 4444 (``prores_ks``, ``yuva444p10le``), alpha
  within one level (250 ms);
* composite, ``.mp4``: H.264 (``libx264``, ``yuv420p``, ``veryfast`` at
  CRF 18; 75 ms). 4:2:0 needs even sides: an odd-sized clip's composite
  gets its last row or column repeated.

Each frame keeps its timestamp (``pts`` in the clip's time base), so a
variable frame rate plays as it did; Matroska and WebM store milliseconds.
"""
from pathlib import Path
from typing import Dict, NamedTuple, Optional

import av
import numpy as np

from .audio import AudioCarrier
from .containers import ClipInfo

ENCODER_THREADS = 2
# Bound on the alpha difference after a round trip through the .webm
# cut-out at VP9_OPTIONS. Measured with PyAV 18.1 on moving soft-edged discs
# with stripes: at most 10 levels at 96x64 and 1280x720 (mean 0.23 and 0.08),
# and 10 on the tests' clip; CRF 4 gives 6 for 1.8x the size, CRF 0 one
# level for 10x, CRF 20 14 levels.
VP9_ALPHA_ERROR = 12
VP9_OPTIONS = {'deadline': 'realtime', 'cpu-used': '8', 'crf': '10',
               'b': '0', 'row-mt': '1'}


class Codec(NamedTuple):
    """How one kind of output is encoded.

    Args:
        name: FFmpeg's encoder.
        pixel_format: What the encoder stores.
        input_format: The arrays given to :meth:`VideoEncoder.write`
            (``'gray'`` (H, W), ``'bgr24'`` (H, W, 3), ``'bgra'``).
        options: The encoder's options.
        even: The encoder needs even sides.
    """
    name: str
    pixel_format: str
    input_format: str
    options: Dict[str, str]
    even: bool = False


# output kind, suffix -> codec
CODECS = {
    ('alpha', '.mkv'): Codec('ffv1', 'gray', 'gray', {}),
    ('cutout', '.webm'): Codec('libvpx-vp9', 'yuva420p', 'bgra', VP9_OPTIONS),
    ('cutout', '.mov'): Codec('prores_ks', 'yuva444p10le', 'bgra',
                              {'profile': '4444'}),
    ('composite', '.mp4'): Codec('libx264', 'yuv420p', 'bgr24',
                                 {'preset': 'veryfast', 'crf': '18'}, True),
}


def _even(array: np.ndarray) -> np.ndarray:
    """Repeat the last row / column of an odd-sized frame."""
    height, width = array.shape[:2]
    pad = ((0, height % 2), (0, width % 2)) + ((0, 0), ) * (array.ndim - 2)
    return np.pad(array, pad, mode='edge') if any(p[1] for p in pad[:2]) \
        else array


class VideoEncoder:
    """Writes one video file frame by frame.

    Args:
        path: Where (a staged temporary path: see ``fileio.staged_files``).
        codec: See :data:`CODECS`.
        info: The source clip: size, rate, time base.
        audio_from: A video file whose audio goes along, or None.
    """

    def __init__(self, path: Path, codec: Codec, info: ClipInfo,
                 audio_from: Optional[Path] = None):
        self.codec = codec
        self._container = av.open(str(path), 'w')
        try:
            stream = self._container.add_stream(codec.name, rate=info.rate,
                                                options=codec.options)
            height, width = info.height, info.width
            if codec.even:
                height, width = height + height % 2, width + width % 2
            stream.height, stream.width = height, width
            stream.pix_fmt = codec.pixel_format
            stream.codec_context.time_base = info.time_base
            stream.codec_context.thread_count = ENCODER_THREADS
            self._stream = stream
            self._time_base = info.time_base
            self._audio = (AudioCarrier(audio_from, self._container)
                           if audio_from is not None else None)
        except BaseException:
            self._container.close()
            raise

    def write(self, pts: int, array: np.ndarray) -> None:
        """Encode a frame shown at ``pts`` (in the clip's time base)."""
        if self.codec.even:
            array = _even(array)
        frame = av.VideoFrame.from_ndarray(
            np.ascontiguousarray(array), format=self.codec.input_format)
        frame.pts, frame.time_base = pts, self._time_base
        if self._audio is not None:
            self._audio.advance(float(pts * self._time_base))
        self._container.mux(self._stream.encode(frame))

    def close(self) -> None:
        """Flush the encoder and the audio, and close the file."""
        try:
            self._container.mux(self._stream.encode(None))
            if self._audio is not None:
                self._audio.close()
        finally:
            self._container.close()

    def abort(self) -> None:
        """Close without flushing (the staged file is thrown away)."""
        try:
            if self._audio is not None:
                self._audio.abort()
        finally:
            self._container.close()
