"""IndexNet encoder: MobileNetV2 whose downsampling is learned index pooling.

Every place where MobileNetV2 downsamples (the stem and the stride-2 stages)
runs at full resolution instead; an index block then weights the output and
2x2 sum pooling halves it. The weighted map is kept as the decoder's
shortcut, the decoder index map guides the decoder's unpooling.
"""
from typing import Dict, List, Optional, Tuple

import torch.nn as nn
import torch.nn.functional as F
from mmcv.cnn import ConvModule
from mmengine.model import BaseModule
from mmengine.model.weight_init import constant_init, xavier_init
from torch import Tensor

from ..host import ASPP, DepthwiseSeparableConvModule
from ..registry import MODELS
from .index_blocks import DEPTHWISE_MODES, DepthwiseIndexBlock, \
    HolisticIndexBlock

INDEX_MODES = ('holistic', ) + DEPTHWISE_MODES
OUT_STRIDES = (16, 32)
STEM_CHANNELS = 32
ASPP_MID_CHANNELS = 256


class InvertedResidual(nn.Module):
    """MobileNetV2 inverted residual block, always with stride 1.

    Args:
        in_channels: Input channels.
        out_channels: Output channels.
        dilation: Dilation of the 3x3 depthwise convolution.
        expand_ratio: Hidden width as a multiple of ``in_channels``; 1 skips
            the 1x1 expansion.
        norm_cfg: Normalisation layer config.
        use_res_connect: Add the input to the output (needs
            ``in_channels == out_channels``).

    The input is zero-padded *before* the 1x1 expansion, as in the original
    IndexNet code, not inside the depthwise convolution: the border then
    holds the expansion's response to zeros (its BatchNorm bias after
    ReLU6), not zeros. The released weights were trained that way.
    """

    def __init__(self, in_channels: int, out_channels: int, dilation: int,
                 expand_ratio: int, norm_cfg: Optional[dict],
                 use_res_connect: bool) -> None:
        super().__init__()
        self.use_res_connect = use_res_connect
        self.padding = dilation  # keeps the size: 3x3 kernel, stride 1
        hidden_channels = round(in_channels * expand_ratio)
        depthwise_separable = DepthwiseSeparableConvModule(
            hidden_channels,
            out_channels,
            3,
            dilation=dilation,
            norm_cfg=norm_cfg,
            dw_act_cfg=dict(type='ReLU6'),
            pw_act_cfg=None)
        if expand_ratio == 1:
            self.conv = depthwise_separable
        else:
            self.conv = nn.Sequential(
                ConvModule(
                    in_channels,
                    hidden_channels,
                    1,
                    norm_cfg=norm_cfg,
                    act_cfg=dict(type='ReLU6')), depthwise_separable)

    def forward(self, x: Tensor) -> Tensor:
        """Forward (N, in_channels, H, W) to (N, out_channels, H, W)."""
        out = self.conv(F.pad(x, [self.padding] * 4))
        return out + x if self.use_res_connect else out



def _check_arguments(in_channels: int, out_stride: int, width_mult: float,
                     index_mode: str) -> None:
    """Raise ValueError naming the first invalid encoder argument."""
    if out_stride not in OUT_STRIDES:
        raise ValueError(
            f'out_stride must be one of {OUT_STRIDES}, got {out_stride!r}')
    if index_mode not in INDEX_MODES:
        raise ValueError(f'index_mode must be one of {INDEX_MODES}, '
                         f'got {index_mode!r}')
    if not isinstance(in_channels, int) or in_channels <= 0:
        raise ValueError(
            f'in_channels must be a positive int, got {in_channels!r}')
    if not width_mult > 0:
        raise ValueError(f'width_mult must be > 0, got {width_mult!r}')

@MODELS.register_module()
class IndexNetEncoder(BaseModule):
    """MobileNetV2 encoder of IndexNet with learned index pooling.

    Arguments and state_dict mirror mmedit's ``IndexNetEncoder``, so configs
    and the released checkpoints port unchanged; unlike mmedit, every choice
    argument is validated.

    Args:
        in_channels: Input channels, 4 for an RGB image plus a trimap.
        out_stride: Output stride, 32 or 16. With 16 the last downsampling
            is replaced by dilation 2 in the last two stages.
        width_mult: Width multiplier of MobileNetV2's channels.
        index_mode: ``'holistic'``, ``'o2o'`` or ``'m2o'`` index blocks.
        aspp: End with an ASPP module (separable convolutions) instead of a
            1x1 convolution.
        norm_cfg: Normalisation layer config.
        freeze_bn: Keep every BatchNorm layer of the encoder in eval mode
            (running statistics frozen) even in ``train()`` mode; its affine
            parameters still train.
        use_nonlinear: Use two-layer nonlinear index predictors.
        use_context: Predict indices from 4x4 instead of 2x2 neighbourhoods.
        init_cfg: Initialisation config, e.g. a ``Pretrained`` one. Without
            it convolutions get Xavier and BatchNorms constant 1 init.

    Raises:
        ValueError: On an unknown ``out_stride`` or ``index_mode``, or a
            non-positive ``in_channels`` or ``width_mult``.
    """
    # expand_ratio, out_channels, num_blocks, stride (at width_mult 1)
    arch_settings = (
        (1, 16, 1, 1),
        (6, 24, 2, 2),
        (6, 32, 3, 2),
        (6, 64, 4, 2),
        (6, 96, 3, 1),
        (6, 160, 3, 2),
        (6, 320, 1, 1),
    )

    def __init__(self,
                 in_channels: int,
                 out_stride: int = 32,
                 width_mult: float = 1,
                 index_mode: str = 'm2o',
                 aspp: bool = True,
                 norm_cfg: Optional[dict] = dict(type='BN'),
                 freeze_bn: bool = False,
                 use_nonlinear: bool = True,
                 use_context: bool = True,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        _check_arguments(in_channels, out_stride, width_mult, index_mode)
        self.in_channels = in_channels
        self.out_stride = out_stride
        self.width_mult = width_mult
        self.freeze_bn = freeze_bn

        self.layers, self.downsampled_layers, channels = self._make_layers(
            norm_cfg)
        # Every layer but the last feeds the decoder a shortcut.
        self.shortcut_channels = tuple(channels[:-1])
        # The first decoder stage weights the output with the coarsest
        # shortcut's index map, so both need the same width (160 at width 1).
        self.out_channels = self.shortcut_channels[-1]

        if index_mode == 'holistic':
            index_block = HolisticIndexBlock
        else:
            index_block = DepthwiseIndexBlock
        mode_kwargs = {} if index_mode == 'holistic' else dict(mode=index_mode)
        self.index_layers = nn.ModuleList(
            index_block(channels[i], norm_cfg, use_context, use_nonlinear,
                        **mode_kwargs) for i in self.downsampled_layers)

        if aspp:
            self.dconv = ASPP(
                channels[-1],
                self.out_channels,
                mid_channels=int(ASPP_MID_CHANNELS * width_mult),
                dilations=(2, 4, 8) if out_stride == 32 else (6, 12, 18),
                norm_cfg=norm_cfg,
                act_cfg=dict(type='ReLU6'),
                separable_conv=True)
        else:
            self.dconv = ConvModule(
                channels[-1],
                self.out_channels,
                1,
                norm_cfg=norm_cfg,
                act_cfg=dict(type='ReLU6'))

    def _make_layers(self, norm_cfg: Optional[dict]
                     ) -> Tuple[nn.ModuleList, List[int], List[int]]:
        """The stem and the MobileNetV2 stages of :attr:`arch_settings`.

        Returns:
            tuple: The layers, the indices of those that downsample (each
            gets an index block), and each layer's output channels.
        """
        # Copy the table before adapting it: one row per stage with a
        # dilation column appended.
        stages = [[e, int(c * self.width_mult), n, s, 1]
                  for e, c, n, s in self.arch_settings]
        if self.out_stride == 16:
            # Trade the last downsampling (stage 6) for dilation 2 in the
            # last two stages, keeping the receptive field.
            stages[-2][4] = stages[-1][4] = 2

        stem_channels = int(STEM_CHANNELS * self.width_mult)
        layers = nn.ModuleList([
            ConvModule(
                self.in_channels,
                stem_channels,
                3,
                padding=1,
                norm_cfg=norm_cfg,
                act_cfg=dict(type='ReLU6'))
        ])
        # The stem always downsamples; a stage downsamples where
        # MobileNetV2 has stride 2, unless dilated for out_stride 16.
        downsampled_layers = [0]
        channels = [stem_channels]  # output channels of each layer
        for expand_ratio, out_chn, num_blocks, stride, dilation in stages:
            downsample = stride == 2
            # A stride-2 stage would stride in its first block; that block
            # sees the coarser grid's dilation, halved.
            first_dilation = max(dilation // 2, 1) if downsample else dilation
            dilations = [first_dilation] + [dilation] * (num_blocks - 1)
            layers.append(
                nn.Sequential(*[
                    InvertedResidual(
                        channels[-1] if i == 0 else out_chn,
                        out_chn,
                        d,
                        expand_ratio,
                        norm_cfg,
                        use_res_connect=i > 0) for i, d in enumerate(dilations)
                ]))
            if downsample and dilation == 1:
                downsampled_layers.append(len(layers) - 1)
            channels.append(out_chn)
        return layers, downsampled_layers, channels

    def train(self, mode: bool = True) -> 'IndexNetEncoder':
        """Set the training mode, keeping BatchNorms in eval if frozen."""
        super().train(mode)
        if mode and self.freeze_bn:
            for m in self.modules():
                if isinstance(m, nn.modules.batchnorm._BatchNorm):
                    m.eval()
        return self

    def init_weights(self) -> None:
        """Xavier-init convolutions and set BatchNorms to identity, unless
        ``init_cfg`` says otherwise."""
        if self.init_cfg is not None:
            super().init_weights()
            return
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                xavier_init(m)
            elif isinstance(m, nn.BatchNorm2d):
                constant_init(m, 1)

    def forward(self, x: Tensor) -> Dict[str, object]:
        """Encode an image with its trimap.

        Args:
            x: Input of shape (N, in_channels, H, W), H and W multiples of
                ``out_stride``.

        Returns:
            dict: ``out``, the feature map (N, out_channels, H/out_stride,
            W/out_stride), 160 channels at width_mult 1; ``shortcuts``, the
            output of every layer but the last (after index weighting where
            it downsamples), from fine to coarse; ``dec_idx_feat_list``, the
            decoder index map of each shortcut, or None where the layer does
            not downsample.

        Raises:
            ValueError: If the channels or the spatial size do not fit.
        """
        check_encoder_input(x, self.in_channels, self.out_stride)
        shortcuts: List[Tensor] = []
        dec_idx_feat_list: List[Optional[Tensor]] = []
        for i, layer in enumerate(self.layers[:-1]):
            x = layer(x)
            dec_idx = None
            if i in self.downsampled_layers:
                index_block = self.index_layers[self.downsampled_layers.index(
                    i)]
                enc_idx, dec_idx = index_block(x)
                x = enc_idx * x
            shortcuts.append(x)
            dec_idx_feat_list.append(dec_idx)
            if dec_idx is not None:
                # Index pooling: the index-weighted sum of each 2x2 window.
                x = 4 * F.avg_pool2d(x, 2, stride=2)  # N, C, H/2, W/2
        x = self.layers[-1](x)  # N, 320 * width_mult, H/os, W/os
        return dict(
            out=self.dconv(x),
            shortcuts=shortcuts,
            dec_idx_feat_list=dec_idx_feat_list)


def check_encoder_input(x: Tensor, in_channels: int, out_stride: int) -> None:
    """Raise a ValueError unless ``x`` is (N, in_channels, H, W) with H and
    W multiples of ``out_stride``."""
    if x.dim() != 4 or x.shape[1] != in_channels:
        raise ValueError(
            f'IndexNetEncoder expects input of shape (N, {in_channels}, H, '
            f'W) (RGB image + trimap), got {tuple(x.shape)}')
    height, width = x.shape[-2:]
    if height % out_stride or width % out_stride:
        raise ValueError(
            f'IndexNetEncoder with out_stride={out_stride} needs H and W '
            f'divisible by {out_stride}, got H={height}, W={width}; resize '
            'or pad the input (see test_cfg size_divisor)')


def stage_channels(width_mult: float = 1) -> Tuple[int, ...]:
    """Shortcut channels of :class:`IndexNetEncoder` at a width multiplier.

    Args:
        width_mult: Width multiplier of the encoder.

    Returns:
        tuple[int]: Channels of each shortcut, from fine to coarse (stem and
        all stages but the last).
    """
    stages = IndexNetEncoder.arch_settings[:-1]
    return (int(STEM_CHANNELS * width_mult), ) + tuple(
        int(c * width_mult) for _, c, _, _ in stages)
