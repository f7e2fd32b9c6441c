"""IndexNet mattor: training losses and test-time inference around the
encoder-decoder backbone.

Trimap values follow mmedit's ``IndexNet`` exactly, whatever they are: the
network sees the trimap channel as given; the losses cover the pixels whose
trimap channel is exactly 128/255 (unknown after ``MattorPreprocessor(
proc_trimap='rescale_to_zero_one')``); at test time pixels whose original
trimap is exactly 255 or 0 are written back as 1 and 0 and every other value
is predicted. Nothing is relabelled here, so training and ``mim test`` give
mmedit's numbers on any data; turning a soft or lossy trimap into three
levels is the job of the predictor (:mod:`indexnet_plugin.apis.inputs.trimap`).
"""
from typing import Dict, List, Optional, Sequence, Tuple, Union

import numpy as np
import torch
from torch import Tensor

from ..host import BaseMattor
from ..host import DataSample as EditDataSample
from ..host import get_unknown_tensor
from ..registry import MODELS
from . import original_protocol
from .original_keys import is_original_state
from .preprocessed import is_preprocessed, mark_output
from .test_config import check_test_cfg

MODES = ('tensor', 'predict', 'loss')
UNKNOWN = 128 / 255  # the unknown label after rescale_to_zero_one

DataSamples = Union[EditDataSample, Sequence[EditDataSample]]


@MODELS.register_module()
class IndexNet(BaseMattor):
    """IndexNet matting model (Lu et al., "Indices Matter: Learning to Index
    for Deep Image Matting", ICCV 2019).

    Reuses mmedit's ``BaseMattor`` (resizing helpers, ``tensor`` and
    ``loss`` modes). Differences from mmedit's ``IndexNet``: ``test_cfg``
    and inputs are validated, and prediction handles batches of any size,
    including samples of different original sizes delivered padded to a
    common size (see :meth:`predict_alpha`).

    Args:
        data_preprocessor: Config of the data preprocessor, normally
            ``MattorPreprocessor`` with ``proc_trimap='rescale_to_zero_one'``.
        backbone: Config of the backbone, normally ``SimpleEncoderDecoder``
            with ``IndexNetEncoder`` and ``IndexNetDecoder``.
        loss_alpha: Config of the alpha loss (e.g. ``CharbonnierLoss``),
            computed on the unknown region only. None disables it.
        loss_comp: Config of the composition loss (e.g.
            ``CharbonnierCompLoss``), on the unknown region only. None
            disables it.
        init_cfg: Initialisation config.
        train_cfg: Training config (unused by IndexNet).
        test_cfg: ``resize_method`` ('interp' or 'pad'), ``resize_mode``
            (an interpolation mode for 'interp', a padding mode for 'pad')
            and ``size_divisor``; or ``protocol='original'`` and
            ``size_divisor`` for the test protocol of the authors' code
            (resize up with OpenCV, write back every non-128 trimap pixel,
            truncate; see :mod:`.original_protocol`). Required for
            ``mode='predict'``.

    Raises:
        ValueError: If ``test_cfg`` is given but incomplete or invalid.
    """

    def __init__(self,
                 data_preprocessor: dict,
                 backbone: dict,
                 loss_alpha: Optional[dict] = None,
                 loss_comp: Optional[dict] = None,
                 init_cfg: Optional[dict] = None,
                 train_cfg: Optional[dict] = None,
                 test_cfg: Optional[dict] = None) -> None:
        if test_cfg is not None:
            check_test_cfg(test_cfg)
        super().__init__(
            backbone=backbone,
            data_preprocessor=data_preprocessor,
            init_cfg=init_cfg,
            train_cfg=train_cfg,
            test_cfg=test_cfg)
        self.loss_alpha = None if loss_alpha is None else MODELS.build(
            loss_alpha)
        self.loss_comp = None if loss_comp is None else MODELS.build(
            loss_comp)
        self.register_load_state_dict_pre_hook(refuse_original_state)
        # Whatever preprocessor the config names (ours marks its outputs
        # itself, mmedit's does not), a batch it returned is not
        # preprocessed again in predict mode.
        self.data_preprocessor.register_forward_hook(mark_output)

    def forward(self,
                inputs: Tensor,
                data_samples: Optional[DataSamples] = None,
                mode: str = 'tensor') -> Union[Tensor, dict, list]:
        """Run the network, the loss or the prediction.

        In ``predict`` mode, a batch that did not come out of a data
        preprocessor (its samples lack the mark of
        :mod:`.preprocessed`) is taken as mmedit 1.0.0rc7's inference API
        hands it over, the test pipeline's image and trimap concatenated,
        and goes through ``self.data_preprocessor`` first (see
        :meth:`preprocess`): every host entry point gives ``test_step``'s
        alpha.

        Args:
            inputs: Normalised image and rescaled trimap, (N, 4, H, W); in
                ``predict`` mode also a raw batch (N, 4, H, W), BGR image
                0-255 and trimap.
            data_samples: Ground truth (``loss``) or original trimap and
                shape (``predict``); a stacked ``EditDataSample`` or a list.
            mode: ``'tensor'`` returns the raw alpha (N, 1, H, W);
                ``'loss'`` a dict of losses; ``'predict'`` the data samples,
                each with ``output.pred_alpha``, a uint8 (H_i, W_i) tensor at
                the sample's original size.

        Returns:
            Tensor | dict | list: As described for ``mode``.

        Raises:
            ValueError: On an unknown mode or invalid inputs.
        """
        if mode not in MODES:
            raise ValueError(f'mode must be one of {MODES}, got {mode!r}')
        if inputs.dim() != 4 or inputs.shape[1] != 4:
            raise ValueError(
                'IndexNet expects inputs of shape (N, 4, H, W): a 3-channel '
                f'image and a 1-channel trimap, got {tuple(inputs.shape)}')
        if mode == 'predict':
            samples = split_samples(data_samples, len(inputs))
            if not is_preprocessed(samples):
                inputs, samples = self.preprocess(inputs, samples)
            return self.predict(inputs, samples)
        return super().forward(inputs, data_samples, mode)

    def preprocess(
            self, inputs: Tensor,
            samples: List[EditDataSample]) -> Tuple[Tensor, DataSamples]:
        """Run the data preprocessor on a raw test batch.

        The batch is what mmedit 1.0.0rc7's ``matting_inference`` and
        inferencers pass: the image channels of ``inputs`` are the test
        pipeline's image, the trimap is each sample's ``trimap`` (also in
        the 4th channel), so the preprocessor gets what ``mim test``'s
        dataloader gives it.

        Args:
            inputs: Raw batch (N, 4, H, W): image (BGR, 0-255) and trimap.
            samples: N samples as the test pipeline packs them, each with a
                ``trimap`` (1, H, W).

        Returns:
            tuple: The preprocessed inputs (N, 4, H, W) and data samples.

        Raises:
            ValueError: If a sample has no ``trimap``.
        """
        for index, sample in enumerate(samples):
            if 'trimap' not in sample:
                raise ValueError(
                    f"data sample {index} has no 'trimap': a batch that did "
                    "not come out of a data preprocessor needs the test "
                    "pipeline's samples, which IndexNet preprocesses (for "
                    'inputs preprocessed by hand, mark the batch with '
                    'indexnet_plugin.models.mark_preprocessed)')
        data = self.data_preprocessor(
            dict(inputs=list(inputs[:, :3]), data_samples=samples),
            training=False)
        return data['inputs'], data['data_samples']

    def _forward(self, inputs: Tensor) -> Tensor:
        """Raw network output (N, 1, H, W) for inputs (N, 4, H, W)."""
        return self.backbone(inputs)

    def _forward_test(self, inputs: Tensor) -> Tensor:
        """Raw network output (N, 1, H, W) for resized test inputs."""
        return self._forward(inputs)

    def _forward_train(self, inputs: Tensor,
                       data_samples: EditDataSample) -> Dict[str, Tensor]:
        """Losses of one batch, restricted to the unknown trimap region.

        Args:
            inputs: Batch (N, 4, H, W) from the data preprocessor.
            data_samples: Stacked samples with ``gt_alpha`` (N, 1, H, W) and
                ``gt_fg``, ``gt_bg``, ``gt_merged`` (N, 3, H, W) in [0, 1].

        Returns:
            dict: ``loss_alpha`` and/or ``loss_comp``.
        """
        trimap = inputs[:, 3:]
        gt_alpha = data_samples.gt_alpha
        if gt_alpha.shape != trimap.shape:
            raise ValueError(
                f'gt_alpha has shape {tuple(gt_alpha.shape)} but the inputs '
                f'need (N, 1, H, W) = {tuple(trimap.shape)}')
        pred_alpha = self._forward(inputs)
        weight = get_unknown_tensor(trimap, unknown_value=UNKNOWN)
        losses = dict()
        if self.loss_alpha is not None:
            losses['loss_alpha'] = self.loss_alpha(pred_alpha, gt_alpha,
                                                   weight)
        if self.loss_comp is not None:
            losses['loss_comp'] = self.loss_comp(pred_alpha,
                                                 data_samples.gt_fg,
                                                 data_samples.gt_bg,
                                                 data_samples.gt_merged,
                                                 weight)
        return losses

    def predict(self, inputs: Tensor,
                data_samples: DataSamples) -> List[EditDataSample]:
        """Predict uint8 alpha mattes at the original sizes.

        Args:
            inputs: Batch (N, 4, H, W); see :meth:`predict_alpha`.
            data_samples: N samples with ``ori_merged_shape`` and
                ``ori_trimap``.

        Returns:
            list[EditDataSample]: The N samples, each with
            ``output.pred_alpha``, a uint8 tensor (H_i, W_i) in [0, 255].
        """
        samples = split_samples(data_samples, len(inputs))
        alphas = self.predict_alpha(inputs, samples)
        for sample, alpha in zip(samples, alphas):
            if self.uses_original_protocol:
                alpha = torch.from_numpy(
                    original_protocol.quantise(alpha.cpu().numpy())).to(
                        alpha.device)
            else:
                alpha = (alpha * 255).round().to(torch.uint8)
            sample.output = EditDataSample(pred_alpha=alpha)
        return samples

    @property
    def uses_original_protocol(self) -> bool:
        """Whether ``test_cfg`` selects the authors' test protocol."""
        return self.test_cfg.get('protocol') == original_protocol.PROTOCOL

    def resize_inputs(self, batch_inputs: Tensor) -> Tensor:
        """Resize (N, 4, H, W) inputs to the network's multiples of
        ``size_divisor`` as ``test_cfg`` says."""
        if not self.uses_original_protocol:
            return super().resize_inputs(batch_inputs)
        divisor = self.test_cfg['size_divisor']
        resized = [
            original_protocol.upsample_input(
                x.permute(1, 2, 0).contiguous().cpu().numpy(), divisor)
            for x in batch_inputs
        ]
        resized = torch.from_numpy(np.stack(resized))  # N, H', W', 4
        return resized.permute(0, 3, 1, 2).to(batch_inputs)

    def restore_alpha(self, pred_alpha: Tensor, data_sample: EditDataSample,
                      ori_trimap: Tensor) -> Tensor:
        """The alpha (H, W) in [0, 1] at the original size, known trimap
        regions written back, from the raw prediction (1, H', W')."""
        if self.uses_original_protocol:
            alpha = original_protocol.restore_alpha(
                pred_alpha[0].cpu().numpy(),
                ori_trimap.cpu().numpy())
            return torch.from_numpy(alpha).to(pred_alpha.device)
        alpha = self.restore_size(pred_alpha, data_sample)[0]  # H_i, W_i
        alpha = alpha.clamp(0, 1)
        alpha[ori_trimap == 255] = 1
        alpha[ori_trimap == 0] = 0
        return alpha

    def predict_alpha(self, inputs: Tensor,
                      data_samples: DataSamples) -> List[Tensor]:
        """Predict float alpha mattes at the original sizes.

        Sample i's valid region is the top-left ``ori_merged_shape`` corner
        of ``inputs[i]``; the rest is padding from batching. Samples are
        grouped by original size; each group is cropped to its size, resized
        as ``test_cfg`` says, run as one batch and restored. Padding never
        reaches the network, so every sample gets the alpha it would get
        alone in a batch of one, as in mmedit, up to the float rounding of
        batched convolutions (measured: 2.6e-6 on CPU, which can move a
        uint8 pixel by one level). Known trimap regions are written back
        (255 -> 1, 0 -> 0; with ``protocol='original'`` every pixel whose
        trimap is not 128 gets the trimap's value / 255).

        Args:
            inputs: Batch (N, 4, H, W) of normalised images and trimaps
                (normally rescaled to {0, 128/255, 1}; any values are used
                as given).
            data_samples: N samples with ``ori_merged_shape`` (H_i, W_i, ...)
                and ``ori_trimap`` (1, H_i, W_i) or (H_i, W_i); pixels of
                exactly 0 or 255 are known, any other value is predicted.

        Returns:
            list[Tensor]: N float alphas (H_i, W_i) in [0, 1].

        Raises:
            ValueError: If ``test_cfg`` is missing, or a sample's sizes are
                invalid.
        """
        if not self.test_cfg:
            raise ValueError('IndexNet needs test_cfg (resize_method, '
                             'resize_mode, size_divisor; or protocol and '
                             'size_divisor) to predict')
        samples = split_samples(data_samples, len(inputs))
        groups: Dict[Tuple[int, int], List[int]] = {}
        for i, sample in enumerate(samples):
            size = original_size(sample, i, inputs.shape[-2:],
                                 self.test_cfg)
            groups.setdefault(size, []).append(i)

        alphas: List[Optional[Tensor]] = [None] * len(samples)
        for (height, width), indices in groups.items():
            batch = inputs[indices, :, :height, :width]
            pred = self._forward_test(self.resize_inputs(batch))
            for i, alpha in zip(indices, pred):
                ori_trimap = samples[i].ori_trimap.reshape(height, width)
                alphas[i] = self.restore_alpha(alpha, samples[i], ori_trimap)
        return alphas


def refuse_original_state(module: torch.nn.Module, state_dict: dict,
                          prefix: str, *args) -> None:
    """Load-state-dict pre-hook: refuse the authors' unconverted weights.

    mmengine loads checkpoints with ``strict=False`` (``mim test``,
    ``load_from``); the authors' file would match no key and leave the model
    at its initial weights with only a warning.

    Raises:
        ValueError: If the keys are the authors' names.
    """
    keys = [k[len(prefix):] for k in state_dict if k.startswith(prefix)]
    if is_original_state(keys):
        raise ValueError(
            "these are the IndexNet authors' unconverted weights (keys such "
            f"as '{keys[0]}'); convert their file once with python "
            'tools/convert_original_checkpoint.py SRC DST and load DST '
            '(with configs/indexnet_mobv2_original.py)')


def split_samples(data_samples: DataSamples, num: int) -> List[EditDataSample]:
    """Return ``data_samples`` as a list of ``num`` samples."""
    if isinstance(data_samples, EditDataSample):
        data_samples = data_samples.split()
    samples = list(data_samples or [])
    if len(samples) != num:
        raise ValueError(f'got {len(samples)} data samples for a batch of '
                         f'{num} inputs')
    return samples


def original_size(sample: EditDataSample, index: int,
                  input_size: Sequence[int],
                  test_cfg: dict) -> Tuple[int, int]:
    """Check sample ``index`` and return its original (H, W).

    Raises:
        ValueError: If the original shape or trimap is missing, does not fit
            the input, or is too small for ``size_divisor`` in 'interp'
            mode.
    """
    for key in ('ori_merged_shape', 'ori_trimap'):
        if key not in sample:
            raise ValueError(f'data sample {index} lacks {key!r}, needed to '
                             'restore the alpha to the original size')
    height, width = (int(s) for s in sample.ori_merged_shape[:2])
    if height > input_size[0] or width > input_size[1]:
        raise ValueError(
            f'data sample {index}: ori_merged_shape {(height, width)} is '
            f'larger than the inputs {tuple(input_size)}')
    divisor = test_cfg['size_divisor']
    interp = test_cfg.get('resize_method') == 'interp'
    if interp and min(height, width) < divisor:
        raise ValueError(
            f'data sample {index}: image of {height}x{width} is smaller than '
            f'size_divisor={divisor}; use resize_method=pad')
    trimap = sample.ori_trimap
    if tuple(trimap.shape[-2:]) != (height, width) or trimap.numel() != (
            height * width):
        raise ValueError(
            f'data sample {index}: image/trimap size mismatch, merged image '
            f'is {height}x{width} but ori_trimap has shape '
            f'{tuple(trimap.shape)}')
    return height, width
