"""The authors' test protocol (models/original_protocol.py) in the
predictor and the mattor, against alphas their ``inference()`` wrote."""
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch
from host_reference import DataSample as EditDataSample
from original_fixtures import (CASES, CONFIG, REPO, assert_authors_alpha,
                               compare, load_case)
# pytest fixtures
from original_fixtures import (  # noqa: F401
    converted_file, original_file, original_state)

from indexnet_plugin.apis import MattingSettings, init_model, init_predictor
from indexnet_plugin.models import original_protocol

MEAN = (123.675, 116.28, 103.53)
STD = (58.395, 57.12, 57.375)


class TestPureFunctions:

    def test_network_size_goes_up(self):
        assert original_protocol.network_size(70, 90, 32) == (96, 96)
        assert original_protocol.network_size(64, 65, 32) == (64, 96)

    def test_normalise(self):
        image = np.array([[[0, 128, 255]]], np.uint8)
        trimap = np.array([[128]], np.uint8)
        x = original_protocol.normalise(image, trimap, MEAN, STD)
        expected = [(0 - 0.485) / 0.229, (128 / 255 - 0.456) / 0.224,
                    (1 - 0.406) / 0.225, 128 / 255]
        assert x.dtype == np.float32 and x.shape == (1, 1, 4)
        np.testing.assert_allclose(x[0, 0], expected, rtol=1e-6)

    def test_upsample_input_cubic_image_nearest_trimap(self):
        rng = np.random.default_rng(0)
        inputs = rng.random((70, 90, 4)).astype(np.float32)
        inputs[..., 3] = rng.choice([0, 128 / 255, 1], (70, 90))
        resized = original_protocol.upsample_input(inputs, 32)
        assert resized.shape == (96, 96, 4) and resized.dtype == np.float32
        np.testing.assert_array_equal(
            resized[..., :3],
            cv2.resize(inputs[..., :3], (96, 96),
                       interpolation=cv2.INTER_CUBIC))
        np.testing.assert_array_equal(
            resized[..., 3],
            cv2.resize(inputs[..., 3], (96, 96),
                       interpolation=cv2.INTER_NEAREST))

    def test_every_non_unknown_trimap_value_is_written_back(self):
        prediction = np.full((32, 32), 0.5, np.float32)
        trimap = np.array([[0, 64, 128, 255, 200]], np.uint8)
        alpha = original_protocol.restore_alpha(prediction, trimap)
        assert original_protocol.quantise(alpha).tolist() == [[
            0, 64, 127, 255, 200
        ]]

    def test_quantise_truncates(self):
        alpha = np.array([254.9, 0.99, 127.5, 255], np.float32) / 255
        assert original_protocol.quantise(alpha).tolist() == [254, 0, 127, 255]


@pytest.fixture(scope='module', params=[False, True], ids=['plain', 'fast'])
def predictor(request, converted_file):
    return init_predictor(CONFIG, converted_file, fast=request.param)


@pytest.mark.parametrize('case', CASES)
def test_predictor_writes_the_authors_alpha(predictor, case):
    fixture = load_case(case)
    alpha = predictor.predict(fixture['image'], fixture['trimap'])
    assert_authors_alpha(alpha, fixture['alpha'])
    # Truncation, not rounding: rounding the same alpha moves many pixels.
    rounded = np.round(
        predictor.predict(fixture['image'], fixture['trimap'], True) * 255)
    assert compare(rounded, fixture['alpha'])['differing'] > 1000


@pytest.mark.parametrize('config',
                         ['indexnet_mobv2.py', 'indexnet_mobv2_dimaug.py'])
def test_mmedit_modes_do_not_reproduce_the_authors(config, converted_file):
    """Same weights, mmedit's interp (bicubic) and pad (reflect) modes: the
    unknown region is several levels off on average."""
    predictor = init_predictor(str(REPO / 'configs' / config),
                               converted_file,
                               fast=False)
    fixture = load_case('medium')
    alpha = predictor.predict(fixture['image'], fixture['trimap'])
    unknown = fixture['trimap'] == 128
    difference = np.abs(alpha.astype(int) - fixture['alpha'])[unknown]
    assert difference.mean() > 3, difference.mean()


def test_predictor_batches_in_the_original_protocol(predictor):
    """Images of one network size share a call; each gets its own alpha."""
    small, medium = load_case('small'), load_case('medium')
    flipped = small['image'][:, ::-1].copy(), small['trimap'][:, ::-1].copy()
    images = [small['image'], medium['image'], flipped[0]]
    trimaps = [small['trimap'], medium['trimap'], flipped[1]]
    alphas = predictor.predict_batch(images, trimaps)
    assert_authors_alpha(alphas[0], small['alpha'])
    assert_authors_alpha(alphas[1], medium['alpha'])
    alone = predictor.predict(*flipped)
    assert np.abs(alphas[2].astype(int) - alone).max() <= 1


def test_predictor_accepts_images_smaller_than_the_divisor(predictor):
    """The authors resize up, so a 20x24 image works too."""
    fixture = load_case('small')
    image, trimap = fixture['image'][:20, 30:54], fixture['trimap'][:20, 30:54]
    alpha = predictor.predict(image, trimap)
    assert alpha.shape == (20, 24)
    assert np.array_equal(alpha[trimap != 128], trimap[trimap != 128])


def test_settings_of_the_original_config(converted_file):
    settings = init_predictor(CONFIG, converted_file, fast=False).settings
    assert settings == MattingSettings(mean=MEAN,
                                       std=STD,
                                       rgb=True,
                                       trimap_divisor=255.0,
                                       resize_method=None,
                                       resize_mode=None,
                                       size_divisor=32,
                                       protocol='original')


@pytest.mark.parametrize('protocol, resize, message', [
    ('paper', ('interp', 'bicubic'),
     "protocol must be one of ('mmedit', 'original'), got 'paper'"),
    ('original', ('interp', 'bicubic'),
     "protocol='original' resizes as the authors' code does; resize_method "
     "and resize_mode must be None, got 'interp' and 'bicubic'"),
    ('mmedit',
     (None, None), "resize_method must be one of ('interp', 'pad'), got None"),
])
def test_settings_validation(protocol, resize, message):
    with pytest.raises(ValueError) as info:
        MattingSettings(MEAN, STD, True, 255.0, *resize, 32, protocol)
    assert str(info.value) == message


@pytest.fixture(scope='module')
def mattor(converted_file):
    return init_model(CONFIG, converted_file)


def pipeline_output(image: np.ndarray, trimap: np.ndarray) -> tuple:
    """What the test pipeline gives the model for one image."""
    sample = EditDataSample(ori_merged_shape=image.shape)
    sample.trimap = torch.from_numpy(trimap)[None].float()
    sample.ori_trimap = torch.from_numpy(trimap)[None]
    return torch.from_numpy(image).permute(2, 0, 1), sample


def test_mattor_test_step_gives_the_authors_alpha(mattor):
    """mim test's path: mmedit's normalisation in float32 (the authors use
    float64), then the same protocol; one image, then a batch of two."""
    fixture = load_case('small')
    image, sample = pipeline_output(fixture['image'], fixture['trimap'])
    with torch.no_grad():
        alpha = mattor.test_step(dict(inputs=[image], data_samples=[sample]))
    assert_authors_alpha(alpha[0].output.pred_alpha.numpy(), fixture['alpha'])

    crop = [a[:50, :64].copy() for a in (fixture['image'], fixture['trimap'])]
    pairs = [
        pipeline_output(fixture['image'], fixture['trimap']),
        pipeline_output(*crop)
    ]
    with torch.no_grad():
        batch = mattor.test_step(
            dict(inputs=[p[0] for p in pairs],
                 data_samples=[p[1] for p in pairs]))
        alone = mattor.test_step(
            dict(inputs=[pairs[1][0]], data_samples=[pairs[1][1]]))
    assert_authors_alpha(batch[0].output.pred_alpha.numpy(), fixture['alpha'])
    assert np.abs(batch[1].output.pred_alpha.numpy().astype(int) -
                  alone[0].output.pred_alpha.numpy()).max() <= 1


@pytest.mark.parametrize('test_cfg, message', [
    (dict(protocol='paper', size_divisor=32),
     "test_cfg.protocol must be one of ('mmedit', 'original'), got 'paper'"),
    (dict(protocol='original', resize_method='interp', size_divisor=32),
     "test_cfg with protocol='original' resizes as the authors' code does "
     "(OpenCV cubic, up to multiples of size_divisor); remove "
     "['resize_method'], got {'protocol': 'original', 'resize_method': "
     "'interp', 'size_divisor': 32}"),
    (dict(protocol='original'),
     "test_cfg lacks ['size_divisor'], got {'protocol': 'original'}"),
])
def test_mattor_test_cfg_validation(test_cfg, message):
    from mmengine.config import Config
    cfg = Config.fromfile(CONFIG).model
    cfg.test_cfg = test_cfg
    with pytest.raises(ValueError) as info:
        init_model(dict(model=cfg))
    assert str(info.value) == message
