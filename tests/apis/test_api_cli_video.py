"""indexnet-predict on clips: a video file or a folder of frames, each
output against indexnet-predict on the same frames as images, --resume,
and one error line per bad input with nothing written.

Needs the [video] extra (PyAV): without it the module fails to import."""
import os
import sys

import numpy as np
import pytest
from helpers.cli import read_output as read
from helpers.cli import run_cli as run
from helpers.images import astronaut
from helpers.video import (decoded, moving_pairs, streams, write_clip,
                           write_frames)

COUNT = 3


@pytest.fixture(scope='module')
def clips(tmp_path_factory):
    """clip.mkv (lossless) with trimap.mkv, the same as folders of frames,
    and the decoded frames written as images (for the image path)."""
    folder = tmp_path_factory.mktemp('clips')
    frames, trimaps = moving_pairs(COUNT)
    write_clip(folder / 'clip.mkv', frames)
    write_clip(folder / 'trimap.mkv', trimaps)
    write_frames(folder / 'frames', frames)
    write_frames(folder / 'trimaps', trimaps)
    write_frames(folder / 'images', decoded(folder / 'clip.mkv'), '{}.png', 0)
    write_frames(folder / 'image_trimaps', trimaps, '{}.png', 0)
    return folder


@pytest.fixture(scope='module')
def as_images(clips, checkpoint, tmp_path_factory):
    """indexnet-predict on the clip's frames as a folder of images."""
    out = tmp_path_factory.mktemp('images_out')
    assert run([clips / 'images', clips / 'image_trimaps'], checkpoint, out,
               '--rgba') == 0
    return ([read(out / f'{i}.png') for i in range(COUNT)],
            [read(out / f'{i}_rgba.png') for i in range(COUNT)])


def largest(a, b) -> int:
    return max(int(np.abs(x.astype(int) - y).max()) for x, y in zip(a, b))


def test_every_output_matches_the_images(clips, as_images, checkpoint,
                                         tmp_path):
    alphas, rgbas = as_images
    out = tmp_path / 'out'
    assert run([clips / 'clip.mkv', clips / 'trimap.mkv'], checkpoint, out,
               '--alpha-video', '--alpha-frames', '--rgba-frames',
               '--cutout', 'mov') == 0
    assert sorted(os.listdir(out)) == ['clip_alpha', 'clip_alpha.mkv',
                                       'clip_cutout.mov', 'clip_rgba']
    assert largest(decoded(out / 'clip_alpha.mkv', 'gray'), alphas) <= 1
    frames = sorted(os.listdir(out / 'clip_alpha'))
    assert frames == ['000000.png', '000001.png', '000002.png']
    assert largest([read(out / 'clip_alpha' / f) for f in frames],
                   alphas) <= 1
    assert largest([read(out / 'clip_rgba' / f) for f in frames], rgbas) <= 1
    cutout = decoded(out / 'clip_cutout.mov', 'bgra')
    assert largest([c[..., 3] for c in cutout], alphas) <= 1  # alpha kept


def test_folder_of_frames_at_a_rate(clips, as_images, checkpoint, tmp_path):
    alphas, _ = as_images
    out = tmp_path / 'out'
    assert run([clips / 'frames', clips / 'trimaps', '--frames', '--fps',
                '24'], checkpoint, out) == 0
    assert os.listdir(out) == ['frames_alpha.mkv']  # the default output
    assert largest(decoded(out / 'frames_alpha.mkv', 'gray'), alphas) <= 1
    (_, _, base, pts), = streams(out / 'frames_alpha.mkv')
    assert [float(p * base) for p in pts] == pytest.approx(
        [0, 1 / 24, 2 / 24], abs=1e-3)


def test_auto_mask_frame_by_frame_is_the_image_rule(checkpoint, tmp_path):
    photo = astronaut(128)
    frames = [np.roll(photo, shift, axis=1) for shift in (0, 2)]
    write_clip(tmp_path / 'person.mkv', frames)
    write_frames(tmp_path / 'images', frames, '{}.png', 0)
    assert run([tmp_path / 'images', '--auto-mask', 'person'], checkpoint,
               tmp_path / 'images_out') == 0
    assert run([tmp_path / 'person.mkv', '--auto-mask', 'person',
                '--no-stabilise'], checkpoint, tmp_path / 'out') == 0
    alphas = decoded(tmp_path / 'out' / 'person_alpha.mkv', 'gray')
    assert largest(alphas, [read(tmp_path / 'images_out' / f'{i}.png')
                            for i in (0, 1)]) <= 1


def test_resume_writes_only_what_is_missing(clips, checkpoint, tmp_path,
                                            capsys):
    out = tmp_path / 'out'
    args = [clips / 'clip.mkv', clips / 'trimap.mkv']
    assert run(args, checkpoint, out, '--alpha-video') == 0
    written = (out / 'clip_alpha.mkv').stat().st_mtime_ns
    capsys.readouterr()
    assert run(args, checkpoint, out, '--alpha-video', '--cutout',
               '--resume') == 0
    assert capsys.readouterr().err.splitlines() == [
        f"info: '{out / 'clip_alpha.mkv'}' is already there (--resume): "
        'left as it is']
    assert (out / 'clip_alpha.mkv').stat().st_mtime_ns == written
    assert sorted(os.listdir(out)) == ['clip_alpha.mkv', 'clip_cutout.webm']


def truncated(folder, tmp_path):
    data = (folder / 'clip.mkv').read_bytes()
    (tmp_path / 'cut.mkv').write_bytes(data[:len(data) // 2])
    return tmp_path / 'cut.mkv'


@pytest.mark.parametrize('args, message', [
    (['{tmp}/none.mp4', '{clips}/trimap.mkv'],
     "clip '{tmp}/none.mp4': cannot be read as a video (No such file or "
     'directory)'),
    (['{tmp}/cut.mkv', '{clips}/trimap.mkv'],
     "clip '{tmp}/cut.mkv': truncated, its video ends at 0.033 s of the "
     '0.100 s it declares'),
    (['{clips}/clip.mkv', '{tmp}/short.mkv'],
     "trimap clip '{tmp}/short.mkv' and clip '{clips}/clip.mkv' differ in "
     'length: 2 and 3 frames'),
    (['{clips}/clip.mkv', '{clips}/trimap.mkv', '--cutout', 'mp4'],
     "cut-out '{tmp}/out/clip_cutout.mp4': .mp4 cannot hold alpha; "
     'expected .webm or .mov'),
    (['{clips}/clip.mkv', '{clips}/trimap.mkv', '--rgba'],
     '--rgba applies to images; for a clip use --alpha-video, --alpha-frames, '
     '--cutout, --composite, --rgba-frames'),
    (['{clips}/clip.mkv', '--box', '1,1,20,20'],
     '--box applies to images; for a clip use --alpha-video, --alpha-frames, '
     '--cutout, --composite, --rgba-frames'),
    (['{clips}/clip.mkv', '{clips}/trimap.mkv', '--ray'],
     '--ray applies to images; for a clip use --alpha-video, --alpha-frames, '
     '--cutout, --composite, --rgba-frames'),
    (['{clips}/images/0.png', '{clips}/image_trimaps/0.png', '--cutout'],
     '--cutout applies to a clip (a video file, or a folder of frames with '
     '--frames)'),
    (['{clips}/clip.mkv', '{clips}/trimap.mkv', '--composite',
      '--background', 'nowhere.jpg'],
     "--background 'nowhere.jpg': not a colour (#rrggbb or r,g,b) nor an "
     'image or video file'),
])
def test_refused_with_one_line_and_nothing_written(clips, checkpoint,
                                                   tmp_path, capsys, args,
                                                   message):
    truncated(clips, tmp_path)
    write_clip(tmp_path / 'short.mkv', moving_pairs(2)[1])
    fill = dict(tmp=tmp_path, clips=clips)
    status = run([a.format(**fill) for a in args], checkpoint,
                 tmp_path / 'out')
    assert (status, capsys.readouterr().err.strip()) == (
        2, 'error: ' + message.format(**fill))
    assert not (tmp_path / 'out').exists() or not os.listdir(tmp_path /
                                                             'out')


def test_missing_pyav_is_one_line_naming_the_extra(clips, checkpoint,
                                                   tmp_path, capsys,
                                                   monkeypatch):
    # As without the extra: importing av fails, and the CLI's video module
    # (which imports it) is imported again.
    monkeypatch.setitem(sys.modules, 'av', None)
    monkeypatch.delitem(sys.modules, 'indexnet_plugin.apis.cli.video')
    status = run([clips / 'clip.mkv', clips / 'trimap.mkv'], checkpoint,
                 tmp_path / 'out')
    assert (status, capsys.readouterr().err.strip()) == (
        2, 'error: a clip needs PyAV, which is not installed; install it '
        'with: pip install "indexnet_plugin[video]"')
