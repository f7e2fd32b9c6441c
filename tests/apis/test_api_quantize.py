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
import torch
from helpers.cli import read_output
from helpers.comp1k import tiny_comp1k
from helpers.images import make_pair
from helpers.models import host_test_step_alpha
from helpers.paths import REPO
from mmengine.config import Config

from indexnet_plugin.apis import (MattingSettings, init_exported_predictor,
                                  init_model)
from indexnet_plugin.apis.cli.predict import main
from indexnet_plugin.apis.convert.calibration import (MattingSample,
                                                      pipeline_samples,
                                                      training_crops)
from indexnet_plugin.apis.convert.quantize import (FP32_PARTS, compile_for_cpu,
                                                   fp32_patterns,
                                                   quantize_network,
                                                   quantize_within_bound)
from indexnet_plugin.apis.convert.export import openvino_model
from indexnet_plugin.apis.runtimes.openvino_network import int8_share

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
    """tools/quantize.py run once as a user runs it, with a bound every
    int8 network meets: (int8 .xml, its printed report)."""
    out = tmp_path_factory.mktemp('int8') / 'indexnet_int8.xml'
    argv = [
        'quantize.py', str(checkpoint), str(out), '--config',
        str(DEMO_CONFIG), '--crops', str(CROPS), '--validation-crops',
        str(VALIDATION_CROPS), '--max-sad-increase', '100', '--cfg-options',
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


def index_convolutions(model) -> list:
    return [
        op for op in model.get_ops()
        if op.get_type_name() in ('Convolution', 'GroupConvolution')
        and '/encoder/index_layers.' in op.get_friendly_name()
    ]


def test_the_tool_writes_an_all_int8_file_within_the_bound(
        quantized, checkpoint):
    path, printed = quantized
    assert sorted(p.name for p in path.parent.iterdir()) == [
        'indexnet_int8.bin', 'indexnet_int8.xml']
    int8, total = int8_share(ov.Core().read_model(str(path)))
    # Every convolution of the fp32 OpenVINO form (index blocks merged) is
    # int8.
    fp32_model = openvino_model(init_model(str(DEMO_CONFIG), str(checkpoint)))
    assert int8 == total == int8_share(fp32_model[0])[1] > 80
    report = re.search(
        rf'every layer int8: SAD on {VALIDATION_CROPS} validation crops '
        r'(\S+) against fp32 (\S+) \(([-+]\S+) %\)', printed)
    assert report, printed
    int8_sad, fp32_sad, change = map(float, report.groups())
    assert fp32_sad > 0 and int8_sad > 0
    assert change == pytest.approx(100 * (int8_sad / fp32_sad - 1), abs=0.01)
    assert f'{path}: every layer int8, {int8} of {total} convolutions' \
        in printed
    # The first attempt met the bound: no fallback was tried.
    assert 'index_blocks fp32' not in printed


def test_a_miss_falls_back_to_fp32_index_blocks(host_model, demo_config):
    """Scored against the fp32 network's own alphas (its SAD is rounding
    only), every int8 network misses a 1 % bound: both attempts are made,
    the second with exactly the index blocks' convolutions fp32."""
    crops = training_crops(demo_config, 3)
    settings = MattingSettings.from_model(host_model)
    fp32 = compile_for_cpu(openvino_model(host_model)[0])
    own = []
    for crop in crops:
        output = torch.from_numpy(fp32(crop.network_input(settings))[0][0])
        own.append(MattingSample(crop.image, crop.trimap,
                                 settings.to_alpha(output, crop.trimap)))
    attempts = quantize_within_bound(host_model, crops[:2], own, 0.01)
    assert [a.keep_fp32 for a in attempts] == [(), ('index_blocks', )]
    assert all(a.sad_increase > 0.01 for a in attempts)
    assert attempts[0].fp32_sad == attempts[1].fp32_sad
    int8, total = int8_share(attempts[1].model)
    assert int8 == total - len(index_convolutions(attempts[1].model))


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
    # The search starts from every layer int8 and had nothing to undo.
    int8, total = int8_share(model)
    assert int8 == total
    with pytest.raises(ValueError, match='max_sad_increase must be '
                       'positive, got 0'):
        quantize_network(host_model, crops, max_sad_increase=0)
    with pytest.raises(ValueError, match='no calibration crops'):
        quantize_network(host_model, [])
    with pytest.raises(ValueError, match='no validation crops'):
        quantize_within_bound(host_model, crops, [])


@pytest.mark.parametrize('args, message', [
    (['out.onnx'], "OUT must be an OpenVINO IR .xml file, got 'out.onnx'"),
    (['out.xml', '--crops', '0'], '--crops must be at least 1, got 0'),
    (['out.xml', '--validation-crops', '0'],
     '--validation-crops 0 (no check) needs --keep-fp32'),
    (['out.xml', '--validation-crops', '0', '--keep-fp32',
      '--accuracy-aware'], '--accuracy-aware needs --validation-crops > 0'),
    (['out.xml', '--max-sad-increase', '0'],
     '--max-sad-increase must be positive, got 0.0'),
    (['out.xml', '--keep-fp32', 'encoder'], "invalid choice: 'encoder'"),
])
def test_the_tool_refuses_bad_flags(args, message, capsys):
    with pytest.MonkeyPatch.context() as patch, pytest.raises(SystemExit):
        patch.setattr(sys, 'argv', ['quantize.py', 'weights.pth', *args])
        runpy.run_path(str(REPO / 'tools' / 'quantize.py'),
                       run_name='__main__')
    assert message in capsys.readouterr().err
