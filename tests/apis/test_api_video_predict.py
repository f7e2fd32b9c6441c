"""predict_video: every output against the predictor on the same frames as
images, alpha in the cut-outs, audio and timestamps carried over, atomic
outputs, --resume.

Needs the [video] extra (PyAV): without it the module fails to import."""
import os

import cv2
import numpy as np
import pytest
from helpers.video import decoded, moving_pairs, streams, write_clip

from indexnet_plugin.apis import MattingInputError, estimate_foreground
from indexnet_plugin.apis.video import (VideoOutputError, VideoOutputs,
                                        predict_video)
from indexnet_plugin.apis.video.encoders import VP9_ALPHA_ERROR
from indexnet_plugin.apis.cutout.visualize import composite

COUNT = 4


@pytest.fixture(scope='module')
def clip(tmp_path_factory):
    """A 64x96 clip of 4 frames at 29.97 fps with AAC audio (H.264 .mp4),
    its trimap clip, and the frames as decoded."""
    folder = tmp_path_factory.mktemp('clip')
    frames, trimaps = moving_pairs(COUNT)
    write_clip(folder / 'clip.mp4', frames, audio=True)
    write_clip(folder / 'trimap.mkv', trimaps)
    return folder, decoded(folder / 'clip.mp4'), trimaps


@pytest.fixture(scope='module')
def per_image(clip, reference_predictor):
    """The predictor on each decoded frame as an image."""
    _, frames, trimaps = clip
    return [reference_predictor.predict(f, t) for f, t in zip(frames, trimaps)]


@pytest.fixture(scope='module')
def every_output(clip, reference_predictor, tmp_path_factory):
    folder, _, _ = clip
    out = tmp_path_factory.mktemp('out')
    outputs = VideoOutputs(alpha_video=out / 'a.mkv',
                           alpha_frames=out / 'a', cutout=out / 'c.webm',
                           composite=out / 'm.mp4', rgba_frames=out / 'rgba')
    result = predict_video(reference_predictor, folder / 'clip.mp4',
                           folder / 'trimap.mkv', outputs=outputs)
    return out, outputs, result


def frames_of(folder):
    return [cv2.imread(str(folder / name), cv2.IMREAD_UNCHANGED)
            for name in sorted(os.listdir(folder))]


def largest(a, b) -> int:
    return max(int(np.abs(x.astype(int) - y).max()) for x, y in zip(a, b))


def test_lossless_outputs_are_the_per_image_alphas(every_output, per_image,
                                                   clip):
    out, _, result = every_output
    _, frames, _ = clip
    assert result.frames == COUNT and not result.skipped
    assert sorted(os.listdir(out)) == ['a', 'a.mkv', 'c.webm', 'm.mp4',
                                       'rgba']  # no temporary left
    assert largest(decoded(out / 'a.mkv', 'gray'), per_image) <= 1
    assert largest(frames_of(out / 'a'), per_image) <= 1
    rgba = frames_of(out / 'rgba')
    assert sorted(os.listdir(out / 'rgba'))[0] == '000000.png'
    assert largest([f[..., 3] for f in rgba], per_image) <= 1
    colours = [estimate_foreground(f, a) for f, a in zip(frames, per_image)]
    assert largest([f[..., :3] for f in rgba], colours) <= 1


def test_cutout_holds_alpha(every_output, per_image):
    out, _, _ = every_output
    cutout = decoded(out / 'c.webm', 'bgra')
    alphas = [frame[..., 3] for frame in cutout]
    assert all(a.min() == 0 and a.max() == 255 for a in alphas)
    assert largest(alphas, per_image) <= VP9_ALPHA_ERROR


def test_composite_is_the_cutout_over_green(every_output, per_image, clip):
    out, outputs, _ = every_output
    _, frames, _ = clip
    green = np.empty_like(frames[0])
    green[:] = outputs.background
    expected = [composite(estimate_foreground(f, a), a, green)
                for f, a in zip(frames, per_image)]
    for got, want in zip(decoded(out / 'm.mp4'), expected):
        # H.264 at CRF 18 in 4:2:0: a few levels on average
        assert np.abs(got.astype(int) - want).mean() < 4


def test_audio_and_timestamps_are_carried_over(every_output, clip):
    out, _, _ = every_output
    folder, _, _ = clip
    (_, _, base, source_pts), (_, _, audio_base, source_audio) = streams(
        folder / 'clip.mp4')
    seconds = [float(p * base) for p in source_pts]
    for name, audio_codec in (('m.mp4', 'aac'), ('c.webm', 'opus')):
        found = {kind: (codec, tb, pts)
                 for kind, codec, tb, pts in streams(out / name)}
        codec, tb, pts = found['video']
        # WebM stores milliseconds
        assert [float(p * tb) for p in pts] == pytest.approx(seconds,
                                                             abs=1e-3)
        assert found['audio'][0] == audio_codec
    # copied, not encoded again, into .mp4: the same packets
    assert streams(out / 'm.mp4')[1][3] == source_audio
    assert 'audio' not in [s[0] for s in streams(out / 'a.mkv')]


def test_resume_leaves_complete_outputs(clip, reference_predictor,
                                        tmp_path):
    folder, _, _ = clip
    first = VideoOutputs(alpha_video=tmp_path / 'a.mkv')
    predict_video(reference_predictor, folder / 'clip.mp4',
                  folder / 'trimap.mkv', outputs=first)
    before = (tmp_path / 'a.mkv').stat()
    both = first._replace(cutout=tmp_path / 'c.mov')
    result = predict_video(reference_predictor, folder / 'clip.mp4',
                           folder / 'trimap.mkv', outputs=both, resume=True)
    assert result.skipped == [tmp_path / 'a.mkv']
    assert result.written == [tmp_path / 'c.mov']
    assert (tmp_path / 'a.mkv').stat().st_mtime_ns == before.st_mtime_ns
    alphas = [f[..., 3] for f in decoded(tmp_path / 'c.mov', 'bgra')]
    # ProRes 4444 keeps alpha in 16 bits: within a level
    assert largest(alphas, decoded(tmp_path / 'a.mkv', 'gray')) <= 1
    again = predict_video(reference_predictor, folder / 'clip.mp4',
                          folder / 'trimap.mkv', outputs=both, resume=True)
    assert again.frames == 0 and not again.written


def test_a_failure_midway_leaves_nothing(clip, reference_predictor,
                                         tmp_path):
    folder, _, trimaps = clip
    # a trimap clip whose third frame is no trimap (a photo)
    bad = list(trimaps)
    bad[2] = np.random.default_rng(0).integers(0, 256, bad[2].shape,
                                               np.uint8)
    write_clip(tmp_path / 'bad.mkv', bad)
    outputs = VideoOutputs(alpha_video=tmp_path / 'out' / 'a.mkv',
                           rgba_frames=tmp_path / 'out' / 'rgba',
                           cutout=tmp_path / 'out' / 'c.webm')
    with pytest.raises(MattingInputError, match="trimap clip '.*bad.mkv' "
                       'frame 2: .* this does not look like a trimap'):
        predict_video(reference_predictor, folder / 'clip.mp4',
                      tmp_path / 'bad.mkv', outputs=outputs)
    assert os.listdir(tmp_path / 'out') == []


def test_cutout_in_mp4_is_refused_before_anything(clip, reference_predictor,
                                                  tmp_path):
    folder, _, _ = clip
    with pytest.raises(VideoOutputError) as error:
        predict_video(reference_predictor, folder / 'clip.mp4',
                      folder / 'trimap.mkv',
                      outputs=VideoOutputs(cutout=tmp_path / 'c.mp4'))
    assert str(error.value) == (
        f"cut-out '{tmp_path / 'c.mp4'}': .mp4 cannot hold alpha; expected "
        '.webm or .mov')
    assert os.listdir(tmp_path) == []


def test_composite_over_an_image_and_a_shorter_video(clip, per_image,
                                                     reference_predictor,
                                                     tmp_path):
    folder, frames, _ = clip
    rng = np.random.default_rng(1)

    def smooth(height, width):  # H.264 keeps its colours (4:2:0)
        return cv2.resize(rng.integers(0, 256, (4, 6, 3), np.uint8),
                          (width, height), interpolation=cv2.INTER_CUBIC)

    image = smooth(128, 192)  # twice the clip's size: scaled to cover it
    cv2.imwrite(str(tmp_path / 'behind.png'), image)
    behind = [smooth(64, 96) for _ in range(2)]
    write_clip(tmp_path / 'behind.mkv', behind)
    scaled = cv2.resize(image, (96, 64), interpolation=cv2.INTER_AREA)
    for background, backdrops in ((tmp_path / 'behind.png', [scaled] * 4),
                                  (tmp_path / 'behind.mkv', behind * 2)):
        out = tmp_path / f'{background.suffix[1:]}.mp4'
        predict_video(reference_predictor, folder / 'clip.mp4',
                      folder / 'trimap.mkv', outputs=VideoOutputs(
                          composite=out, background=background))
        for got, frame, alpha, backdrop in zip(decoded(out), frames,
                                               per_image, backdrops):
            colours = estimate_foreground(frame, alpha)
            error = np.abs(got.astype(int) -
                           composite(colours, alpha, backdrop)).mean()
            # H.264 4:2:0 at 96x64: 4.7 to 6.9 levels (measured), against
            # more than 20 behind the other backdrop
            wrong = np.abs(got.astype(int) -
                           composite(colours, alpha, 255 - backdrop)).mean()
            assert error < 8 and wrong > 20
