"""Shared fixtures of the inference tests: reference model, weights, images.

The reference is the host's own IndexNet (mmedit 1.0.0rc7's or mmagic
1.2.0's), tests/conftest.py's ``host_model``: random weights and batch-norm
statistics far from the identity, so folding batch norms and parity checks
are meaningful.

Every test module here runs with one PyTorch (and so onnxruntime) thread:
the inputs are tiny, and on a loaded machine two spinning threads made a
96x128 forward pass ten times slower (0.5 s -> 5 s). ONNX graphs are cached
in a folder of the test session, not the user's cache.
"""
import os

import pytest
import torch
from helpers.images import SIZE, make_pair
from helpers.models import save_released

from indexnet_plugin.apis import MattingPredictor, MattingSettings
from indexnet_plugin.apis.runtimes.cache import CACHE_ENV


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


@pytest.fixture(scope='module')
def checkpoint(host_model, tmp_path_factory):
    """The reference weights as a released-format mmedit checkpoint file."""
    return save_released(host_model,
                         tmp_path_factory.mktemp('ckpt') / 'indexnet.pth')


@pytest.fixture(scope='module')
def reference_predictor(host_model):
    """Our pre/post-processing around the host's own network."""
    return MattingPredictor(host_model.backbone,
                            MattingSettings.from_model(host_model))


@pytest.fixture
def pair():
    return make_pair(*SIZE)
