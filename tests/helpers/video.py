"""Small clips made with PyAV for the video tests, and reading them back."""
from fractions import Fraction
from pathlib import Path
from typing import List, Sequence

import av
import cv2
import numpy as np

from .images import make_pair

RATE = Fraction(30000, 1001)  # NTSC: a rate that is no whole number
AUDIO_RATE = 48000
# Codec per container: lossless but for .mp4 (H.264 4:2:0, as cameras
# write; the tests compare against the decoded frames).
CODECS = {'.mkv': ('ffv1', 'bgr0'), '.avi': ('ffv1', 'bgr0'),
          '.mov': ('png', 'rgb24'), '.mp4': ('libx264', 'yuv420p'),
          '.webm': ('libvpx-vp9', 'yuv420p')}


def moving_pairs(count: int, height: int = 64, width: int = 96):
    """Frames of a small pair (helpers.images) sliding right a pixel a
    frame: BGR images and their trimaps."""
    image, trimap = make_pair(height, width)
    frames = [np.roll(image, shift, axis=1) for shift in range(count)]
    trimaps = [np.roll(trimap, shift, axis=1) for shift in range(count)]
    return frames, trimaps


def write_clip(path: Path, frames: Sequence[np.ndarray], rate=RATE,
               audio: bool = False, codec: str = None) -> Path:
    """Write BGR (H, W, 3) or grey (H, W) frames by the path's container
    (see :data:`CODECS`; grey frames: FFV1), with a 440 Hz AAC tone the clip's
    length when ``audio``."""
    grey = frames[0].ndim == 2
    name, pixel_format = CODECS[path.suffix]
    if grey:
        name, pixel_format = 'ffv1', 'gray'
    with av.open(str(path), 'w') as container:
        stream = container.add_stream(codec or name, rate=rate)
        stream.height, stream.width = frames[0].shape[:2]
        stream.pix_fmt = pixel_format
        sound = (container.add_stream('aac', rate=AUDIO_RATE, layout='mono')
                 if audio else None)
        for frame in frames:
            container.mux(stream.encode(av.VideoFrame.from_ndarray(
                frame, format='gray' if grey else 'bgr24')))
        container.mux(stream.encode(None))
        if sound is not None:
            samples = int(AUDIO_RATE * len(frames) / rate)
            tone = 0.2 * np.sin(2 * np.pi * 440 * np.arange(samples) /
                                AUDIO_RATE)
            for start in range(0, samples, 1024):
                chunk = av.AudioFrame.from_ndarray(
                    tone[None, start:start + 1024].astype(np.float32),
                    format='fltp', layout='mono')
                chunk.sample_rate, chunk.pts = AUDIO_RATE, start
                container.mux(sound.encode(chunk))
            container.mux(sound.encode(None))
    return path


def write_frames(folder: Path, frames: Sequence[np.ndarray],
                 name: str = 'frame_{:04d}.png', first: int = 1) -> Path:
    """Write frames as a folder of numbered PNGs."""
    folder.mkdir(parents=True, exist_ok=True)
    for number, frame in enumerate(frames, first):
        cv2.imwrite(str(folder / name.format(number)), frame)
    return folder


def decoded(path: Path, pixel_format: str = 'bgr24') -> List[np.ndarray]:
    """Every frame of a video file as arrays (VP9 alpha included)."""
    from indexnet_plugin.apis.video import probe_video, read_video
    return [frame.image for frame in read_video(probe_video(path),
                                                pixel_format)]


def streams(path: Path) -> List[tuple]:
    """(type, codec, time base, frames' pts) of each stream of a file."""
    with av.open(str(path)) as container:
        found = []
        for stream in container.streams:
            pts = [packet.pts for packet in container.demux(stream)
                   if packet.size]
            container.seek(0)
            found.append((stream.type, stream.codec_context.name,
                          stream.time_base, sorted(pts)))
        return found
