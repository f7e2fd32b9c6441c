"""The fast path's backends: OpenVINO first, the self-check, the cache.

One OpenVINO model is compiled per test session (``openvino_network``);
the other tests reuse its cached compiled model or ONNX graph, or replace
the (slow) building of a variant by a stand-in.
"""
import logging
import sys

import numpy as np
import pytest
import torch
from helpers.images import make_pair
from helpers.models import host_test_step_alpha

from indexnet_plugin.apis import (MattingPredictor, MattingSettings,
                                  init_predictor)
from indexnet_plugin.apis.runtimes import selection as fast
from indexnet_plugin.apis.runtimes.fusion import fuse_conv_bn
from indexnet_plugin.apis.runtimes.selection import (ALPHA_TOLERANCE,
                                                     FastPathWarning,
                                                     build_fast_network,
                                                     check_input,
                                                     differing_pixels,
                                                     variants)
from indexnet_plugin.apis.runtimes.cache import cache_entry
from indexnet_plugin.apis.runtimes.openvino_form import openvino_form
from indexnet_plugin.apis.runtimes.openvino_network import (OpenVinoNetwork,
                                                            ir_suffixes)

openvino = pytest.importorskip('openvino')


@pytest.fixture(scope='module')
def openvino_network(host_model):
    with logging_captured() as records:
        network = build_fast_network(host_model.backbone)
    assert 'fast network: openvino (passed the self-check)' in records
    return network


class logging_captured:
    """The messages runtimes/selection.py logs inside a ``with`` block."""

    def __enter__(self):
        self.records = []
        self.handler = logging.Handler(logging.INFO)
        self.handler.emit = lambda r: self.records.append(r.getMessage())
        fast.logger.addHandler(self.handler)
        self.level = fast.logger.level
        fast.logger.setLevel(logging.INFO)
        return self.records

    def __exit__(self, *exc):
        fast.logger.removeHandler(self.handler)
        fast.logger.setLevel(self.level)


def test_openvino_is_first_choice(openvino_network):
    assert openvino_network.backend == 'openvino'
    assert isinstance(openvino_network.network, OpenVinoNetwork)
    # Threads follow torch (1 in these tests).
    assert openvino_network.network.threads == torch.get_num_threads() == 1


@pytest.mark.parametrize('sizes', [[(100, 130)], [(150, 70)],
                                   [(64, 64), (70, 60), (90, 80)],
                                   [(200, 260), (210, 250)]])
def test_openvino_alpha_is_the_hosts_within_one_level(openvino_network,
                                                      host_model, sizes):
    """Several sizes; batches of several images of one network input size."""
    predictor = MattingPredictor(openvino_network,
                                 MattingSettings.from_model(host_model))
    assert predictor.backend == 'openvino'
    pairs = [make_pair(h, w, seed=i) for i, (h, w) in enumerate(sizes)]
    alphas = predictor.predict_batch(*zip(*pairs))
    for (image, trimap), alpha in zip(pairs, alphas):
        expected = host_test_step_alpha(host_model, image, trimap)
        difference = np.abs(alpha.astype(int) - expected)
        assert difference.max() <= 1, difference.max()


@pytest.mark.parametrize('damaged', [0, 1], ids=['xml', 'bin'])
def test_converted_model_is_cached_and_repaired(openvino_network,
                                                host_model, onnx_cache_dir,
                                                monkeypatch, damaged):
    """Miss (the fixture) wrote it; a hit converts nothing; a damaged file
    is converted again and replaced."""
    paths = [
        cache_entry(openvino_form(fuse_conv_bn(host_model.backbone)), 32,
                    suffix, onnx_cache_dir) for suffix in ir_suffixes()
    ]
    assert [p.parent for p in paths] == [onnx_cache_dir] * 2
    assert paths[0].name.endswith('.xml') and paths[1].name.endswith('.bin')
    data = paths[damaged].read_bytes()
    assert len(data) > 1e5

    def build_from_cache():
        with monkeypatch.context() as patch:
            patch.setattr(
                'indexnet_plugin.apis.runtimes.openvino_network.read_model',
                lambda *args: pytest.fail('converted again'))
            return build_fast_network(host_model.backbone)

    assert build_from_cache().backend == 'openvino'
    paths[damaged].write_bytes(data[:len(data) // 2])  # a disk filled up
    with logging_captured() as records:
        rebuilt = build_fast_network(host_model.backbone)
    assert rebuilt.backend == 'openvino'
    assert records[0].startswith('openvino with the cached file failed (')
    assert records[0].endswith('); making it again')
    assert 'Exception from' not in records[0]  # the cause, not the location
    assert build_from_cache().backend == 'openvino'  # replaced


def test_compiled_for_each_shape_keeping_the_last(openvino_network):
    """Static shapes (no dynamic model: see test_api_compiled_cache.py for
    the choice): same result as compiling for any shape, one compiled
    model alive, compiled again only when the shape changes."""
    network = OpenVinoNetwork(openvino_network.network.model,
                              dynamic_pixels=0)
    inputs = check_input(32)
    first = network(inputs)
    request = network.request
    assert network.shape == tuple(inputs.shape)
    assert torch.equal(network(inputs), first)
    assert network.request is request  # same shape: not compiled again
    single = network(inputs[:1, :, :64])
    assert network.shape == (1, 4, 64, 128) and network.request is not request
    dynamic = openvino.Core().compile_model(network.model, 'CPU',
                                            network.config)
    expected = dynamic.create_infer_request().infer(
        {0: inputs[:1, :, :64].numpy()})[0]
    assert torch.allclose(single, torch.from_numpy(expected), atol=1e-4)


def test_missing_openvino_falls_back_with_one_line(host_model,
                                                   monkeypatch):
    monkeypatch.setitem(sys.modules, 'openvino', None)  # import fails
    with pytest.warns(FastPathWarning) as caught:
        network = build_fast_network(host_model.backbone)
    assert network.backend == 'onnxruntime'
    assert len(caught) == 1
    message = str(caught[0].message)
    assert message.startswith('fast path: openvino not installed (')
    assert message.endswith('); running onnxruntime')


@pytest.mark.parametrize('backend, expected', [('onnxruntime', 'onnxruntime'),
                                               ('torch', 'torchscript')])
def test_backend_choice(host_model, backend, expected, recwarn):
    network = build_fast_network(host_model.backbone, backend=backend)
    assert network.backend == expected
    assert not [w for w in recwarn if w.category is FastPathWarning]


def test_variants():
    assert variants('auto', 'cpu') == ('openvino', 'onnxruntime',
                                       'torchscript', 'eager')
    assert variants('onnxruntime', 'cpu') == ('onnxruntime', 'torchscript',
                                              'eager')
    assert variants('torch', 'cuda') == ('eager', )
    with pytest.raises(ValueError, match="backend must be one of \\('auto', "
                       "'openvino', 'onnxruntime', 'torch'\\), got 'tvm'"):
        variants('tvm', 'cpu')
    with pytest.raises(ValueError, match="backend 'openvino' runs on the CPU "
                       "only, not on device 'cuda'"):
        variants('openvino', 'cuda')


def test_check_input_looks_like_a_network_input():
    inputs = check_input(32)
    assert inputs.shape == (2, 4, 96, 128)
    image, trimap = inputs[:, :3], inputs[:, 3]
    assert torch.allclose(image.mean(dim=(2, 3)), torch.zeros(2, 3),
                          atol=1e-5)
    assert torch.allclose(image.std(dim=(2, 3)), torch.ones(2, 3), atol=1e-5)
    assert set(trimap.unique().tolist()) == {0.0, 0.5, 1.0}
    for value in (0.0, 0.5, 1.0):  # every region in each image
        assert ((trimap == value).float().mean(dim=(1, 2)) > 0.1).all()


def test_large_raw_outputs_still_get_the_fast_network(host_model, recwarn):
    """A valid checkpoint whose raw output reaches 1e5: float rounding moves
    the raw output by about 0.1 but the clamped alpha nowhere visibly."""
    network = fuse_conv_bn(host_model.backbone)
    with torch.no_grad():
        network.decoder.pred[-1].weight *= 1e5
    with torch.inference_mode():
        raw = network(check_input())
    assert raw.abs().max() > 1e4
    fast_network = build_fast_network(network, backend='onnxruntime')
    assert fast_network.backend == 'onnxruntime'
    assert not [w for w in recwarn if w.category is FastPathWarning]


def test_a_different_alpha_is_refused(host_model, monkeypatch):
    """Every variant off by 2e-3 in alpha: one line, the plain network."""
    monkeypatch.setattr(
        fast, '_build_variant',
        lambda variant, fused, *args: (lambda x: fused(x) + 2e-3))
    with pytest.warns(FastPathWarning) as caught:
        network = build_fast_network(host_model.backbone)
    assert network.backend == 'plain'
    assert network.network is host_model.backbone
    assert len(caught) == 1
    message = str(caught[0].message)
    assert message.startswith('fast path: openvino gives another alpha than '
                              'the plain network at ')
    assert message.endswith('; running the plain PyTorch network (slower)')
    assert message.count('gives another alpha') == 4


def test_differing_pixels():
    expected = torch.tensor([[[[-3.0, 0.5, 0.2, 10.0]]]])
    assert differing_pixels(expected + 0.1, expected) == 2  # 0.5, 0.2
    near = expected.clone()
    near[..., 1] += ALPHA_TOLERANCE / 2
    assert differing_pixels(near, expected) == 0
    near[..., 2] = float('nan')
    assert differing_pixels(near, expected) == 1
    large = torch.tensor([[[[-3e4, 0.5, 0.2, 1e5]]]])
    # float rounding at 1e5 (0.1), not a different alpha
    assert differing_pixels(large + 0.1, large) == 0
    assert differing_pixels(large + 2, large) == 2


def test_init_predictor_backend(checkpoint):
    predictor = init_predictor(None, checkpoint, backend='torch')
    assert predictor.backend == 'torchscript'
    assert predictor.memory_path == 'plain'  # TorchScript is budgeted so
    assert init_predictor(None, checkpoint, fast=False).backend == 'plain'
    with pytest.raises(ValueError, match="backend must be one of \\('auto', "
                       "'openvino', 'onnxruntime', 'torch'\\), got 'gpu'"):
        init_predictor(None, checkpoint, backend='gpu')
