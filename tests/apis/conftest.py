"""Shared fixtures of the inference tests: reference model, weights, images.

The reference is the host's own IndexNet (mmedit 1.0.0rc7's or mmagic
1.2.0's) with random weights and non-trivial batch-norm statistics (running
mean/var, affine parameters far from the identity), so folding batch norms
and parity checks are meaningful.

Every test module here runs with one PyTorch (and so onnxruntime) thread:
the inputs are tiny, and on a loaded machine two spinning threads made a
96x128 forward pass ten times slower (0.5 s -> 5 s). ONNX graphs are cached
in a folder of the test session, not the user's cache.
"""
import os
import cv2
import numpy as np
import pytest
import torch
from host_reference import HOST
from host_reference import DataSample as EditDataSample
from host_reference import registry
from mmengine.config import Config, ConfigDict
from mmengine.registry import DefaultScope

from indexnet_plugin.apis import MattingPredictor, MattingSettings
from indexnet_plugin.apis.onnx_cache import CACHE_ENV
from indexnet_plugin.configs import DEFAULT_CONFIG, resolve_config

# mmedit's own types: the model of our default config without the scope
# prefix, without the ImageNet initialisation (a download).
MMEDIT_MODEL = Config.fromfile(resolve_config(DEFAULT_CONFIG)).model
MMEDIT_MODEL.type = 'IndexNet'
MMEDIT_MODEL.data_preprocessor.type = 'MattorPreprocessor'
MMEDIT_MODEL.backbone.encoder.type = 'IndexNetEncoder'
MMEDIT_MODEL.backbone.encoder.init_cfg = None
MMEDIT_MODEL.backbone.decoder.type = 'IndexNetDecoder'

SIZE = (100, 130)  # H, W: not multiples of 32 (network input 96 x 128)


def randomise_batch_norms(model: torch.nn.Module, seed: int = 0) -> None:
    """Give every BatchNorm2d statistics and affine terms far from identity."""
    generator = torch.Generator().manual_seed(seed)
    for module in model.modules():
        if isinstance(module, torch.nn.BatchNorm2d):
            module.running_mean.uniform_(-0.3, 0.3, generator=generator)
            module.running_var.uniform_(0.5, 2.0, generator=generator)
            module.weight.data.uniform_(0.5, 1.5, generator=generator)
            module.bias.data.uniform_(-0.2, 0.2, generator=generator)


def build_mmedit_model(test_cfg: dict = None) -> torch.nn.Module:
    """mmedit's IndexNet, seeded random weights, eval mode."""
    cfg = ConfigDict(MMEDIT_MODEL)
    if test_cfg is not None:
        cfg.test_cfg = test_cfg
    torch.manual_seed(0)
    with DefaultScope.overwrite_default_scope(HOST):
        model = registry.MODELS.build(cfg)
    model.init_weights()
    randomise_batch_norms(model)
    return model.eval()


def mmedit_predict(model: torch.nn.Module, image: np.ndarray,
                   trimap: np.ndarray) -> np.ndarray:
    """Alpha from mmedit's ``test_step``, as ``mim test`` computes it."""
    sample = EditDataSample(ori_merged_shape=image.shape)
    sample.trimap = torch.from_numpy(trimap)[None].float()
    sample.ori_trimap = torch.from_numpy(trimap)[None]
    data = dict(
        inputs=[torch.from_numpy(image).permute(2, 0, 1)],
        data_samples=[sample])
    with torch.no_grad():
        return model.test_step(data)[0].output.pred_alpha.data.numpy()


def make_pair(height: int, width: int, seed: int = 0):
    """Smooth random BGR image and a trimap with all three regions."""
    rng = np.random.default_rng(seed)
    coarse = rng.integers(0, 256, (8, 8, 3), dtype=np.uint8)
    image = cv2.resize(coarse, (width, height), interpolation=cv2.INTER_CUBIC)
    trimap = np.full((height, width), 128, np.uint8)
    trimap[:height // 4] = 0
    trimap[-height // 4:] = 255
    trimap[:, :width // 6] = 0
    return image, trimap


@pytest.fixture(scope='session')
def onnx_cache_dir(tmp_path_factory):
    return tmp_path_factory.mktemp('onnx_cache')


@pytest.fixture(scope='module', autouse=True)
def single_thread_and_test_cache(onnx_cache_dir):
    """One thread and the session's ONNX cache, restored after the module."""
    threads = torch.get_num_threads()
    cache = os.environ.get(CACHE_ENV)
    torch.set_num_threads(1)
    os.environ[CACHE_ENV] = str(onnx_cache_dir)
    yield
    torch.set_num_threads(threads)
    if cache is None:
        del os.environ[CACHE_ENV]
    else:
        os.environ[CACHE_ENV] = cache


@pytest.fixture(scope='session')
def mmedit_model():
    return build_mmedit_model()


@pytest.fixture(scope='session')
def checkpoint(mmedit_model, tmp_path_factory):
    """The reference weights as an old-format mmedit checkpoint file."""
    path = tmp_path_factory.mktemp('ckpt') / 'indexnet.pth'
    torch.save({
        'meta': {
            'mmedit_version': '0.14.0'
        },
        'state_dict': mmedit_model.state_dict()
    }, path)
    return path


@pytest.fixture(scope='session')
def reference_predictor(mmedit_model):
    """Our pre/post-processing around mmedit's own network."""
    return MattingPredictor(mmedit_model.backbone,
                            MattingSettings.from_model(mmedit_model))


@pytest.fixture
def pair():
    return make_pair(*SIZE)
