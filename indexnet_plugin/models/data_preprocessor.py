"""Matting data preprocessor that also batches test samples of different
sizes.

mmedit 1.0.0rc7's ``MattorPreprocessor`` refuses test batches of more than
one sample (test images differ in size and ``EditDataSample.stack`` cannot
stack them). Ours runs mmedit's test path on each sample exactly as a batch
of one would, then pads the network inputs bottom/right to the batch's
largest height and width. ``IndexNet`` (``mattor.py``) crops every sample
back to its top-left ``ori_merged_shape`` corner before the network sees it,
so each sample gets the alpha it would get alone, and the evaluators receive
the same fields (``output.pred_alpha``, ``ori_alpha``, ``ori_trimap``) as
with ``batch_size=1``.
"""
from numbers import Real
from typing import List, Optional, Sequence, Tuple, Union

import torch
import torch.nn.functional as F
from torch import Tensor

from ..host import DataSample as EditDataSample
from ..host import MattorPreprocessor as HostMattorPreprocessor
from ..registry import MODELS
from .preprocessed import mark_preprocessed

PROC_TRIMAP = ('rescale_to_zero_one', 'as_is')
CHANNEL_ORDERS = ('RGB', 'BGR')
NUM_COLOR_CHANNELS = (1, 3)  # one value for all channels, or one each

MeanStd = Optional[Union[Real, Sequence[Real]]]


@MODELS.register_module()
class MattorPreprocessor(HostMattorPreprocessor):
    """``MattorPreprocessor`` for test batches of any size, with samples of
    different sizes.

    Training is mmedit's ``MattorPreprocessor`` unchanged. At test time each
    sample goes through mmedit's test path on its own (normalisation, BGR to
    RGB, trimap rescaling, as with ``batch_size=1``); the per-sample inputs
    (1, 4, H_i, W_i) are then zero-padded at the bottom and right to the
    largest H and W of the batch and concatenated. A batch of one is returned
    exactly as mmedit returns it (a stacked ``EditDataSample``); larger
    batches return a list of samples, which ``indexnet_plugin.IndexNet``
    accepts. Each sample's ``padding_size`` metainfo ``(0, pad_h, pad_w)``
    includes the batch padding. Every sample returned is marked as
    preprocessed (:mod:`.preprocessed`), so that ``IndexNet`` does not
    preprocess it again.

    Args:
        mean: Pixel mean of the image channels (after channel order
            conversion): one number or one per channel; None (with std None)
            disables normalisation.
        std: Pixel standard deviation, like ``mean``; all positive.
        output_channel_order: 'RGB' or 'BGR', the channel order the network
            gets.
        proc_trimap: 'rescale_to_zero_one' (divide the 0/128/255 trimap by
            255, as IndexNet expects) or 'as_is' (cast to float).
        stack_data_sample: Must be True: mmedit's training path reads the
            trimaps from the stacked sample. Kept for config compatibility.

    Raises:
        ValueError: If an argument is invalid.
    """

    def __init__(self,
                 mean: MeanStd = (123.675, 116.28, 103.53),
                 std: MeanStd = (58.395, 57.12, 57.375),
                 output_channel_order: str = 'RGB',
                 proc_trimap: str = 'rescale_to_zero_one',
                 stack_data_sample: bool = True) -> None:
        check_mean_std(mean, std)
        if output_channel_order not in CHANNEL_ORDERS:
            raise ValueError(f'output_channel_order must be one of '
                             f'{CHANNEL_ORDERS}, got {output_channel_order!r}')
        if proc_trimap not in PROC_TRIMAP:
            raise ValueError(f'proc_trimap must be one of {PROC_TRIMAP}, got '
                             f'{proc_trimap!r}')
        if stack_data_sample is not True:
            raise ValueError(
                'stack_data_sample must be True (mmedit reads the trimaps of '
                f'a training batch from the stacked sample), got '
                f'{stack_data_sample!r}')
        # mmedit's base class tests `isinstance(mean, (list, tuple))`.
        super().__init__(
            mean=list(mean) if isinstance(mean, Sequence) else mean,
            std=list(std) if isinstance(std, Sequence) else std,
            output_channel_order=output_channel_order,
            proc_trimap=proc_trimap,
            stack_data_sample=stack_data_sample)

    def forward(self, data: dict, training: bool = False) -> dict:
        """Normalise images, rescale trimaps and batch them.

        Args:
            data: From the dataloader: ``inputs``, N images (3, H_i, W_i) as a
                list or an (N, 3, H, W) tensor; ``data_samples``, N
                ``EditDataSample`` each with a ``trimap`` (1, H_i, W_i).
            training: Training batch (mmedit's path) or test batch.

        Returns:
            dict: ``inputs`` (N, 4, H, W), normalised image and processed
            trimap, each sample in the top-left (H_i, W_i) corner;
            ``data_samples``, a stacked ``EditDataSample`` when training or
            N = 1, else a list of N samples; marked as preprocessed.

        Raises:
            ValueError: If a test batch is empty, its images and samples do
                not pair up, or a trimap is missing or sized unlike its image.
        """
        if training:
            return mark_preprocessed(super().forward(data, training=True))
        pairs = pair_test_batch(data)
        singles = [self._forward_one(image, sample) for image, sample in pairs]
        if len(singles) == 1:
            return mark_preprocessed(singles[0])
        height = max(single['inputs'].shape[2] for single in singles)
        width = max(single['inputs'].shape[3] for single in singles)
        inputs, samples = [], []
        for single in singles:
            pad_h = height - single['inputs'].shape[2]
            pad_w = width - single['inputs'].shape[3]
            # Zeros never reach the network: IndexNet crops each sample to
            # its ori_merged_shape first.
            inputs.append(F.pad(single['inputs'], (0, pad_w, 0, pad_h)))
            sample = single['data_samples'].split()[0]
            sample.set_metainfo({
                'padding_size':
                sample.padding_size + sample.padding_size.new_tensor(
                    (0, pad_h, pad_w))
            })
            samples.append(sample)
        return mark_preprocessed(
            dict(inputs=torch.cat(inputs), data_samples=samples))

    def _forward_one(self, image: Tensor, sample: EditDataSample) -> dict:
        """mmedit's test path for a batch of one: (1, 4, H, W) inputs and a
        stacked sample."""
        return super().forward(
            dict(inputs=[image], data_samples=[sample]), training=False)


def check_mean_std(mean: MeanStd, std: MeanStd) -> None:
    """Raise a ValueError unless ``mean`` and ``std`` are both None or both
    one number / 1 or 3 numbers, with ``std`` positive."""
    if mean is None and std is None:
        return
    for name, value in (('mean', mean), ('std', std)):
        values = list(value) if isinstance(value, Sequence) else [value]
        if (len(values) not in NUM_COLOR_CHANNELS or not all(
                isinstance(v, Real) and not isinstance(v, bool)
                for v in values)):
            raise ValueError(
                f'{name} must be a number or {NUM_COLOR_CHANNELS[0]} or '
                f'{NUM_COLOR_CHANNELS[1]} numbers (None for both mean and '
                f'std disables normalisation), got {value!r}')
    if not all(s > 0 for s in (std if isinstance(std, Sequence) else [std])):
        raise ValueError(f'std must be positive, got {std!r}')


def pair_test_batch(data: dict) -> List[Tuple[Tensor, EditDataSample]]:
    """Pair each test image with its data sample, checking the trimaps.

    Raises:
        ValueError: If the batch is empty, the numbers of images and samples
            differ, a sample is not an ``EditDataSample`` with a ``trimap``,
            or a trimap's (H, W) is not its image's.
    """
    images = data.get('inputs')
    samples = data.get('data_samples')
    if not isinstance(images, (Tensor, Sequence)) or not isinstance(
            samples, Sequence) or len(images) == 0:
        raise ValueError(
            'a test batch needs inputs (a list of (3, H, W) images or an '
            '(N, 3, H, W) tensor) and a list of data samples, got inputs of '
            f'type {type(images).__name__} and data_samples of type '
            f'{type(samples).__name__}')
    if len(images) != len(samples):
        raise ValueError(f'a test batch has {len(images)} images but '
                         f'{len(samples)} data samples')
    for index, (image, sample) in enumerate(zip(images, samples)):
        name = sample_name(sample, index)
        if not isinstance(sample, EditDataSample) or 'trimap' not in sample:
            raise ValueError(f'{name} has no trimap (expected an '
                             "EditDataSample with a 'trimap' field)")
        if not isinstance(image, Tensor) or image.dim() != 3:
            raise ValueError(f'{name}: expected a (C, H, W) image tensor, '
                             f'got {describe(image)}')
        trimap = sample.trimap
        if trimap.shape[-2:] != image.shape[-2:]:
            raise ValueError(
                f'{name}: image/trimap size mismatch, the image is '
                f'{image.shape[1]}x{image.shape[2]} but the trimap has shape '
                f'{tuple(trimap.shape)}')
    return list(zip(images, samples))


def sample_name(sample: EditDataSample, index: int) -> str:
    """``test sample <index>`` plus its trimap (else merged) file if
    known."""
    for key in ('trimap_path', 'merged_path'):
        if isinstance(sample, EditDataSample) and key in sample:
            return f'test sample {index} ({sample.get(key)})'
    return f'test sample {index}'


def describe(value: object) -> str:
    """Type, and shape for tensors, of ``value`` for error messages."""
    if isinstance(value, Tensor):
        return f'a tensor of shape {tuple(value.shape)}'
    return type(value).__name__
