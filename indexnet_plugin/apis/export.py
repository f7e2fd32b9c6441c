"""ONNX export of a mattor's network, and prediction with onnxruntime.

What is exported: the network only -- (N, 4, H, W) normalised image and
trimap in, (N, 1, H, W) raw alpha out -- with dynamic N, H and W (H and W
multiples of the size divisor, 32 for IndexNet), batch norms folded. The
pre- and post-processing (normalise, resize or pad to a multiple of 32,
restore the size, clamp, trimap write-back) stays in
:class:`~indexnet_plugin.apis.inference.MattingPredictor`, which runs the
same code around the ONNX graph as around the PyTorch network; its settings
are stored in the file's metadata (key ``indexnet_plugin.settings``), so
:func:`init_onnx_predictor` needs nothing but the ``.onnx`` file.
"""
import dataclasses
import json
import warnings
from pathlib import Path
from typing import Union

import torch
import torch.nn as nn

from .fast import fuse_conv_bn
from .inference import MattingPredictor, MattingSettings

METADATA_KEY = 'indexnet_plugin.settings'
DEFAULT_OPSET = 17


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
    d = settings.size_divisor
    example = torch.zeros(1, 4, 2 * d, 3 * d)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with torch.no_grad(), warnings.catch_warnings():
        # Tracer warnings about shape arithmetic: dynamic shapes are checked
        # by the parity test on another size.
        warnings.simplefilter('ignore')
        torch.onnx.export(
            network,
            (example, ),
            str(path),
            input_names=['inputs'],
            output_names=['alpha'],
            dynamic_axes={
                'inputs': {0: 'batch', 2: 'height', 3: 'width'},
                'alpha': {0: 'batch', 2: 'height', 3: 'width'}
            },
            opset_version=opset,
            dynamo=False)
    graph = onnx.load(str(path))
    entry = graph.metadata_props.add()
    entry.key = METADATA_KEY
    entry.value = json.dumps(dataclasses.asdict(settings))
    onnx.save(graph, str(path))
    return path


class OnnxNetwork:
    """An onnxruntime session called like the PyTorch network.

    Args:
        path: ``.onnx`` file written by :func:`export_onnx`.
        threads: Intra-op threads of onnxruntime (0: its default).
    """

    def __init__(self, path: Union[str, Path], threads: int = 0):
        import onnxruntime
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = threads
        self.session = onnxruntime.InferenceSession(
            str(path), options, providers=['CPUExecutionProvider'])

    def __call__(self, inputs: torch.Tensor) -> torch.Tensor:
        """Run (N, 4, H, W) -> (N, 1, H, W) on CPU."""
        outputs = self.session.run(['alpha'],
                                   {'inputs': inputs.cpu().numpy()})
        return torch.from_numpy(outputs[0])

    def settings(self) -> MattingSettings:
        """The pre/post-processing settings stored at export."""
        stored = self.session.get_modelmeta().custom_metadata_map
        if METADATA_KEY not in stored:
            raise ValueError(f'the ONNX file has no {METADATA_KEY!r} metadata;'
                             ' was it written by export_onnx?')
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
            :class:`~indexnet_plugin.apis.inference.MattingPredictor`.

    Returns:
        MattingPredictor: The predictor.
    """
    network = OnnxNetwork(path)
    return MattingPredictor(network, network.settings(), 'cpu', **kwargs)
