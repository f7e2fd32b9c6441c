"""Building a mattor, or a predictor around it, from a config (file, packaged
name, Config or dict) and a checkpoint."""
from pathlib import Path
from typing import Optional, Union

import torch
from mmengine.config import Config, ConfigDict
from mmengine.registry import DefaultScope
from mmengine.utils import import_modules_from_strings

from ...configs import DEFAULT_CONFIG, resolve_config
from ...host import HOST
from ...registry import MODELS
from ..inference import memory
from ..inference.predictor import MattingPredictor
from ..inference.settings import MattingSettings
from ..runtimes.selection import (build_fast_network, check_backend,
                                  release_freed_memory)
from .checkpoint import load_weights

ConfigLike = Union[None, str, Path, dict, Config]


def model_config(config: ConfigLike) -> ConfigDict:
    """Return the model part of a config.

    Args:
        config: Config file or name (see
            :func:`~indexnet_plugin.configs.resolve_config`), ``Config`` or
            dict holding ``model`` (or the model dict itself); ``None`` is
            the packaged ``indexnet_mobv2``. The config's ``custom_imports``
            are imported.

    Returns:
        ConfigDict: The model config.

    Raises:
        FileNotFoundError: Missing config file or unknown config name.
    """
    if config is None:
        config = DEFAULT_CONFIG
    if isinstance(config, (str, Path)):
        config = Config.fromfile(str(resolve_config(config)))
    if 'custom_imports' in config:
        import_modules_from_strings(**config['custom_imports'])
    model = config['model'] if 'model' in config else config
    return ConfigDict(model)


def init_model(config: ConfigLike = None,
               checkpoint: Optional[Union[str, Path]] = None,
               device: str = 'cpu') -> torch.nn.Module:
    """Build a mattor from a config and load its weights.

    Args:
        config: See :func:`model_config`; ``None`` is the ``indexnet_mobv2``
            config (the released Comp-1k models).
        checkpoint: Path or http(s) URL of the weights; ``None`` keeps the
            initial weights (for tests).
        device: Torch device.

    Returns:
        nn.Module: The mattor in eval mode.

    Raises:
        FileNotFoundError: Missing config file or unknown config name.
        CheckpointError: See :func:`~.checkpoint.load_weights`.
    """
    model_cfg = model_config(config)
    with DefaultScope.overwrite_default_scope(HOST):
        model = MODELS.build(model_cfg)
    if checkpoint is not None:
        load_weights(model, checkpoint)
    return model.to(device).eval()


def init_predictor(config: ConfigLike = None,
                   checkpoint: Optional[Union[str, Path]] = None,
                   device: str = 'cpu',
                   fast: bool = True,
                   backend: str = 'auto',
                   **kwargs) -> MattingPredictor:
    """Build a model, load its weights and wrap it in a predictor.

    Args:
        config: See :func:`model_config`.
        checkpoint: See :func:`init_model`.
        device: Torch device.
        fast: Use :func:`~indexnet_plugin.apis.runtimes.selection.
            build_fast_network`
            (the same alpha, faster, less memory); False: the plain
            PyTorch network.
        backend: With ``fast``: ``'auto'`` (OpenVINO, then onnxruntime,
            TorchScript, eager PyTorch), ``'openvino'``, ``'onnxruntime'``
            or ``'torch'``, see :func:`build_fast_network`; the
            predictor's ``backend`` attribute names what runs.
        **kwargs: Tiling, batching, memory and trimap arguments of
            :class:`MattingPredictor`.

    Returns:
        MattingPredictor: The predictor.

    Raises:
        ValueError: Unknown ``backend``, or a CPU-only one on another device.
    """
    check_backend(backend)  # before the weights load
    model = init_model(config, checkpoint, device)
    settings = MattingSettings.from_model(model)
    network = model.backbone
    if fast:
        network = build_fast_network(network, device, backend,
                                     settings.size_divisor)
        del model  # the plain weights, unless they are the fallback
        release_freed_memory()
    kwargs.setdefault('memory_path', memory.cost_path(network.backend)
                      if fast else 'plain')
    return MattingPredictor(network, settings, device, **kwargs)
