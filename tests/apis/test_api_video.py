"""Video: reading clips and folders of frames, refusing bad ones with one
message each, temporal stabilisation of guides, the video metrics.

Needs the [video] extra: without PyAV the module fails to import (loudly,
not skipped), as the bootstrap installs every extra."""
from fractions import Fraction

import av
import numpy as np
import pytest
from helpers.video import moving_pairs, write_clip, write_frames

from indexnet_plugin.apis.video import (VideoInputError, probe_video,
                                        read_video)
from indexnet_plugin.apis.video.frame_folders import (numbered_frames,
                                                      probe_frames,
                                                      read_frames)
from indexnet_plugin.apis.video.guides import check_guide, open_clip
from indexnet_plugin.apis.video.metrics import dtssd, messddt, mse, sad
from indexnet_plugin.apis.video.stabilise import TemporalMask

@pytest.fixture(scope='module')
def clips(tmp_path_factory):
    folder = tmp_path_factory.mktemp('clips')
    frames, trimaps = moving_pairs(5)
    write_clip(folder / 'clip.mkv', frames)
    write_clip(folder / 'sound.mp4', frames, audio=True)
    write_clip(folder / 'trimap.mkv', trimaps)
    write_clip(folder / 'short.mkv', trimaps[:4])
    write_clip(folder / 'small.mkv', [t[:32] for t in trimaps])
    write_clip(folder / 'fast.mkv', trimaps, rate=30)
    return folder, frames, trimaps


def message(function, *args) -> str:
    with pytest.raises(VideoInputError) as error:
        function(*args)
    return str(error.value)


class TestReading:

    def test_lossless_clip_round_trips(self, clips):
        folder, frames, _ = clips
        info = probe_video(folder / 'clip.mkv')
        assert (info.frames, info.height, info.width) == (5, 64, 96)
        assert info.rate == Fraction(30000, 1001)
        read = list(read_video(info))
        assert [f.index for f in read] == list(range(5))
        assert all(np.array_equal(f.image, frame)
                   for f, frame in zip(read, frames))
        assert not info.audio and probe_video(folder / 'sound.mp4').audio

    def test_folder_of_frames_plays_by_number(self, tmp_path, clips):
        _, frames, _ = clips
        write_frames(tmp_path / 'f', frames[:3], 'shot_{}.png', first=8)
        # 8, 9, 10: a name sort would put 10 first
        assert [p.name for p in numbered_frames(tmp_path / 'f')] == [
            'shot_8.png', 'shot_9.png', 'shot_10.png']
        info = probe_frames(tmp_path / 'f', 24)
        assert (info.frames, info.rate, info.time_base) == (3, 24,
                                                            Fraction(1, 24))
        assert all(np.array_equal(f.image, frame) and f.pts == i
                   for i, (f, frame) in enumerate(zip(read_frames(info),
                                                      frames)))

    def test_folder_without_numbers_or_with_one_twice(self, tmp_path, clips):
        _, frames, _ = clips
        folder = write_frames(tmp_path / 'f', frames[:2])
        write_frames(folder, frames[:1], 'cover.png')
        assert message(numbered_frames, folder) == (
            f"clip '{folder}': 'cover.png' has no number in its name, "
            'expected numbered frames such as frame_0001.png')
        (folder / 'cover.png').unlink()
        write_frames(folder, frames[:1], 'take2_{:02d}.png')
        assert message(numbered_frames, folder) == (
            f"clip '{folder}': 'frame_0001.png' and 'take2_01.png' are both "
            'frame 1')


class TestBadClips:

    def test_truncated_mp4_with_its_index_first(self, tmp_path, clips):
        _, frames, _ = clips
        path = tmp_path / 'cut.mp4'
        with av.open(str(path), 'w', options={'movflags': 'faststart'}) as c:
            stream = c.add_stream('libx264', rate=25)
            stream.height, stream.width, stream.pix_fmt = 64, 96, 'yuv420p'
            for index in range(20):
                noise = np.random.default_rng(index).integers(
                    0, 256, (64, 96, 3), np.uint8)
                c.mux(stream.encode(av.VideoFrame.from_ndarray(noise)))
            c.mux(stream.encode(None))
        data = path.read_bytes()
        path.write_bytes(data[:len(data) // 2])
        assert message(probe_video, path).startswith(
            f"clip '{path}': truncated, ")
        assert message(probe_video, path).endswith(
            ' of the 20 frames it declares are there')

    def test_truncated_matroska(self, tmp_path, clips):
        folder, _, _ = clips
        data = (folder / 'clip.mkv').read_bytes()
        (tmp_path / 'cut.mkv').write_bytes(data[:len(data) // 2])
        text = message(probe_video, tmp_path / 'cut.mkv')
        assert text.startswith(f"clip '{tmp_path / 'cut.mkv'}': truncated, "
                               'its video ends at ')
        assert text.endswith(' of the 0.166 s it declares')

    def test_not_a_video(self, tmp_path):
        (tmp_path / 'x.mp4').write_text('hello')
        assert message(probe_video, tmp_path / 'x.mp4') == (
            f"clip '{tmp_path / 'x.mp4'}': cannot be read as a video "
            '(Invalid data found when processing input)')
        assert message(probe_video, tmp_path / 'none.mp4') == (
            f"clip '{tmp_path / 'none.mp4'}': cannot be read as a video "
            '(No such file or directory)')

    def test_no_video_stream(self, tmp_path, clips):
        folder, _, _ = clips
        with av.open(str(folder / 'sound.mp4')) as source, \
                av.open(str(tmp_path / 'a.m4a'), 'w') as target:
            audio = target.add_stream_from_template(source.streams.audio[0])
            for packet in source.demux(source.streams.audio[0]):
                if packet.size:
                    packet.stream = audio
                    target.mux(packet)
        assert message(probe_video, tmp_path / 'a.m4a') == (
            f"clip '{tmp_path / 'a.m4a'}': no video stream (streams: audio)")

    def test_codec_ffmpeg_cannot_decode(self, tmp_path, clips):
        _, frames, _ = clips
        write_clip(tmp_path / 'c.avi', frames)
        # An AVI names its codec by a four-letter tag: one nobody knows.
        data = (tmp_path / 'c.avi').read_bytes().replace(b'FFV1', b'QQQQ')
        (tmp_path / 'c.avi').write_bytes(data)
        assert message(probe_video, tmp_path / 'c.avi') == (
            f"clip '{tmp_path / 'c.avi'}': its video codec cannot be decoded"
            f' by this FFmpeg (PyAV {av.__version__})')

    @pytest.mark.parametrize('name, problem', [
        ('short.mkv', 'differ in length: 4 and 5 frames'),
        ('small.mkv', 'differ in size: 32x96 and 64x96 (HxW)'),
        ('fast.mkv', 'differ in frame rate: 30 and 29.97 frames per second'),
    ])
    def test_guide_that_does_not_match(self, clips, name, problem):
        folder, _, _ = clips
        clip = open_clip(folder / 'clip.mkv')
        guide = open_clip(folder / name, what='trimap clip')
        assert message(check_guide, clip, guide) == (
            f"trimap clip '{folder / name}' and clip '{folder / 'clip.mkv'}' "
            + problem)


class TestTemporalMask:

    def still_scene(self, count=12, seed=0):
        rng = np.random.default_rng(seed)
        image = np.full((40, 60, 3), 90, np.uint8)
        image[10:30, 20:40] = 200  # the object
        frames = [np.clip(image + rng.normal(0, 3, image.shape), 0,
                          255).astype(np.uint8) for _ in range(count)]
        truth = np.zeros((40, 60), np.float32)
        truth[10:30, 20:40] = 1
        # a segmenter unsure along the object's outline, anew each frame
        confidences = [np.clip(truth + rng.normal(0, 0.3, truth.shape), 0, 1)
                       .astype(np.float32) for _ in range(count)]
        return frames, confidences, truth

    def test_still_scene_holds_still(self):
        frames, confidences, truth = self.still_scene()
        plain = TemporalMask(stabilise=False)
        steady = TemporalMask()
        flips = {'plain': 0, 'steady': 0}
        last = {}
        for frame, confidence in zip(frames, confidences):
            for name, temporal in (('plain', plain), ('steady', steady)):
                mask = temporal.update(frame, confidence)
                if name in last:
                    flips[name] += int((mask != last[name]).sum())
                last[name] = mask
        assert flips['steady'] < flips['plain'] / 10
        assert (last['steady'] == (truth > 0.5)).mean() > 0.99

    def test_moving_object_is_followed_at_once(self):
        frames, confidences, truth = self.still_scene(4)
        temporal = TemporalMask()
        for frame, confidence in zip(frames[:3], confidences[:3]):
            temporal.update(frame, confidence)
        moved = np.roll(frames[3], 15, axis=1)
        new = np.roll(truth, 15, axis=1)
        mask = temporal.update(moved, new)
        # where it was and where it is: no ghost, no lag
        region = (truth > 0) | (new > 0)
        assert np.array_equal(mask[region], new[region] > 0.5)


class TestMetrics:

    def test_values(self):
        truth = [np.full((4, 5), v, np.uint8) for v in (0, 51, 102)]
        assert sad(truth, truth) == mse(truth, truth) == dtssd(
            truth, truth) == 0
        offset = [t + 51 for t in truth]  # wrong, but steadily so
        assert sad(offset, truth) == pytest.approx(20 * 0.2 / 1000)
        assert mse(offset, truth) == pytest.approx(0.04)
        assert dtssd(offset, truth) == pytest.approx(0)
        flicker = [truth[0], truth[1] + 51, truth[2]]
        # changes of +0.4 then 0 against +0.2, +0.2: sqrt(20 * 0.04)
        assert dtssd(flicker, truth) == pytest.approx(np.sqrt(0.8))
        still = [np.zeros((4, 5, 2), np.float32)] * 2
        assert messddt(offset, truth, still) == pytest.approx(0, abs=1e-6)
        # error 0.04 then 0.16 at every pixel: |0.04 - 0.16| * 20 per pair
        growing = [truth[0] + 51, truth[1] + 102, truth[2] + 51]
        assert messddt(growing, truth, still) == pytest.approx(2.4)
