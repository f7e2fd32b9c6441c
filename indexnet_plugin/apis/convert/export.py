"""Exporting a mattor's network: an ONNX file or an OpenVINO IR.

What is exported: the network only -- (N, 4, H, W) normalised image and
trimap in, (N, 1, H, W) raw alpha out -- with dynamic N, H and W (H and W
multiples of the size divisor, 32 for IndexNet), batch norms folded. The
pre- and post-processing (normalise, resize or pad to a multiple of 32,
restore the size, clamp, trimap write-back) stays in
:class:`~indexnet_plugin.apis.inference.predictor.MattingPredictor`, which
runs the same code around an exported network as around the PyTorch one;
its settings are stored in the file (under
:data:`~indexnet_plugin.apis.loading.exported.METADATA_KEY`), so
:func:`~indexnet_plugin.apis.loading.exported.init_exported_predictor`
needs nothing but the file: an ``.onnx`` from :func:`export_onnx`, an
``.xml`` (with its ``.bin``) from :func:`export_openvino` or an int8 one
from ``tools/quantize.py`` (:func:`save_openvino`).
"""
from pathlib import Path
from typing import Tuple, Union

import torch.nn as nn

from ...fileio import staged_files, write_atomically
from ..inference.settings import MattingSettings
from ..loading.exported import METADATA_KEY
from ..runtimes.fusion import fuse_conv_bn
from ..runtimes.onnx_graph import DEFAULT_OPSET, network_to_onnx_bytes
from ..runtimes.openvino_form import openvino_form
from ..runtimes.openvino_network import read_model


def fused_network(model: nn.Module) -> Tuple[nn.Module, MattingSettings]:
    """A mattor's network with its batch norms folded, on the CPU, and the
    settings the predictor runs around it.

    Args:
        model: A mattor (see :func:`~indexnet_plugin.apis.init_model`).
    """
    return (fuse_conv_bn(model.backbone).cpu(),
            MattingSettings.from_model(model))


def openvino_model(model: nn.Module) -> Tuple[object, MattingSettings]:
    """A mattor's fused network as an fp32 ``openvino.Model`` (through the
    ONNX graph of its :func:`~..runtimes.openvino_form.openvino_form`), and
    its settings."""
    network, settings = fused_network(model)
    graph = network_to_onnx_bytes(openvino_form(network),
                                  settings.size_divisor)
    return read_model(graph), settings


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
    network, settings = fused_network(model)
    graph = onnx.load_from_string(
        network_to_onnx_bytes(network, settings.size_divisor, opset))
    entry = graph.metadata_props.add()
    entry.key = METADATA_KEY
    entry.value = settings.to_json()
    write_atomically(graph.SerializeToString(), path)
    return Path(path)


def save_openvino(ov_model, settings: MattingSettings,
                  path: Union[str, Path]) -> Path:
    """Write an OpenVINO model as IR with the predictor's settings.

    The weights stay as the model holds them (fp32 stays fp32, int8 int8:
    no fp16 compression, as the self-check compares with fp32 PyTorch).
    Both files are written in a temporary folder beside ``path`` and moved
    into place ``.bin`` first (:func:`~indexnet_plugin.fileio.staged_files`),
    so an ``.xml`` never stands beside a missing or partial ``.bin``, and a
    failure leaves no temporary file.

    Args:
        ov_model: ``openvino.Model`` mapping (N, 4, H, W) to (N, 1, H, W),
            e.g. quantized by NNCF; the settings are added to its
            ``rt_info``.
        settings: The mattor's pre- and post-processing.
        path: Output ``.xml``; its ``.bin`` is written beside it.

    Returns:
        Path: The ``.xml`` file.

    Raises:
        ValueError: ``path`` does not end in ``.xml``.
        TypeError: ``settings`` is not a :class:`MattingSettings`.
    """
    import openvino
    path = Path(path)
    if path.suffix != '.xml':
        raise ValueError(f"an OpenVINO IR is written to an .xml file, got "
                         f"'{path}'")
    if not isinstance(settings, MattingSettings):
        raise TypeError('settings must be MattingSettings, got '
                        f'{type(settings).__name__}')
    ov_model.set_rt_info(settings.to_json(), [METADATA_KEY])
    with staged_files([path.with_suffix('.bin'), path]) as (_, xml):
        openvino.save_model(ov_model, str(xml), compress_to_fp16=False)
    return path


def export_openvino(model: nn.Module, path: Union[str, Path]) -> Path:
    """Export a mattor's network as OpenVINO IR (fp32, dynamic N, H, W).

    The fused network's ONNX graph (as :func:`export_onnx` makes it)
    converted by OpenVINO and written by :func:`save_openvino`.

    Args:
        model: A mattor (see :func:`~indexnet_plugin.apis.init_model`).
        path: Output ``.xml``; its ``.bin`` is written beside it.

    Returns:
        Path: The ``.xml`` file.
    """
    return save_openvino(*openvino_model(model), path)
