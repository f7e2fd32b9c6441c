"""The fused network rewritten into the form OpenVINO runs fastest.

Same arithmetic, other operators. Profiled with OpenVINO's per-layer
counters (2 cores, openvino 2026.4, fp32, 672x896): a fifth of the
network's time was not convolution but moving data between layouts, most
of it at full resolution around the first index block and the last decoder
layer:

* an M2O :class:`~indexnet_plugin.models.index_blocks.DepthwiseIndexBlock`
  runs four convolutions and stacks their outputs on a new axis; each
  stacked part left OpenVINO's channels-last layout for a planar copy
  (39 ms) before the concatenation (10 ms). :class:`MergedIndexBlock` runs
  the four as one convolution (their weights concatenated), so the window
  positions arrive as channel groups, and scatters them into the windows
  with one ``DepthToSpace`` in ``DCR`` order
  (:class:`MergedIndexBlock.DepthToSpaceDCR`);
* an :class:`~indexnet_plugin.models.decoder.IndexedUpsample` convolves
  the concatenation of the upsampled features and the shortcut, which
  OpenVINO copies with its reference concatenation (16 ms at full
  resolution). :class:`SplitFusion` convolves each part with its half of
  the weights and adds them, which OpenVINO fuses into the second
  convolution. The features' convolution comes first: the other order
  raised the static-shape model's peak at 2048x2048 (compilation and one
  call, the network alone) from 2470 to 2823 MB; this one keeps the plain
  graph's 2470 MB, and the dynamic-shape model needs less than on the
  plain graph (1229 against 1389 MB at 1024x1024).

Measured on the dynamic-shape model (same weights, best of 3 after a
warm-up): 480x640 409 -> 358 ms, 672x896 796 -> 687 ms, 1024x1280
1710 -> 1489 ms (1.14-1.16x). The sums of a split convolution run in
another order, so outputs differ by float rounding (1e-5 here, as folding
the batch norms does); the fast path's self-check compares with the plain
network as for every variant. onnxruntime runs this form slower (1.25 ->
1.59 s at 672x896), so only the OpenVINO paths use it (the ``openvino``
backend, ``tools/export_onnx.py --format openvino`` and
``tools/quantize.py``).
"""
import copy
from typing import Optional, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmcv.cnn import ConvModule
from torch import Tensor

from ...host import HostDepthwiseIndexBlock, HostIndexedUpsample
from ...models.decoder import IndexedUpsample
from ...models.index_blocks import DepthwiseIndexBlock

# Positions of a 2x2 window, and the window's side.
WINDOW_POSITIONS, WINDOW = 4, 2
# The modules rewritten: ours and the host's, whose forwards compute the
# same (tests/models check ours against the host's).
DEPTHWISE_INDEX_BLOCKS = (DepthwiseIndexBlock, HostDepthwiseIndexBlock)
INDEXED_UPSAMPLES = (IndexedUpsample, HostIndexedUpsample)


def conv_and_activation(
        module: nn.Module) -> Optional[Tuple[nn.Conv2d, nn.Module]]:
    """A fused ``ConvModule`` as (convolution, activation): its norm folded
    away (see :mod:`.fusion`), zero padding in the convolution (no explicit
    padding layer), in the order convolution, norm, activation. None for
    any other module."""
    if not (isinstance(module, ConvModule) and not module.with_explicit_padding
            and module.conv.padding_mode == 'zeros'
            and module.order == ('conv', 'norm', 'act')):
        return None
    if module.with_norm and not isinstance(module.norm, nn.Identity):
        return None
    activation = module.activate if module.with_activation else nn.Identity()
    return module.conv, activation


def _merged_conv(convs, groups: int) -> nn.Conv2d:
    """One convolution computing ``convs`` (alike in all but weights) side
    by side: their outputs as consecutive channel groups. With ``groups``
    > 1 each of them sees its own input group."""
    first = convs[0]
    merged = nn.Conv2d(
        first.in_channels * groups,
        first.out_channels * len(convs),
        first.kernel_size,
        first.stride,
        first.padding,
        first.dilation,
        groups=groups,
        bias=first.bias is not None)
    merged.weight = nn.Parameter(
        torch.cat([conv.weight for conv in convs]), requires_grad=False)
    if first.bias is not None:
        merged.bias = nn.Parameter(
            torch.cat([conv.bias for conv in convs]), requires_grad=False)
    return merged


def _index_layers(block: nn.Module):
    """Each window position's index predictor as a list of (convolution,
    activation), or None where a predictor is not plain fused layers."""
    layers = []
    for predictor in block.index_blocks:
        parts = (list(predictor)
                 if isinstance(predictor, nn.Sequential) else [predictor])
        parts = [conv_and_activation(part) for part in parts]
        if None in parts:
            return None
        layers.append(parts)
    return layers


class MergedIndexBlock(nn.Module):
    """An M2O depthwise index block with its four position predictors run
    as one: returns what the block returns (encoder and decoder index maps,
    (N, C, H, W) each).

    The first layers of the four predictors become one dense convolution
    with 4C outputs (position-major: channel ``p * C + c``); the second
    layers of the nonlinear variant (1x1, one per position) one grouped
    convolution with 4 groups. Build it with :meth:`from_block`.
    """

    # Inside the class: the cache key of a converted graph is the source of
    # its modules' classes (runtimes/cache.py network_key), so a change here
    # converts again.
    class DepthToSpaceDCR(torch.autograd.Function):
        """(N, 4C, H, W) -> (N, C, 2H, 2W), channel ``p * C + c`` to position
        ``p`` (row-major in its 2x2 window) of channel ``c``: ONNX's
        ``DepthToSpace`` in its ``DCR`` mode, which ``F.pixel_shuffle`` (mode
        ``CRD``, channel ``4c + p``) does not export."""

        @staticmethod
        def forward(ctx, x: Tensor) -> Tensor:
            n, channels, height, width = x.shape
            c = channels // WINDOW_POSITIONS
            windows = x.reshape(n, WINDOW, WINDOW, c, height, width)
            return windows.permute(0, 3, 4, 1, 5, 2).reshape(
                n, c, WINDOW * height, WINDOW * width)

        @staticmethod
        def symbolic(graph, x):
            return graph.op(
                'DepthToSpace', x, blocksize_i=WINDOW, mode_s='DCR')

    def __init__(self, layers) -> None:
        super().__init__()
        # Channels of one position's index map.
        self.channels = layers[0][-1][0].out_channels
        self.convs = nn.ModuleList(
            _merged_conv([position[depth][0] for position in layers],
                         groups=1 if depth == 0 else WINDOW_POSITIONS)
            for depth in range(len(layers[0])))
        self.activations = nn.ModuleList(layer[1] for layer in layers[0])

    @classmethod
    def from_block(cls, block: nn.Module) -> Optional['MergedIndexBlock']:
        """The merged form of a fused M2O ``DepthwiseIndexBlock`` (ours or
        the host's, which compute the same); None for
        any other module (O2O blocks keep their form: their grouped
        convolutions do not merge into position-major channels)."""
        if not isinstance(block, DEPTHWISE_INDEX_BLOCKS):
            return None
        layers = _index_layers(block)
        if layers is None or layers[0][0][0].groups != 1:
            return None
        return cls(layers)

    def forward(self, x: Tensor) -> Tuple[Tensor, Tensor]:
        """(N, C, H, W) -> encoder and decoder index maps, (N, C, H, W)."""
        logits = x
        for conv, activation in zip(self.convs, self.activations):
            logits = activation(conv(logits))  # N, 4C, H/2, W/2
        n, _, height, width = logits.shape
        dec_idx = torch.sigmoid(logits)
        enc_idx = torch.softmax(
            dec_idx.reshape(n, WINDOW_POSITIONS, self.channels, height,
                            width), 1).reshape_as(dec_idx)
        return (self.DepthToSpaceDCR.apply(enc_idx),
                self.DepthToSpaceDCR.apply(dec_idx))


class SplitFusion(nn.Module):
    """An ``IndexedUpsample`` whose convolution of the concatenation
    (features, shortcut) runs as the sum of two convolutions, one per part,
    each with its input channels' slice of the weights (the features' width
    is read from the input: constant in a traced graph). Build it with
    :meth:`from_layer`."""

    def __init__(self, conv: nn.Conv2d, activation: nn.Module) -> None:
        super().__init__()
        self.conv = conv
        self.activation = activation

    @classmethod
    def from_layer(cls, layer: nn.Module) -> Optional['SplitFusion']:
        """The split form of a fused ``IndexedUpsample`` (ours or the
        host's) with a plain convolution; None for any other module (a
        separable one keeps its form)."""
        parts = (conv_and_activation(layer.conv)
                 if isinstance(layer, INDEXED_UPSAMPLES) else None)
        if parts is None or parts[0].groups != 1:
            return None
        return cls(*parts)

    def forward(self,
                x: Tensor,
                shortcut: Tensor,
                dec_idx: Optional[Tensor] = None) -> Tensor:
        """See :meth:`IndexedUpsample.forward`."""
        if dec_idx is not None:
            x = dec_idx * F.interpolate(x, size=shortcut.shape[2:])
        conv, split = self.conv, int(x.shape[1])
        options = dict(
            stride=conv.stride, padding=conv.padding, dilation=conv.dilation)
        return self.activation(
            F.conv2d(x, conv.weight[:, :split], None, **options) +
            F.conv2d(shortcut, conv.weight[:, split:], conv.bias, **options))


def openvino_form(fused: nn.Module) -> nn.Module:
    """A copy of a fused IndexNet network (see :func:`~.fusion.
    fuse_conv_bn`) with its M2O index blocks merged
    (:class:`MergedIndexBlock`) and its decoder's concatenations split
    (:class:`SplitFusion`); any other network is returned as a copy.

    Args:
        fused: (N, 4, H, W) -> (N, 1, H, W) network in eval mode, batch
            norms folded; it is not modified.

    Returns:
        nn.Module: The same function of its input up to float rounding.
    """
    form = copy.deepcopy(fused)
    encoder = getattr(form, 'encoder', None)
    for index, block in enumerate(getattr(encoder, 'index_layers', ())):
        merged = MergedIndexBlock.from_block(block)
        if merged is not None:
            encoder.index_layers[index] = merged
    decoder = getattr(form, 'decoder', None)
    for index, layer in enumerate(getattr(decoder, 'decoder_layers', ())):
        split = SplitFusion.from_layer(layer)
        if split is not None:
            decoder.decoder_layers[index] = split
    return form
