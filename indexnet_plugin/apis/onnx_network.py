"""A matting network as an ONNX graph, and running it with onnxruntime.

The graph maps (N, 4, H, W) normalised image + trimap to (N, 1, H, W) raw
alpha with dynamic N, H and W (H and W multiples of the size divisor).
"""
import io
import warnings
from pathlib import Path
from typing import BinaryIO, Optional, Union

import torch
import torch.nn as nn

from .settings import DEFAULT_SIZE_DIVISOR

DEFAULT_OPSET = 17
DYNAMIC_AXES = {0: 'batch', 2: 'height', 3: 'width'}


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
                          size_divisor: int = DEFAULT_SIZE_DIVISOR) -> bytes:
    """:func:`network_to_onnx` into memory."""
    buffer = io.BytesIO()
    network_to_onnx(network, buffer, size_divisor=size_divisor)
    return buffer.getvalue()


class OnnxNetwork:
    """An onnxruntime CPU session called like the PyTorch network.

    Memory settings (measured in ``bench/bench_inference.py``): the memory
    pattern is off, because with it a second call of the same size
    allocated one more planned block next to the arena's (1024x1024: peak
    2.3 GB after one call, 3.2 GB after two); the arena stays on, because
    without it every call returns its buffers to the system and pays the
    page faults again (about 40% more CPU time at 1024x1024). Idle worker
    threads do not spin, which only wastes CPU time on a shared machine.

    Args:
        model: ``.onnx`` path or the serialised graph.
        threads: Intra-op threads; ``None`` follows
            ``torch.get_num_threads()``, so limiting PyTorch's threads limits
            these too.
        precision: ``'fp32'``, or ``'int8'`` when the graph holds quantized
            operators, for reports.
    """

    backend = 'onnxruntime'

    def __init__(self,
                 model: Union[str, Path, bytes],
                 threads: Optional[int] = None,
                 precision: str = 'fp32'):
        import onnxruntime
        self.precision = precision
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = (
            torch.get_num_threads() if threads is None else threads)
        options.enable_mem_pattern = False
        options.add_session_config_entry('session.intra_op.allow_spinning',
                                         '0')
        source = model if isinstance(model, bytes) else str(model)
        self.session = onnxruntime.InferenceSession(
            source, options, providers=['CPUExecutionProvider'])

    def __call__(self, inputs: torch.Tensor) -> torch.Tensor:
        """Run (N, 4, H, W) -> (N, 1, H, W); the result is on CPU."""
        array = inputs.detach().cpu().numpy()
        return torch.from_numpy(
            self.session.run(['alpha'], {'inputs': array})[0])
