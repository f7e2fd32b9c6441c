"""int8 quantization: training crops, tools/quantize.py, and the int8 file
through init_exported_predictor and indexnet-predict --model-file.

The tool runs once per module, as a user runs it, on the reference weights
(calibrated random weights in the released format) with the demo config's
training pipeline over the tiny synthetic Comp-1k and a short calibration.
"""
import io
import re
import runpy
import sys
from contextlib import redirect_stdout

import cv2
import numpy as np
import pytest
from helpers.cli import read_output
from helpers.comp1k import tiny_comp1k
from helpers.images import make_pair
from helpers.models import host_test_step_alpha
from helpers.paths import REPO
from mmengine.config import Config

from indexnet_plugin.apis import MattingSettings, init_exported_predictor
from indexnet_plugin.apis.cli import main
from indexnet_plugin.apis.quantize import (FP32_PARTS, fp32_patterns,
                                           int8_share, pipeline_samples,
                                           quantize_network, training_crops)

pytest.importorskip('nncf')
ov = pytest.importorskip('openvino')

DEMO_CONFIG = REPO / 'configs' / 'indexnet_demo.py'
CROP = 128  # the demo pipeline's crop side
CROPS, VALIDATION_CROPS = 4, 2
SIZE = (100, 130)


@pytest.fixture(scope='module')
def demo_config(tmp_path_factory):
    """The demo config reading the tiny synthetic Comp-1k."""
    root = tiny_comp1k(str(tmp_path_factory.mktemp('comp1k')))
    config = Config.fromfile(str(DEMO_CONFIG))
    config.train_dataloader.dataset.data_root = root
    return config


@pytest.fixture(scope='module')
def quantized(checkpoint, demo_config, tmp_path_factory):
    """tools/quantize.py run once as a user runs it: (int8 .xml, its
    printed report)."""
    out = tmp_path_factory.mktemp('int8') / 'indexnet_int8.xml'
    argv = [
        'quantize.py', str(checkpoint), str(out), '--config',
        str(DEMO_CONFIG), '--crops', str(CROPS), '--validation-crops',
        str(VALIDATION_CROPS), '--cfg-options',
        f'train_dataloader.dataset.data_root='
        f'{demo_config.train_dataloader.dataset.data_root}'
    ]
    printed = io.StringIO()
    with pytest.MonkeyPatch.context() as patch, redirect_stdout(printed):
        patch.setattr(sys, 'argv', argv)
        runpy.run_path(str(REPO / 'tools' / 'quantize.py'),
                       run_name='__main__')
    return out, printed.getvalue()


def test_training_crops_follow_the_pipeline_and_the_seed(demo_config):
    crops = training_crops(demo_config, 3, seed=1)
    assert len(crops) == 3  # more than the 4 samples would also cycle
    for crop in crops:
        assert crop.image.shape == (CROP, CROP, 3)
        assert crop.trimap.shape == crop.alpha.shape == (CROP, CROP)
        assert crop.image.dtype == crop.trimap.dtype == np.uint8
        # Generated from the alpha: every pixel is one of the three levels.
        assert set(np.unique(crop.trimap)) <= {0, 128, 255}
    again = training_crops(demo_config, 3, seed=1)
    other = training_crops(demo_config, 3, seed=2)
    assert all(np.array_equal(a.image, b.image) for a, b in zip(crops, again))
    assert not all(
        np.array_equal(a.image, b.image) for a, b in zip(crops, other))


def test_pipeline_samples_refuse_what_they_cannot_use(demo_config):
    missing = demo_config.train_dataloader.dataset.copy()
    missing.data_root = '/nonexistent/comp1k'
    with pytest.raises(FileNotFoundError,
                       match=r"training_list.json.*data_root "
                       r"'/nonexistent/comp1k'"):
        pipeline_samples(missing, 1)
    unpacked = demo_config.train_dataloader.dataset.copy()
    unpacked.pipeline = unpacked.pipeline[:-1]
    with pytest.raises(ValueError, match='must end with PackInputs'):
        pipeline_samples(unpacked, 1)
    with pytest.raises(ValueError, match='count must be at least 1, got 0'):
        pipeline_samples(demo_config.train_dataloader.dataset, 0)


def test_fp32_parts_are_validated():
    assert fp32_patterns([]) == []
    assert fp32_patterns(['decoder']) == list(FP32_PARTS['decoder'])
    with pytest.raises(ValueError, match=r"among \['decoder', "
                       r"'index_blocks'\], got \['encoder'\]"):
        fp32_patterns(['encoder'])


def test_the_tool_keeps_the_index_blocks_fp32(quantized):
    path, printed = quantized
    assert path.with_suffix('.bin').is_file()
    assert sorted(p.name for p in path.parent.iterdir()) == [
        'indexnet_int8.bin', 'indexnet_int8.xml']
    model = ov.Core().read_model(str(path))
    index_convolutions = [
        op for op in model.get_ops()
        if op.get_type_name() in ('Convolution', 'GroupConvolution')
        and '/encoder/index_layers.' in op.get_friendly_name()
    ]
    int8, total = int8_share(model)
    # Every convolution but the index blocks' is int8 (and there are some).
    assert index_convolutions and int8 == total - len(index_convolutions)
    assert f'{int8} of {total} convolutions int8' in printed
    report = re.search(
        rf'SAD on {VALIDATION_CROPS} validation crops: fp32 (\S+), '
        r'int8 (\S+) \(([-+]\S+) %\)', printed)
    assert report, printed
    fp32_sad, int8_sad, change = map(float, report.groups())
    assert fp32_sad > 0 and int8_sad > 0
    assert change == pytest.approx(100 * (int8_sad / fp32_sad - 1), abs=0.01)


def test_the_int8_file_predicts_close_to_the_host(quantized, host_model,
                                                  tmp_path):
    """Through the predictor and indexnet-predict --model-file: the same
    alpha, near the host's fp32 test_step (random weights; measured on both
    hosts: 0.59 levels on average, 103 at the worst pixel)."""
    path, _ = quantized
    predictor = init_exported_predictor(path)
    assert (predictor.backend, predictor.precision) == ('openvino', 'int8')
    assert predictor.settings == MattingSettings.from_model(host_model)
    image, trimap = make_pair(*SIZE)
    alpha = predictor.predict(image, trimap)
    expected = host_test_step_alpha(host_model, image, trimap)
    difference = np.abs(alpha.astype(int) - expected.astype(int))
    assert difference.mean() < 2
    folder = tmp_path / 'in'
    folder.mkdir()
    cv2.imwrite(str(folder / 'a.png'), image)
    cv2.imwrite(str(folder / 'a_trimap.png'), trimap)
    status = main([
        str(folder / 'a.png'), str(folder / 'a_trimap.png'), '--model-file',
        str(path), '-o', str(tmp_path / 'out'), '--quiet'
    ])
    assert status == 0
    np.testing.assert_array_equal(read_output(tmp_path / 'out' / 'a.png'),
                                  alpha)


def test_accuracy_aware_mode_runs_nncf_with_our_metric(host_model,
                                                       demo_config):
    """NNCF's accuracy-aware loop calls the SAD metric on the validation
    crops; with a bound no int8 model misses, it keeps every quantizer."""
    crops = training_crops(demo_config, 3)
    model = quantize_network(host_model, crops[:2], validation=crops[2:],
                             max_sad_increase=100.0)
    int8, total = int8_share(model)
    assert 0 < int8 < total
    with pytest.raises(ValueError, match='max_sad_increase must be '
                       'positive, got 0'):
        quantize_network(host_model, crops, max_sad_increase=0)
    with pytest.raises(ValueError, match='no calibration crops'):
        quantize_network(host_model, [])
