"""A matting network traced into an ONNX graph, the form onnxruntime runs,
OpenVINO converts and ``tools/export_onnx.py`` writes.

The graph maps (N, 4, H, W) normalised image + trimap to (N, 1, H, W) raw
alpha with dynamic N, H and W (H and W multiples of the size divisor).
"""
import io
import warnings
from pathlib import Path
from typing import BinaryIO, Union

import torch
import torch.nn as nn

from ...models.test_config import DEFAULT_SIZE_DIVISOR

DEFAULT_OPSET = 17
DYNAMIC_AXES = {0: 'batch', 2: 'height', 3: 'width'}
# What makes a graph int8: the operators of quantized graphs (QDQ or
# integer arithmetic).
INT8_OPS = frozenset({
    'QuantizeLinear', 'DequantizeLinear', 'DynamicQuantizeLinear',
    'QLinearConv', 'QLinearMatMul', 'ConvInteger', 'MatMulInteger'
})


def network_to_onnx(network: nn.Module,
                    target: Union[str, Path, BinaryIO],
                    opset: int = DEFAULT_OPSET,
                    size_divisor: int = DEFAULT_SIZE_DIVISOR) -> None:
    """Trace a CPU network into an ONNX file or buffer.

    Args:
        network: (N, 4, H, W) -> (N, 1, H, W) network in eval mode on CPU.
        target: File path or writable binary buffer.
        opset: ONNX opset version.
        size_divisor: Input sides must be multiples of it.
    """
    example = torch.zeros(1, 4, 2 * size_divisor, 3 * size_divisor)
    target = str(target) if isinstance(target, Path) else target
    with torch.no_grad(), warnings.catch_warnings():
        # Tracer warnings about Python ints from shapes; callers check the
        # graph on another input size.
        warnings.simplefilter('ignore')
        torch.onnx.export(
            network, (example, ),
            target,
            input_names=['inputs'],
            output_names=['alpha'],
            dynamic_axes={
                'inputs': DYNAMIC_AXES,
                'alpha': DYNAMIC_AXES
            },
            opset_version=opset,
            dynamo=False)


def network_to_onnx_bytes(network: nn.Module,
                          size_divisor: int = DEFAULT_SIZE_DIVISOR,
                          opset: int = DEFAULT_OPSET) -> bytes:
    """:func:`network_to_onnx` into memory."""
    buffer = io.BytesIO()
    network_to_onnx(network, buffer, opset, size_divisor)
    return buffer.getvalue()


def graph_precision(graph) -> str:
    """``'int8'`` when an ``onnx.ModelProto`` holds quantized operators
    (:data:`INT8_OPS`), else ``'fp32'``."""
    int8 = any(node.op_type in INT8_OPS for node in graph.graph.node)
    return 'int8' if int8 else 'fp32'
