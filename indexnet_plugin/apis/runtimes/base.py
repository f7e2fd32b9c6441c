"""What every runtime of the matting network offers, and what runtimes raise.

A runtime runs the network alone: the normalised image and trimap in, the
raw alpha out, with the pre- and post-processing left to
:class:`~indexnet_plugin.apis.inference.predictor.MattingPredictor`. The
plain PyTorch module fits the contract too (as ``backend='plain'``,
``precision='fp32'``).
"""
import sys
from typing import Protocol, Tuple, Type, runtime_checkable

import torch

# The Python bindings of the native runtimes raise their own exception
# classes, which derive from Exception, not RuntimeError (onnxruntime's
# Fail, InvalidProtobuf, ...; OpenVINO's GeneralFailure, ...).
NATIVE_ERROR_MODULES = ('onnxruntime.capi.onnxruntime_pybind11_state',
                        'openvino._pyopenvino')


@runtime_checkable
class Network(Protocol):
    """A matting network as a runtime runs it.

    ``__call__`` maps (N, 4, H, W) -- normalised image and trimap, H and W
    multiples of the size divisor -- to (N, 1, H, W) raw alpha on the CPU
    (or the input's device for PyTorch).

    Attributes:
        backend: What runs it: ``'openvino'``, ``'onnxruntime'``,
            ``'torchscript'``, ``'eager'`` (the fused PyTorch network) or
            ``'plain'`` (the network as trained).
        precision: ``'fp32'``, or ``'int8'`` for a quantized file.
    """
    backend: str
    precision: str

    def __call__(self, inputs: torch.Tensor) -> torch.Tensor:
        ...


def runtime_errors() -> Tuple[Type[BaseException], ...]:
    """The exceptions that building or running a network may raise without
    a bug of ours being the cause.

    Returns:
        tuple: ``RuntimeError`` (PyTorch, its CPU allocator running out of
        memory, the ONNX exporter, OpenVINO's parsers), ``MemoryError``,
        ``OSError`` (cache files), ``torch.jit.Error`` (TorchScript) and the
        exception classes of the native runtimes already imported (one not
        imported raised nothing).
    """
    errors = [RuntimeError, MemoryError, OSError, torch.jit.Error]
    for name in NATIVE_ERROR_MODULES:
        module = sys.modules.get(name)
        if module is not None:
            errors += [
                value for value in vars(module).values()
                if isinstance(value, type) and issubclass(value, Exception)
            ]
    return tuple(errors)


def last_line(error: BaseException) -> str:
    """The last non-empty line of an error message (OpenVINO's give their
    source locations first and the cause last)."""
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    return lines[-1] if lines else type(error).__name__
