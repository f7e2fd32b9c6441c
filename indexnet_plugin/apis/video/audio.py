"""The source clip's audio in an output video.

Packets are copied as they are when the output's container takes the codec
(AAC into ``.mp4`` and ``.mov``), else decoded and encoded again (into
``.webm``: Opus; PCM into ``.mp4``: AAC). Audio is muxed as the video
advances (:meth:`AudioCarrier.advance`), never all at the end: FFmpeg's
interleaver holds every packet of one stream until the other catches up,
so writing the video first would keep the whole clip's video packets in
memory.
"""
from pathlib import Path
from typing import Optional

import av

# What each output container gets when it cannot take the source's codec.
REENCODE = {'webm': ('libopus', 48000), 'mp4': ('aac', None),
            'mov': ('aac', None), 'matroska': ('libopus', 48000)}


class AudioCarrier:
    """Carries the first audio stream of ``source`` into ``output``.

    Args:
        source: The video file the audio comes from.
        output: The open output container (streams not written yet).
    """

    def __init__(self, source: Path, output: 'av.container.OutputContainer'):
        self._input = av.open(str(source))
        self._stream = self._input.streams.audio[0]
        self._output = output
        codec = self._stream.codec_context.name
        self.copies = codec in output.supported_codecs
        if self.copies:
            self._out = output.add_stream_from_template(self._stream)
        else:
            name, rate = REENCODE[output.format.name.split(',')[0]]
            rate = rate or self._stream.codec_context.sample_rate
            self._out = output.add_stream(name, rate=rate)
            self._out.codec_context.layout = self._stream.codec_context.layout
            self._resampler = av.AudioResampler(
                format=self._out.codec_context.format,
                layout=self._out.codec_context.layout, rate=rate)
        self._packets = self._input.demux(self._stream)
        self._pending: Optional['av.Packet'] = None

    def _next(self) -> Optional['av.Packet']:
        for packet in self._packets:
            if packet.dts is not None and packet.size:
                return packet
        return None

    def advance(self, seconds: Optional[float]) -> None:
        """Write the audio up to ``seconds`` of the clip (None: all)."""
        while True:
            packet = self._pending or self._next()
            self._pending = None
            if packet is None:
                return
            if seconds is not None and packet.dts * packet.time_base > seconds:
                self._pending = packet
                return
            self._write(packet)

    def _write(self, packet: 'av.Packet') -> None:
        if self.copies:
            packet.stream = self._out
            self._output.mux(packet)
            return
        for frame in self._stream.codec_context.decode(packet):
            self._encode(frame)

    def _encode(self, frame: Optional['av.AudioFrame']) -> None:
        frames = self._resampler.resample(frame)
        for resampled in frames:
            resampled.pts = None  # the encoder counts samples itself
            self._output.mux(self._out.encode(resampled))
        if frame is None:
            self._output.mux(self._out.encode(None))

    def close(self) -> None:
        """Write the rest and flush the encoder; close the source."""
        try:
            self.advance(None)
            if not self.copies:
                for frame in self._stream.codec_context.decode(None):
                    self._encode(frame)
                self._encode(None)
        finally:
            self._input.close()

    def abort(self) -> None:
        """Close the source without writing the rest."""
        self._input.close()
