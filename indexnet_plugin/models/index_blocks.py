"""Learned index blocks of IndexNet (Lu et al., ICCV 2019, Sec. 3-4).

An index block looks at a feature map of shape (N, C, H, W) and predicts,
for every 2x2 window, where the information sits. It returns two index
maps at the input resolution:

- the *encoder* index, softmax-normalised over the four positions of each
  window, weights the features before the 2x2 sum pooling (index pooling);
- the *decoder* index, the sigmoid before the softmax, weights the nearest
  upsampled features in the decoder (indexed unpooling).

Two families exist. The holistic block predicts one index map shared by all
channels; the depthwise block predicts one per channel, either from that
channel alone (O2O, one-to-one, grouped convolutions) or from all channels
(M2O, many-to-one, dense convolutions). O2O and M2O differ only in the
number of convolution groups, so :class:`DepthwiseIndexBlock` covers both.
"""
from typing import Optional, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmcv.cnn import ConvModule
from torch import Tensor

DEPTHWISE_MODES = ('o2o', 'm2o')


def index_conv(in_channels: int,
               out_channels: int,
               groups: int,
               norm_cfg: Optional[dict],
               use_context: bool,
               use_nonlinear: bool,
               expansion: int = 1) -> nn.Module:
    """Build the strided convolution that predicts one index map.

    Every output pixel sees one 2x2 window of the input (stride 2). With
    ``use_context`` the kernel grows to 4x4 (padding 1), so the prediction
    also sees the neighbouring windows.

    Args:
        in_channels: Channels of the input feature map.
        out_channels: Channels of the predicted (unnormalised) index map.
        groups: Convolution groups.
        norm_cfg: Normalisation after the nonlinear layer's first
            convolution; unused when ``use_nonlinear`` is False.
        use_context: Use a 4x4 kernel instead of 2x2.
        use_nonlinear: Insert a normalised ReLU6 layer with
            ``in_channels * expansion`` channels, then a 1x1 convolution.
        expansion: Width factor of the hidden layer of the nonlinear variant.

    Returns:
        nn.Module: Maps (N, in_channels, H, W) to
        (N, out_channels, H/2, W/2).
    """
    kernel_size, padding = (4, 1) if use_context else (2, 0)
    if not use_nonlinear:
        return ConvModule(
            in_channels,
            out_channels,
            kernel_size,
            stride=2,
            padding=padding,
            groups=groups,
            bias=False,
            norm_cfg=None,
            act_cfg=None)
    hidden_channels = in_channels * expansion
    return nn.Sequential(
        ConvModule(
            in_channels,
            hidden_channels,
            kernel_size,
            stride=2,
            padding=padding,
            groups=groups,
            norm_cfg=norm_cfg,
            act_cfg=dict(type='ReLU6')),
        ConvModule(
            hidden_channels,
            out_channels,
            1,
            groups=groups,
            bias=False,
            norm_cfg=None,
            act_cfg=None))


class HolisticIndexBlock(nn.Module):
    """Holistic index block: one index map shared by all channels.

    Args:
        in_channels: Channels of the input feature map.
        norm_cfg: Normalisation of the nonlinear variant.
        use_context: Predict each window's index from a 4x4 neighbourhood.
        use_nonlinear: Use a two-layer nonlinear index predictor.
    """

    def __init__(self,
                 in_channels: int,
                 norm_cfg: Optional[dict] = dict(type='BN'),
                 use_context: bool = False,
                 use_nonlinear: bool = False) -> None:
        super().__init__()
        # One index per position of the 2x2 window; the hidden layer of the
        # nonlinear variant is twice as wide as the input, as in the paper.
        self.index_block = index_conv(
            in_channels,
            4,
            groups=1,
            norm_cfg=norm_cfg,
            use_context=use_context,
            use_nonlinear=use_nonlinear,
            expansion=2)

    def forward(self, x: Tensor) -> Tuple[Tensor, Tensor]:
        """Predict the index maps of ``x``.

        Args:
            x: Feature map of shape (N, C, H, W), H and W even.

        Returns:
            tuple[Tensor, Tensor]: Encoder and decoder index maps, both of
            shape (N, 1, H, W).
        """
        logits = self.index_block(x)  # N, 4, H/2, W/2
        dec_idx = torch.sigmoid(logits)
        enc_idx = torch.softmax(dec_idx, dim=1)
        # Scatter the four positions back into their 2x2 windows.
        return F.pixel_shuffle(enc_idx, 2), F.pixel_shuffle(dec_idx, 2)


class DepthwiseIndexBlock(nn.Module):
    """Depthwise index block: one index map per channel (O2O or M2O).

    Four convolutions, one per position of the 2x2 window, each predict a
    C-channel map. In ``'o2o'`` mode they are depthwise (``groups=C``), so
    channel c's index depends on channel c only; in ``'m2o'`` mode they are
    dense (``groups=1``).

    Args:
        in_channels: Channels C of the input feature map.
        norm_cfg: Normalisation of the nonlinear variant.
        use_context: Predict each window's index from a 4x4 neighbourhood.
        use_nonlinear: Use two-layer nonlinear index predictors.
        mode: ``'o2o'`` or ``'m2o'``.

    Raises:
        ValueError: If ``mode`` is not ``'o2o'`` or ``'m2o'``.
    """

    def __init__(self,
                 in_channels: int,
                 norm_cfg: Optional[dict] = dict(type='BN'),
                 use_context: bool = False,
                 use_nonlinear: bool = False,
                 mode: str = 'o2o') -> None:
        super().__init__()
        if mode not in DEPTHWISE_MODES:
            raise ValueError(f'mode must be one of {DEPTHWISE_MODES}, '
                             f'got {mode!r}')
        groups = in_channels if mode == 'o2o' else 1
        self.index_blocks = nn.ModuleList(
            index_conv(
                in_channels,
                in_channels,
                groups=groups,
                norm_cfg=norm_cfg,
                use_context=use_context,
                use_nonlinear=use_nonlinear) for _ in range(4))

    def forward(self, x: Tensor) -> Tuple[Tensor, Tensor]:
        """Predict the index maps of ``x``.

        Args:
            x: Feature map of shape (N, C, H, W), H and W even.

        Returns:
            tuple[Tensor, Tensor]: Encoder and decoder index maps, both of
            shape (N, C, H, W).
        """
        n, c, h, w = x.shape
        # N, C, 4, H/2, W/2: the four window positions on their own axis.
        logits = torch.stack([block(x) for block in self.index_blocks], 2)
        dec_idx = torch.sigmoid(logits)
        enc_idx = torch.softmax(dec_idx, dim=2)
        # Channel c's four positions become channels 4c..4c+3, which
        # pixel_shuffle scatters into channel c's 2x2 windows.
        enc_idx = enc_idx.reshape(n, c * 4, h // 2, w // 2)
        dec_idx = dec_idx.reshape(n, c * 4, h // 2, w // 2)
        return F.pixel_shuffle(enc_idx, 2), F.pixel_shuffle(dec_idx, 2)
