"""The authors' seeded checkpoint and its converted form, shared by the
tests of the paper's model.

Every module here runs with one PyTorch (and onnxruntime) thread -- tiny
inputs, and spinning threads on a loaded machine cost more than they give --
and caches ONNX graphs in a folder of the test session.
"""
import os

import pytest
import torch
from original_fixtures import save_original_checkpoint, seeded_original_state_dict

from indexnet_plugin.apis.onnx_cache import CACHE_ENV
from indexnet_plugin.apis.original_checkpoint import convert_original_checkpoint


@pytest.fixture(scope='session')
def onnx_cache_dir(tmp_path_factory):
    return tmp_path_factory.mktemp('onnx_cache')


@pytest.fixture(scope='module', autouse=True)
def single_thread_and_test_cache(onnx_cache_dir):
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
def original_state():
    """The seeded weights under the authors' key names."""
    return seeded_original_state_dict()


@pytest.fixture(scope='session')
def original_file(original_state, tmp_path_factory):
    """The seeded weights in the authors' file format."""
    return save_original_checkpoint(
        tmp_path_factory.mktemp('original') / 'indexnet_matting.pth.tar',
        original_state)


@pytest.fixture(scope='session')
def converted_file(original_file, tmp_path_factory):
    """``original_file`` converted by the plugin."""
    path = tmp_path_factory.mktemp('converted') / 'indexnet_mobv2_original.pth'
    convert_original_checkpoint(original_file, path)
    return path
