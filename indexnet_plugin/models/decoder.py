"""IndexNet decoder: indexed unpooling guided by the encoder's index maps."""
import math
from typing import Dict, Optional, Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmcv.cnn import ConvModule
from mmengine.model import BaseModule
from mmengine.model.weight_init import normal_init
from torch import Tensor

from ..host import DepthwiseSeparableConvModule
from ..registry import MODELS
from .encoder import stage_channels


class IndexedUpsample(nn.Module):
    """Fuse a decoder feature map with one encoder shortcut.

    Where the encoder downsampled, the feature map is first upsampled
    (nearest) to the shortcut's size and weighted by the decoder index map
    (indexed unpooling); it is then concatenated with the shortcut and
    convolved.

    Args:
        in_channels: Channels of feature map plus shortcut.
        out_channels: Output channels.
        kernel_size: Kernel size of the fusing convolution.
        norm_cfg: Normalisation layer config.
        separable_conv: Use a depthwise separable convolution.
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int,
                 norm_cfg: Optional[dict], separable_conv: bool) -> None:
        super().__init__()
        conv_module = (
            DepthwiseSeparableConvModule if separable_conv else ConvModule)
        self.conv = conv_module(
            in_channels,
            out_channels,
            kernel_size,
            padding=(kernel_size - 1) // 2,
            norm_cfg=norm_cfg,
            act_cfg=dict(type='ReLU6'))

    def forward(self,
                x: Tensor,
                shortcut: Tensor,
                dec_idx: Optional[Tensor] = None) -> Tensor:
        """Forward function.

        Args:
            x: Decoder feature map (N, C, H, W).
            shortcut: Encoder shortcut (N, C', H', W'); H' = 2H where the
                encoder downsampled, H' = H elsewhere.
            dec_idx: Decoder index map (N, C' or 1, H', W'), or None where
                the encoder did not downsample.

        Returns:
            Tensor: Fused feature map (N, out_channels, H', W').
        """
        if dec_idx is not None:
            x = dec_idx * F.interpolate(x, size=shortcut.shape[2:])
        return self.conv(torch.cat((x, shortcut), dim=1))


@MODELS.register_module()
class IndexNetDecoder(BaseModule):
    """Decoder of IndexNet.

    One :class:`IndexedUpsample` per encoder shortcut, from coarse to fine;
    each outputs the width of the next (finer) shortcut, the last keeps the
    stem's width. Channel counts follow from ``width_mult``; at the default
    width the state_dict is that of mmedit's ``IndexNetDecoder``.

    Args:
        in_channels: Channels of the encoder output. ``SimpleEncoderDecoder``
            fills it in from ``encoder.out_channels``; None means the
            coarsest shortcut's width (160 at width_mult 1).
        kernel_size: Kernel size of every convolution.
        norm_cfg: Normalisation layer config.
        separable_conv: Use depthwise separable convolutions.
        width_mult: Width multiplier of the encoder, which sets the channels
            of its shortcuts. Must equal the encoder's.
        init_cfg: Initialisation config. Without it convolutions get
            normal init with std sqrt(2 / (out_channels * kernel_size^2)).

    Raises:
        ValueError: If ``kernel_size`` is not a positive odd int or
            ``width_mult`` is not positive.
    """

    def __init__(self,
                 in_channels: Optional[int] = None,
                 kernel_size: int = 5,
                 norm_cfg: Optional[dict] = dict(type='BN'),
                 separable_conv: bool = False,
                 width_mult: float = 1,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if (not isinstance(kernel_size, int) or kernel_size <= 0
                or kernel_size % 2 == 0):
            # An even kernel would shift the prediction by half a pixel.
            raise ValueError('kernel_size must be a positive odd int, got '
                             f'{kernel_size!r}')
        if not width_mult > 0:
            raise ValueError(f'width_mult must be > 0, got {width_mult!r}')
        self.width_mult = width_mult
        # Shortcut channels, coarse to fine, as the decoder consumes them.
        self.shortcut_channels = stage_channels(width_mult)[::-1]
        if in_channels is None:
            in_channels = self.shortcut_channels[0]
        self.in_channels = in_channels
        out_channels = self.shortcut_channels[1:] + self.shortcut_channels[-1:]
        in_channels_list = [in_channels, *out_channels[:-1]]

        self.decoder_layers = nn.ModuleList(
            IndexedUpsample(x_chn + sc_chn, out_chn, kernel_size, norm_cfg,
                            separable_conv)
            for x_chn, sc_chn, out_chn in zip(
                in_channels_list, self.shortcut_channels, out_channels))
        conv_module = (
            DepthwiseSeparableConvModule if separable_conv else ConvModule)
        padding = (kernel_size - 1) // 2
        self.pred = nn.Sequential(
            conv_module(
                out_channels[-1],
                1,
                kernel_size,
                padding=padding,
                norm_cfg=norm_cfg,
                act_cfg=dict(type='ReLU6')),
            nn.Conv2d(1, 1, kernel_size, padding=padding, bias=False))

    def init_weights(self) -> None:
        """Normal-init convolutions (He-style fan-out std) unless
        ``init_cfg`` says otherwise."""
        if self.init_cfg is not None:
            super().init_weights()
            return
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                std = math.sqrt(2. / (m.out_channels * m.kernel_size[0]**2))
                normal_init(m, mean=0, std=std)

    def forward(self, inputs: Dict[str, object]) -> Tensor:
        """Decode the encoder output into an alpha matte.

        Args:
            inputs: Output of :class:`IndexNetEncoder` (keys ``out``,
                ``shortcuts``, ``dec_idx_feat_list``).

        Returns:
            Tensor: Predicted alpha of shape (N, 1, H, W) at the input
            resolution of the encoder (not clamped to [0, 1]).

        Raises:
            ValueError: If the shortcuts do not match this decoder's
                channels (e.g. encoder and decoder ``width_mult`` differ).
        """
        shortcuts: Sequence[Tensor] = inputs['shortcuts']
        got = tuple(s.shape[1] for s in reversed(shortcuts))
        if got != self.shortcut_channels:
            raise ValueError(
                f'IndexNetDecoder(width_mult={self.width_mult}) expects '
                f'shortcut channels {self.shortcut_channels} (coarse to '
                f'fine), got {got}; set the same width_mult in encoder and '
                'decoder')
        out = inputs['out']
        for layer, shortcut, dec_idx in zip(self.decoder_layers,
                                            reversed(shortcuts),
                                            reversed(
                                                inputs['dec_idx_feat_list'])):
            out = layer(out, shortcut, dec_idx)
        return self.pred(out)
