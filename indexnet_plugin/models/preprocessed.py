"""Which batches went through a data preprocessor: a mark on their samples.

The hosts' inference entry points hand ``IndexNet`` different things in
``predict`` mode. ``mim test``, validation during training and MMagic 1.2's
``MattingInferencer`` / ``MMagicInferencer`` run the model's data
preprocessor first: (N, 4, H, W) inputs, the image normalised in RGB and the
trimap divided by 255. MMEditing 1.0.0rc7's ``matting_inference``,
``MattingInferencer`` and ``MMEditInferencer(task='matting')`` do not: they
concatenate the test pipeline's image (BGR, 0-255) and trimap (0/128/255)
into a (1, 4, H, W) float tensor next to a stacked data sample, so mmedit's
own IndexNet returns a wrong matte there. Pixel values cannot tell the two
apart (a dark photo normalised is a legal input), so a preprocessor marks
the data samples of every batch it returns, and the mattor preprocesses an
unmarked batch itself.

The mark is the metainfo ``PREPROCESSED`` (True) of each data sample; a
stacked sample holds one value per sample, as ``DataSample.stack`` stores
metainfo, so ``split()`` gives each sample its own. Nothing here copies a
sample: marking changes the samples it is given.
"""
from typing import Sequence, Union

from torch import nn

from ..host import DataSample

PREPROCESSED = 'indexnet_preprocessed'

DataSamples = Union[DataSample, Sequence[DataSample], None]


def mark_preprocessed(data: dict) -> dict:
    """Mark the data samples of a preprocessed batch.

    Args:
        data: A data preprocessor's output: ``inputs`` (N, C, H, W) and
            ``data_samples``, a stacked ``DataSample`` of N samples, a list
            of N samples or None.

    Returns:
        dict: ``data``, its samples marked.
    """
    samples = data.get('data_samples')
    if isinstance(samples, DataSample):
        samples.set_metainfo({PREPROCESSED: [True] * len(data['inputs'])})
    else:
        for sample in samples or []:
            sample.set_metainfo({PREPROCESSED: True})
    return data


def mark_output(module: nn.Module, args: tuple, data: dict) -> None:
    """Forward hook of a data preprocessor: mark the batch it returns."""
    mark_preprocessed(data)


def is_preprocessed(samples: Sequence[DataSample]) -> bool:
    """Whether a batch of (split) samples went through a preprocessor.

    Args:
        samples: The N samples of one batch.

    Returns:
        bool: True if every sample is marked, False if none is.

    Raises:
        ValueError: If some samples are marked and others are not.
    """
    marked = [i for i, s in enumerate(samples) if s.get(PREPROCESSED, False)]
    if marked and len(marked) != len(samples):
        unmarked = sorted(set(range(len(samples))) - set(marked))
        raise ValueError(
            f'data samples {marked} went through the data preprocessor but '
            f'{unmarked} did not; a batch must be all one or the other')
    return bool(marked)
