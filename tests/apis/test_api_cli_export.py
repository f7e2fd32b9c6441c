"""indexnet-predict, in process and as a subprocess (exported files:
test_api_exported.py)."""
import os
import subprocess
import sys

import cv2
import numpy as np
import pytest
from helpers.images import make_pair

from indexnet_plugin.apis import estimate_foreground, init_predictor
from indexnet_plugin.apis.cli.predict import main


@pytest.fixture
def folders(tmp_path):
    """Three pairs of different sizes, one with a trimap of the wrong size,
    and one image without a trimap."""
    images, trimaps = tmp_path / 'images', tmp_path / 'trimaps'
    images.mkdir()
    trimaps.mkdir()
    for stem, size in [('a', (100, 130)), ('b', (70, 90)), ('c', (64, 64))]:
        image, trimap = make_pair(*size)
        cv2.imwrite(str(images / f'{stem}.jpg'), image)
        cv2.imwrite(str(trimaps / f'{stem}.png'),
                    trimap if stem != 'c' else trimap[:32])
    cv2.imwrite(str(images / 'd.png'), make_pair(64, 64)[0])
    return tmp_path


def test_folder_run_reports_bad_pairs_and_finishes_the_rest(
        folders, checkpoint, capsys, reference_predictor):
    out = folders / 'out'
    status = main([
        str(folders / 'images'), str(folders / 'trimaps'), '--checkpoint',
        str(checkpoint), '-o', str(out), '--rgba', '--preview', '--no-fast',
        '--quiet'
    ])
    errors = capsys.readouterr().err.strip().splitlines()
    assert status == 1
    assert errors == [
        f"error: image '{folders / 'images' / 'd.png'}': no trimap named "
        f"'d.*' in '{folders / 'trimaps'}'",
        f"error: trimap '{folders / 'trimaps' / 'c.png'}' is 32x64 (HxW) but "
        f"image '{folders / 'images' / 'c.jpg'}' is 64x64, expected the same "
        'size',
    ]
    assert sorted(p.name for p in out.iterdir()) == [
        'a.png', 'a_preview.png', 'a_rgba.png', 'b.png', 'b_preview.png',
        'b_rgba.png'
    ]
    image = cv2.imread(str(folders / 'images' / 'a.jpg'))
    trimap = cv2.imread(str(folders / 'trimaps' / 'a.png'), 0)
    alpha = cv2.imread(str(out / 'a.png'), cv2.IMREAD_UNCHANGED)
    expected = reference_predictor.predict(image, trimap)  # mmedit network
    assert np.abs(alpha.astype(int) - expected).max() <= 1
    rgba = cv2.imread(str(out / 'a_rgba.png'), cv2.IMREAD_UNCHANGED)
    colours = estimate_foreground(image, alpha)
    assert np.array_equal(rgba, np.dstack((colours, alpha)))
    preview = cv2.imread(str(out / 'a_preview.png'))
    assert preview.shape == (100, 4 * 130, 3)
    assert np.array_equal(preview[:, :130], image)


def test_wrong_checkpoint_is_fatal(folders, capsys):
    status = main([
        str(folders / 'images' / 'a.jpg'), str(folders / 'trimaps' / 'a.png'),
        '--checkpoint', str(folders / 'missing.pth'), '--quiet'
    ])
    assert status == 2
    assert capsys.readouterr().err.strip() == (
        f"error: checkpoint '{folders / 'missing.pth'}': file not found")


def test_file_and_folder_mixed_is_fatal(folders, checkpoint, capsys):
    status = main([
        str(folders / 'images'), str(folders / 'trimaps' / 'a.png'),
        '--checkpoint', str(checkpoint), '--quiet'
    ])
    assert status == 2
    assert capsys.readouterr().err.strip() == (
        f"error: image '{folders / 'images'}' and trimap "
        f"'{folders / 'trimaps' / 'a.png'}' must both be files or both be "
        'folders')


def test_init_predictor_fast_equals_plain(checkpoint, pair):
    """The default (fast) predictor, OpenVINO; also warms the cache of the
    session (ONNX graph, compiled model) for the console command below."""
    fast = init_predictor(None, checkpoint)
    plain = init_predictor(None, checkpoint, fast=False)
    assert fast.backend == 'openvino'
    difference = np.abs(
        fast.predict(*pair, as_float=True) -
        plain.predict(*pair, as_float=True)).max()
    assert difference <= 1e-4, difference


@pytest.mark.slow
def test_console_command_single_pair(folders, checkpoint, tmp_path):
    """The installed entry point, as a user runs it (fast path included)."""
    out = tmp_path / 'single'
    command = [
        sys.executable, '-m', 'indexnet_plugin.apis.cli',
        str(folders / 'images' / 'a.jpg'),
        str(folders / 'trimaps' / 'a.png'), '--checkpoint',
        str(checkpoint), '-o', str(out)
    ]
    # One thread, as in-process tests (conftest); the ONNX cache folder of
    # the test session is inherited through the environment.
    result = subprocess.run(
        command,
        capture_output=True,
        text=True,
        env=dict(os.environ, OMP_NUM_THREADS='1'))
    assert result.returncode == 0, result.stderr
    alpha = cv2.imread(str(out / 'a.png'), cv2.IMREAD_UNCHANGED)
    assert alpha.shape == (100, 130) and alpha.dtype == np.uint8
