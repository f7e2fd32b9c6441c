"""The OpenVINO form of the fused network: M2O index blocks merged into one
convolution, decoder concatenations split into two, the same alpha."""

import pytest
import torch
from helpers.models import build, model_cfg, randomise_weights

from indexnet_plugin.apis.runtimes.fusion import fuse_conv_bn
from indexnet_plugin.apis.runtimes.onnx_graph import network_to_onnx_bytes
from indexnet_plugin.apis.runtimes.openvino_form import (MergedIndexBlock,
                                                         SplitFusion,
                                                         openvino_form)

onnx = pytest.importorskip('onnx')

# Index blocks (stem and four stages) and decoder layers of IndexNet; the
# concatenation of its ASPP's branches.
INDEX_BLOCKS, DECODER_LAYERS, ASPP = 5, 7, 1


def fused_network(plugin: bool, **encoder_kwargs):
    model = build(model_cfg(plugin, **encoder_kwargs))
    return fuse_conv_bn(randomise_weights(model, seed=1).eval().backbone)


def counts(network):
    return (sum(isinstance(m, MergedIndexBlock) for m in network.modules()),
            sum(isinstance(m, SplitFusion) for m in network.modules()))


@pytest.mark.parametrize('plugin', [True, False], ids=['ours', 'host'])
@pytest.mark.parametrize('encoder_kwargs, merged', [
    (dict(), INDEX_BLOCKS),  # the published model: M2O, nonlinear, context
    (dict(use_nonlinear=False, use_context=False), INDEX_BLOCKS),
    (dict(index_mode='o2o'), 0),
    (dict(index_mode='holistic'), 0),
])
def test_same_function_of_the_input(plugin, encoder_kwargs, merged):
    fused = fused_network(plugin, **encoder_kwargs)
    before = {k: v.clone() for k, v in fused.state_dict().items()}
    form = openvino_form(fused)
    assert counts(form) == (merged, DECODER_LAYERS)
    inputs = torch.randn(2, 4, 64, 96)
    with torch.no_grad():
        expected, output = fused(inputs), form(inputs)
    assert output.shape == (2, 1, 64, 96)
    torch.testing.assert_close(output, expected, rtol=1e-5, atol=1e-4)
    # A copy: the fused network is left as it was.
    assert counts(fused) == (0, 0)
    after = fused.state_dict()
    assert all(torch.equal(after[k], v) for k, v in before.items())


def test_separable_decoder_keeps_its_concatenations():
    model = build(model_cfg(True))
    model.backbone.decoder = build(
        dict(type='indexnet_plugin.IndexNetDecoder', separable_conv=True))
    form = openvino_form(fuse_conv_bn(model.eval().backbone))
    assert counts(form) == (INDEX_BLOCKS, 0)


def test_depth_to_space_dcr_matches_onnx_definition():
    """Channel p * C + c goes to position p of channel c's 2x2 windows,
    exported as ONNX DepthToSpace, mode DCR."""
    x = torch.arange(2 * 8 * 3 * 5, dtype=torch.float32).reshape(2, 8, 3, 5)
    out = MergedIndexBlock.DepthToSpaceDCR.apply(x)
    assert out.shape == (2, 2, 6, 10)
    for position in range(4):
        row, col = divmod(position, 2)
        for channel in range(2):
            assert torch.equal(out[:, channel, row::2, col::2],
                               x[:, position * 2 + channel])


def feature_concatenations(network) -> int:
    """Concat nodes of the exported graph joining feature maps (the stacks
    of index maps, axis 2, and the decoder's, axis 1); those of axis 0
    assemble shapes."""
    graph = onnx.load_from_string(network_to_onnx_bytes(network))
    return sum(
        attribute.i != 0 for node in graph.graph.node
        if node.op_type == 'Concat' for attribute in node.attribute
        if attribute.name == 'axis')


def test_exported_graph_joins_no_index_maps_or_decoder_inputs():
    fused = fused_network(True)
    form = openvino_form(fused)
    assert feature_concatenations(fused) == (INDEX_BLOCKS + DECODER_LAYERS +
                                             ASPP)
    assert feature_concatenations(form) == ASPP
    graph = onnx.load_from_string(network_to_onnx_bytes(form))
    modes = [
        attribute.s for node in graph.graph.node
        if node.op_type == 'DepthToSpace' for attribute in node.attribute
        if attribute.name == 'mode'
    ]
    assert modes == [b'DCR'] * (2 * INDEX_BLOCKS)
