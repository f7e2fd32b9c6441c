"""Reading video files with PyAV: what a clip holds, and its frames.

A clip is probed before anything is predicted (:func:`probe_video`): the
packets of its video stream are counted without decoding them (about as
fast as reading the file), which gives the frame count of containers that
do not store it (Matroska, WebM), and finds a truncated file by its
missing packets: an MP4 declares its frame count, a Matroska file its
duration. Decoding (:func:`read_video`) then checks each frame's size and,
at the end, that as many frames came as were counted. Every failure is a
:class:`VideoInputError` naming the file, raised from what PyAV raises
(``av.FFmpegError`` and its subclasses, which include ``OSError``'s for
missing files).

Alpha in VP9: FFmpeg's own ``vp9`` decoder drops the alpha plane that WebM
stores beside the colour (``alpha_mode`` 1); ``libvpx-vp9`` decodes it, so
:func:`open_decoder` picks it for such streams (checked with PyAV 18.1).
"""
from fractions import Fraction
from pathlib import Path
from typing import Iterator, NamedTuple, Optional, Union

import av
import numpy as np

from ..inputs.images import MattingInputError

# A Matroska file whose video ends more than this many frame periods before
# the duration it declares is truncated (the last frame lasts one period;
# muxers round the duration to the millisecond).
TRUNCATION_PERIODS = 2


class VideoInputError(MattingInputError):
    """A clip or a guide clip cannot be used; the message names the file."""


class ClipInfo(NamedTuple):
    """What a clip holds, from :func:`probe_video` or
    :func:`.frame_folders.probe_frames`.

    Args:
        path: The video file or the folder of frames.
        frames: Number of frames.
        height, width: Frame size in pixels.
        rate: Average frame rate (frames per second).
        time_base: Unit of the frames' timestamps in seconds.
        audio: Whether the file has an audio stream.
        what: How messages name it (``'clip'``, ``'trimap clip'``...).
    """
    path: Path
    frames: int
    height: int
    width: int
    rate: Fraction
    time_base: Fraction
    audio: bool = False
    what: str = 'clip'

    @property
    def name(self) -> str:
        """How messages name the clip: its role and path."""
        return f"{self.what} '{self.path}'"


class Frame(NamedTuple):
    """One decoded frame.

    Args:
        index: Position in the clip, from 0.
        pts: Timestamp in units of the clip's ``time_base``.
        image: ``uint8`` (H, W, 3) BGR, or (H, W) for grey reading.
    """
    index: int
    pts: int
    image: np.ndarray


def _open(path: Path, name: str) -> 'av.container.InputContainer':
    try:
        return av.open(str(path))
    except av.FFmpegError as error:
        raise VideoInputError(
            f'{name}: cannot be read as a video ({_reason(error)})'
        ) from error


def _reason(error: 'av.FFmpegError') -> str:
    """FFmpeg's message without the file name PyAV appends."""
    return getattr(error, 'strerror', None) or str(error)


def video_stream(container, name: str):
    """The first video stream, checked to have a decoder.

    Raises:
        VideoInputError: No video stream, or none FFmpeg can decode.
    """
    if not container.streams.video:
        kinds = ', '.join(s.type for s in container.streams) or 'none'
        raise VideoInputError(f'{name}: no video stream (streams: {kinds})')
    stream = container.streams.video[0]
    if stream.codec_context is None:  # PyAV found no decoder for its codec
        raise VideoInputError(
            f'{name}: its video codec cannot be decoded by this FFmpeg '
            f'(PyAV {av.__version__})')
    return stream


def _declared_seconds(stream, container) -> Optional[float]:
    """The video's duration as the file states it, if it does."""
    if stream.duration:
        return float(stream.duration * stream.time_base)
    tag = stream.metadata.get('DURATION')  # Matroska's per-track tag
    if tag:
        hours, minutes, seconds = tag.split(':')
        return int(hours) * 3600 + int(minutes) * 60 + float(seconds)
    if container.duration and len(container.streams) == 1:
        return container.duration / av.time_base
    return None


def _count_packets(container, stream, name: str):
    """Video packets and the end time of the last, without decoding."""
    count, end = 0, None
    try:
        for packet in container.demux(stream):
            if packet.size == 0 or packet.pts is None:
                continue  # the demuxer's final empty packet
            count += 1
            last = (packet.pts + (packet.duration or 0)) * stream.time_base
            end = last if end is None else max(end, last)
    except av.FFmpegError as error:
        raise VideoInputError(
            f'{name}: unreadable after {count} frames, truncated or '
            f'damaged ({_reason(error)})') from error
    return count, end


def _check_complete(stream, container, name: str, count: int,
                    end: Optional[Fraction], rate: Fraction) -> None:
    """Refuse a file with fewer video packets than it declares."""
    if count == 0:
        raise VideoInputError(f'{name}: its video stream has no frames')
    if stream.frames and count < stream.frames:
        raise VideoInputError(
            f'{name}: truncated, {count} of the {stream.frames} frames it '
            'declares are there')
    declared = _declared_seconds(stream, container)
    if declared is not None and end is not None and float(
            end) < declared - TRUNCATION_PERIODS / float(rate):
        raise VideoInputError(
            f'{name}: truncated, its video ends at {float(end):.3f} s of '
            f'the {declared:.3f} s it declares')


def probe_video(path: Union[str, Path], what: str = 'clip') -> ClipInfo:
    """Check that a video file can be read whole and describe it.

    Args:
        path: A video file (any container FFmpeg reads).
        what: How messages name it.

    Returns:
        ClipInfo: Its frame count, size, rate, time base and audio.

    Raises:
        VideoInputError: Missing or unreadable file, no video stream, a
            codec FFmpeg cannot decode, no frames, or a truncated file.
    """
    path = Path(path)
    name = f"{what} '{path}'"
    with _open(path, name) as container:
        stream = video_stream(container, name)
        context = stream.codec_context
        rate = stream.average_rate or stream.guessed_rate or Fraction(25)
        count, end = _count_packets(container, stream, name)
        _check_complete(stream, container, name, count, end, rate)
        return ClipInfo(path, count, context.height, context.width,
                        Fraction(rate), Fraction(stream.time_base),
                        bool(container.streams.audio), what)


def open_decoder(stream):
    """The decoder for a stream: ``libvpx-vp9`` for VP9 with alpha (see the
    module docstring), else the stream's own."""
    if (stream.codec_context.name == 'vp9'
            and stream.metadata.get('alpha_mode') == '1'):
        decoder = av.CodecContext.create('libvpx-vp9', 'r')
        decoder.width = stream.codec_context.width
        decoder.height = stream.codec_context.height
        return decoder
    return stream.codec_context


def _decoded(container, stream) -> Iterator['av.VideoFrame']:
    decoder = open_decoder(stream)
    for packet in container.demux(stream):
        # The final empty packet flushes the decoder (decode(None)).
        yield from decoder.decode(None if packet.size == 0 else packet)


def read_video(info: ClipInfo, pixel_format: str = 'bgr24'
               ) -> Iterator[Frame]:
    """Decode a probed video's frames one at a time.

    Args:
        info: From :func:`probe_video`.
        pixel_format: ``'bgr24'`` (H, W, 3), ``'gray'`` (H, W) or
            ``'bgra'`` (H, W, 4: the alpha of a cut-out).

    Yields:
        Frame: Each frame in display order.

    Raises:
        VideoInputError: A frame cannot be decoded, has another size, or
            the file gives another number of frames than probed.
    """
    index = 0
    with _open(info.path, info.name) as container:
        stream = video_stream(container, info.name)
        try:
            for frame in _decoded(container, stream):
                if (frame.height, frame.width) != (info.height, info.width):
                    raise VideoInputError(
                        f'{info.name}: frame {index} is {frame.height}x'
                        f'{frame.width} (HxW), expected {info.height}x'
                        f'{info.width} like the first')
                pts = index if frame.pts is None else frame.pts
                yield Frame(index, pts, frame.to_ndarray(format=pixel_format))
                index += 1
        except av.FFmpegError as error:
            raise VideoInputError(
                f'{info.name}: cannot decode frame {index} '
                f'({_reason(error)})') from error
    if index != info.frames:
        raise VideoInputError(f'{info.name}: decoded {index} frames, '
                              f'expected {info.frames}')
