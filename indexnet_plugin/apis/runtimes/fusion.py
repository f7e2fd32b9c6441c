"""Batch norms folded into the convolutions that feed them.

At inference a ``BatchNorm2d`` is an affine map per channel, so the
convolution before it can absorb it: the same output with one layer less,
which every fast runtime and every exported file starts from.
"""
import copy

import torch
import torch.nn as nn


def _fold(conv: nn.Conv2d, bn: nn.BatchNorm2d) -> None:
    """Fold ``bn`` (in eval mode) into ``conv``'s weight and bias in place."""
    scale = bn.weight / torch.sqrt(bn.running_var + bn.eps)
    bias = conv.bias if conv.bias is not None else torch.zeros_like(scale)
    conv.weight = nn.Parameter(
        conv.weight * scale.reshape(-1, 1, 1, 1), requires_grad=False)
    conv.bias = nn.Parameter(
        (bias - bn.running_mean) * scale + bn.bias, requires_grad=False)


def _foldable(conv: nn.Module, bn: nn.Module) -> bool:
    """Whether ``bn`` directly after ``conv`` can be folded into it."""
    return (isinstance(conv, nn.Conv2d) and isinstance(bn, nn.BatchNorm2d)
            and bn.running_mean is not None and bn.affine
            and bn.num_features == conv.out_channels)


def fuse_conv_bn(module: nn.Module) -> nn.Module:
    """Fold each BatchNorm2d into the Conv2d registered just before it.

    Registration order is taken as execution order, which holds for
    ``ConvModule`` (conv, norm, activation) and ``nn.Sequential``; callers
    verify the result numerically (see
    :func:`~.selection.build_fast_network`).

    Args:
        module: Network in eval mode; it is not modified.

    Returns:
        nn.Module: A fused copy, folded batch norms replaced by ``Identity``.
    """
    fused = copy.deepcopy(module).eval()
    for parent in fused.modules():
        previous = None
        for name, child in list(parent.named_children()):
            if _foldable(previous, child):
                _fold(previous, child)
                setattr(parent, name, nn.Identity())
            previous = child
    return fused
