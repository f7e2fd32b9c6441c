"""What the tests and the benchmarks share: non-trivial weights for an
IndexNet.

Public (like ``mmengine.testing``) because ``bench/`` needs the same weights
as ``tests/`` and must not import the test folder. Nothing in the package
uses it.
"""
import torch
from torch import nn


def randomise_weights(model: nn.Module, seed: int = 0) -> nn.Module:
    """Give every convolution and BatchNorm of an IndexNet non-trivial values.

    Convolutions get fan-in scaled normal weights (so activations neither
    vanish nor explode through ~60 layers); BatchNorms get random running
    mean/var and affine parameters far from the identity, so folding them
    and parity checks are meaningful and outputs are far from constant.

    Args:
        model: An IndexNet mattor (ours or the host's); changed in place.
        seed: Seed of the one generator that draws every value.

    Returns:
        nn.Module: ``model``.
    """
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, nn.Conv2d):
                fan_in = m.weight[0].numel()
                m.weight.copy_(
                    torch.randn(m.weight.shape, generator=gen) *
                    (2 / fan_in)**0.5)
                if m.bias is not None:
                    m.bias.copy_(torch.randn(m.bias.shape, generator=gen) * .1)
            elif isinstance(m, nn.BatchNorm2d):
                c = m.num_features
                m.running_mean.copy_(torch.randn(c, generator=gen) * .2)
                m.running_var.copy_(torch.rand(c, generator=gen) + .5)
                m.weight.copy_(torch.rand(c, generator=gen) + .5)
                m.bias.copy_(torch.randn(c, generator=gen) * .1)
        # The one-channel layer before the final ReLU6 would often be
        # negative everywhere (a constant zero alpha); shift it into the
        # linear range.
        model.backbone.decoder.pred[0].bn.bias.fill_(1.)
    return model

