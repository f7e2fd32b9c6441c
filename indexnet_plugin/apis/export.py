"""ONNX export of a mattor's network, and prediction with onnxruntime.

What is exported: the network only -- (N, 4, H, W) normalised image and
trimap in, (N, 1, H, W) raw alpha out -- with dynamic N, H and W (H and W
multiples of the size divisor, 32 for IndexNet), batch norms folded. The
pre- and post-processing (normalise, resize or pad to a multiple of 32,
restore the size, clamp, trimap write-back) stays in
:class:`~indexnet_plugin.apis.predictor.MattingPredictor`, which runs the
same code around the ONNX graph as around the PyTorch network; its settings
are stored in the file's metadata (key ``indexnet_plugin.settings``), so
:func:`init_onnx_predictor` needs nothing but the ``.onnx`` file.
"""
import dataclasses
import io
import json
from pathlib import Path
from typing import Union

import torch.nn as nn

from ..fileio import write_atomically
from .fast import fuse_conv_bn
from .predictor import MattingPredictor
from .onnx_network import DEFAULT_OPSET, OnnxNetwork, network_to_onnx
from .settings import MattingSettings

METADATA_KEY = 'indexnet_plugin.settings'


def export_onnx(model: nn.Module,
                path: Union[str, Path],
                opset: int = DEFAULT_OPSET) -> Path:
    """Export a mattor's network to ONNX with dynamic batch, height, width.

    Args:
        model: A mattor (see :func:`~indexnet_plugin.apis.init_model`).
        path: Output ``.onnx`` file.
        opset: ONNX opset version.

    Returns:
        Path: The written file.
    """
    import onnx
    settings = MattingSettings.from_model(model)
    network = fuse_conv_bn(model.backbone).cpu()
    buffer = io.BytesIO()
    network_to_onnx(network, buffer, opset, settings.size_divisor)
    graph = onnx.load_from_string(buffer.getvalue())
    entry = graph.metadata_props.add()
    entry.key = METADATA_KEY
    entry.value = json.dumps(dataclasses.asdict(settings))
    write_atomically(graph.SerializeToString(), path)
    return Path(path)


def onnx_settings(network: OnnxNetwork) -> MattingSettings:
    """The pre/post-processing settings stored by :func:`export_onnx`.

    Raises:
        ValueError: The file has no such metadata.
    """
    stored = network.session.get_modelmeta().custom_metadata_map
    if METADATA_KEY not in stored:
        raise ValueError(f'the ONNX file has no {METADATA_KEY!r} metadata; '
                         'was it written by export_onnx?')
    values = json.loads(stored[METADATA_KEY])
    values['mean'] = tuple(values['mean'])
    values['std'] = tuple(values['std'])
    return MattingSettings(**values)


def init_onnx_predictor(path: Union[str, Path],
                        **kwargs) -> MattingPredictor:
    """A CPU predictor running an exported ``.onnx`` file with onnxruntime.

    Args:
        path: File written by :func:`export_onnx`.
        **kwargs: Tiling and batching arguments of
            :class:`~indexnet_plugin.apis.predictor.MattingPredictor`.

    Returns:
        MattingPredictor: The predictor.
    """
    network = OnnxNetwork(path)
    return MattingPredictor(network, onnx_settings(network), 'cpu', **kwargs)
