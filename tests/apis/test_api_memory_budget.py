"""Whole image or tiles from the memory budget (apis/inference/memory.py),
and the one line each tiled image gets. The decision needs no big network: a
pixel-wise stand-in network makes tiled and whole results identical, so the
plumbing is checked exactly; the tiling error of the real network is
tests/apis/test_api_inference.py's and bench/bench_tiling.py's."""
import re

import cv2
import numpy as np
import pytest
import torch
from helpers.images import SIZE, make_pair

from indexnet_plugin.apis import MattingPredictor, MattingSettings
from indexnet_plugin.apis.inference import memory
from indexnet_plugin.apis.cli.predict import main
from indexnet_plugin.apis.inference.memory import GB, TiledInferenceWarning

# The released model's test-time settings (the indexnet_mobv2 config).
SETTINGS = MattingSettings((123.675, 116.28, 103.53), (58.395, 57.12, 57.375),
                           True, 255.0, 'interp', 'bicubic', 32)
COMP1K_SIZES = [(1080, 1920), (1280, 1920), (1600, 2560)]


def pixelwise(inputs: torch.Tensor) -> torch.Tensor:
    """A network whose output at a pixel depends on that pixel only."""
    return torch.sigmoid(inputs[:, :1] + inputs[:, 3:])


@pytest.mark.parametrize('path', ['plain', 'onnxruntime', 'openvino'])
@pytest.mark.parametrize('size', COMP1K_SIZES)
def test_comp1k_sizes_run_whole_under_8_gb(path, size):
    predictor = MattingPredictor(pixelwise, SETTINGS, max_memory=8,
                                 memory_path=path)
    assert predictor.memory_budget == 8 * GB
    assert predictor.tiling_note(size, 'photo.jpg') is None


def test_default_budget_is_a_share_of_available_memory(monkeypatch):
    monkeypatch.setattr(memory, 'available_memory', lambda: 8 * GB)
    predictor = MattingPredictor(pixelwise, SETTINGS,
                                 memory_path='onnxruntime')
    assert predictor.memory_budget == 6 * GB
    assert predictor.tiling_note((1600, 2560), 'photo.jpg') is None
    assert predictor.tiling_note((2048, 4096), 'photo.jpg') == (
        "image 'photo.jpg': network input 2048x4096 runs in 8 tiles of "
        '1152x1216: whole it needs about 10.8 GB, more than the memory budget '
        'of 6 GB (raise --max-memory / max_memory for a whole-image result)')
    # OpenVINO, compiled for each input shape, needs about half as much
    # (bench/bench_memory.py).
    predictor = MattingPredictor(pixelwise, SETTINGS, memory_path='openvino')
    assert predictor.tiling_note((2048, 4096), 'photo.jpg') is None
    assert predictor.tiling_note((3072, 3072), 'photo.jpg') == (
        "image 'photo.jpg': network input 3072x3072 runs in 9 tiles of "
        '1216x1216: whole it needs about 6.4 GB, more than the memory budget '
        'of 6 GB (raise --max-memory / max_memory for a whole-image result)')
    monkeypatch.setattr(memory, 'available_memory', lambda: None)
    assert memory.default_budget() == memory.FALLBACK_BUDGET


def test_available_memory_reads_meminfo():
    with open('/proc/meminfo') as meminfo:
        fields = dict(line.split(':') for line in meminfo)
    available = int(fields['MemAvailable'].split()[0]) * 1024
    total = int(fields['MemTotal'].split()[0]) * 1024
    # Read a moment later: the same order of magnitude, below the total.
    assert 0.5 * available < memory.available_memory() <= total


def test_small_budget_tiles_and_says_why():
    predictor = MattingPredictor(pixelwise, SETTINGS, max_memory=2,
                                 memory_path='onnxruntime')
    assert predictor.tiling_note((1000, 1200), 'photo.jpg') is None
    assert predictor.tiling_note((2048, 2048), 'big.jpg') == (
        "image 'big.jpg': network input 2048x2048 runs in 4 tiles of "
        '1152x1152: whole it needs about 5.52 GB, more than the memory budget '
        'of 2 GB (raise --max-memory / max_memory for a whole-image '
        'result)')


def test_tiles_shrink_to_fit_the_budget_and_each_image_warns():
    """0.256 GB leaves 4955 pixels (plain): 64x64 tiles."""
    tiled = MattingPredictor(pixelwise, SETTINGS, max_memory=0.256,
                             tile_overlap=32)
    whole = MattingPredictor(pixelwise, SETTINGS, max_memory=1)
    assert (tiled.max_pixels, tiled.tile_size) == (4955, 64)
    image, trimap = make_pair(*SIZE)
    small_image, small_trimap = make_pair(40, 40)
    message = ('image array: network input 96x128 runs in 6 tiles of 64x64: '
               'whole it needs about 0.265 GB, more than the memory budget of '
               '0.256 GB (raise --max-memory / max_memory for a whole-image '
               'result)')
    with pytest.warns(TiledInferenceWarning) as caught:
        alphas = tiled.predict_batch([image, small_image, image],
                                     [trimap, small_trimap, trimap],
                                     as_float=True)
    assert [str(w.message) for w in caught] == [message, message]
    expected = whole.predict(image, trimap, as_float=True)
    assert np.abs(alphas[0] - expected).max() <= 1e-6
    assert 0 < alphas[0][trimap == 128].std()


@pytest.mark.parametrize('kwargs, message', [
    (dict(max_memory=0), 'max_memory must be > 0 (GB), got 0'),
    (dict(max_memory=1, max_pixels=2**21),
     'give max_pixels or max_memory, not both'),
    (dict(memory_path='gpu'),
     "memory_path must be one of ('plain', 'onnxruntime', 'openvino'), got "
     "'gpu'"),
    (dict(max_memory=0.2501),
     'a memory budget of 0.25 GB leaves room for tiles of 0x0 pixels at '
     'most, not more than tile_overlap=256; raise max_memory'),
])
def test_memory_arguments_validated(kwargs, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        MattingPredictor(pixelwise, SETTINGS, **kwargs)


def test_cli_says_which_file_runs_in_tiles(tmp_path, checkpoint, capsys):
    image, trimap = make_pair(*SIZE)
    cv2.imwrite(str(tmp_path / 'i.png'), image)
    cv2.imwrite(str(tmp_path / 't.png'), trimap)
    status = main([
        str(tmp_path / 'i.png'),
        str(tmp_path / 't.png'), '--checkpoint',
        str(checkpoint), '-o',
        str(tmp_path / 'out'), '--no-fast', '--quiet', '--max-memory',
        '0.256', '--tile-overlap', '32'
    ])
    assert status == 0
    assert capsys.readouterr().err.splitlines() == [
        f"warning: image '{tmp_path / 'i.png'}': network input 96x128 runs "
        'in 6 tiles of 64x64: whole it needs about 0.265 GB, more than the '
        'memory budget of 0.256 GB (raise --max-memory / max_memory for a '
        'whole-image result)'
    ]
    assert (tmp_path / 'out' / 'i.png').is_file()
