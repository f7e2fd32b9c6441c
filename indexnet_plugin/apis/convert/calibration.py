"""Calibration and validation crops for int8 quantization.

The config's own training pipeline (random crops around the unknown region,
trimaps generated from the alpha, flips) stopped before packing, so the
calibration inputs are what the network was trained on.
"""
import copy
import random
from typing import List, Optional

import numpy as np
import torch
from mmengine.config import Config
from mmengine.registry import DefaultScope
from tqdm import tqdm

from ...registry import DATASETS, SCOPE
from ..inference.settings import MattingSettings


class MattingSample:
    """A BGR image (H, W, 3), its trimap and alpha (H, W), all uint8, as a
    dataset pipeline produces them before packing."""

    def __init__(self, image: np.ndarray, trimap: np.ndarray,
                 alpha: np.ndarray):
        self.image = image
        self.trimap = trimap
        self.alpha = alpha

    def network_input(self, settings: MattingSettings) -> np.ndarray:
        """(1, 4, H', W') float32 input, made as the predictor makes one."""
        return settings.to_network_input(self.image, self.trimap,
                                         torch.device('cpu')).numpy()


def _grey(array: np.ndarray) -> np.ndarray:
    """(H, W) from a pipeline's (H, W) or (H, W, 1) single-channel array."""
    return array[..., 0] if array.ndim == 3 else array


def pipeline_samples(dataset_cfg: dict,
                     count: Optional[int] = None,
                     progress: Optional[str] = None) -> List[MattingSample]:
    """Samples of a dataset config, through its pipeline up to (not
    including) the final packing transform.

    Args:
        dataset_cfg: A dataset config, e.g.
            ``config.train_dataloader.dataset``.
        count: Number of samples (the dataset's samples in turn, each
            several times for more samples than the dataset has: a training
            pipeline's crops are random); ``None`` takes each sample once.
        progress: Label of a progress bar; ``None`` shows none.

    Returns:
        list[MattingSample]: The samples.

    Raises:
        FileNotFoundError: The dataset's annotation file is missing.
        ValueError: ``count`` < 1, a pipeline that does not end with a
            packing transform or does not produce ``merged``, ``trimap``
            and ``alpha``, or an empty dataset.
    """
    if count is not None and count < 1:
        raise ValueError(f'count must be at least 1, got {count}')
    dataset_cfg = copy.deepcopy(dataset_cfg)
    pipeline = list(dataset_cfg['pipeline'])
    if not pipeline or not str(pipeline[-1]['type']).endswith('PackInputs'):
        raise ValueError('the pipeline must end with PackInputs, got '
                         f'{pipeline[-1]["type"] if pipeline else None!r}')
    dataset_cfg['pipeline'] = pipeline[:-1]
    try:
        with DefaultScope.overwrite_default_scope(SCOPE):
            dataset = DATASETS.build(dataset_cfg)
    except FileNotFoundError as error:
        raise FileNotFoundError(
            f'{error} (data_root {dataset_cfg.get("data_root")!r}: set the '
            "dataset's data_root)") from error
    if len(dataset) == 0:
        raise ValueError(f'the dataset in {dataset_cfg.get("data_root")!r} '
                         'is empty')
    samples = []
    for index in tqdm(range(len(dataset) if count is None else count),
                      desc=progress, disable=progress is None):
        results = dataset[index % len(dataset)]
        missing = {'merged', 'trimap', 'alpha'} - set(results)
        if missing:
            raise ValueError(
                f'the pipeline does not produce {sorted(missing)}')
        samples.append(MattingSample(results['merged'],
                                     _grey(results['trimap']),
                                     _grey(results['alpha'])))
    return samples


def training_crops(config: Config,
                   count: int,
                   seed: int = 0,
                   progress: Optional[str] = None) -> List[MattingSample]:
    """``count`` crops of a config's training set by its training pipeline
    (see :func:`pipeline_samples`), with the random crops and flips seeded.
    """
    # The transforms draw from Python's and NumPy's global generators.
    random.seed(seed)
    np.random.seed(seed)
    return pipeline_samples(config.train_dataloader.dataset, count, progress)
