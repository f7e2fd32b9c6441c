"""A matting network compiled by OpenVINO for the CPU, and its disk cache.

OpenVINO reads the ONNX graph of :mod:`.onnx_network` as it is (dynamic N, H
and W) and runs it about 1.5x faster than onnxruntime on a 2-core AVX2 CPU
at 1024x1024 (``bench/bench_inference.py``). Compiling takes seconds (ONNX
conversion about 4x the compilation itself), so :func:`compiled_network`
keeps the compiled model (``CompiledModel.export_model``) in the cache
folder of :mod:`.onnx_cache`, named by the network's key and the OpenVINO
version; a cached file that OpenVINO cannot import is compiled again and
replaced.

The same class runs a saved OpenVINO IR (``.xml`` + ``.bin``), fp32 or
int8 (``tools/export_onnx.py --format openvino``, ``tools/quantize.py``).
"""
import io
import re
from pathlib import Path
from typing import Optional, Union

import numpy as np
import torch
import torch.nn as nn

from .onnx_cache import cache_entry, cached_onnx, store
from .settings import DEFAULT_SIZE_DIVISOR

DEVICE = 'CPU'


def compile_config(threads: Optional[int] = None) -> dict:
    """Properties every model is compiled or imported with.

    Args:
        threads: Inference threads; ``None`` follows
            ``torch.get_num_threads()``, so limiting PyTorch's threads limits
            these too.

    Returns:
        dict: fp32 arithmetic (no bf16/fp16 where the CPU has them: the
        self-check compares against fp32 PyTorch), one stream with the
        latency hint (one image at a time uses every thread).
    """
    return {
        'INFERENCE_NUM_THREADS':
        torch.get_num_threads() if threads is None else threads,
        'INFERENCE_PRECISION_HINT': 'f32',
        'PERFORMANCE_HINT': 'LATENCY',
        'NUM_STREAMS': 1,
    }


def read_model(source: Union[str, Path, bytes]):
    """An ``openvino.Model`` from an ONNX/IR file or serialised ONNX graph."""
    import openvino
    if isinstance(source, bytes):
        return openvino.convert_model(io.BytesIO(source))
    return openvino.Core().read_model(str(source))


def blob_suffix() -> str:
    """Cache file suffix of compiled models: the OpenVINO version (whose
    build string holds slashes) made a file name."""
    import openvino
    version = re.sub(r'[^\w.-]', '_', openvino.__version__)
    return f'.openvino-{version}.blob'


def compiled_network(network: nn.Module,
                     size_divisor: int = DEFAULT_SIZE_DIVISOR,
                     cache_dir: Optional[Union[str, Path]] = None,
                     refresh: bool = False,
                     threads: Optional[int] = None):
    """A CPU network compiled by OpenVINO, compiled at most once per weights.

    Args:
        network: (N, 4, H, W) -> (N, 1, H, W) network in eval mode on CPU.
        size_divisor: Input sides must be multiples of it.
        cache_dir: Cache folder (default:
            :func:`~.onnx_cache.default_cache_dir`).
        refresh: Compile again (from the cached ONNX graph) even when a
            compiled model is cached, to replace a damaged one.
        threads: See :func:`compile_config`.

    Returns:
        openvino.CompiledModel: The compiled model.

    Raises:
        ImportError: OpenVINO is not installed.
        RuntimeError: OpenVINO cannot import the cached file.
    """
    import openvino
    core = openvino.Core()
    config = compile_config(threads)
    path = cache_entry(network, size_divisor, blob_suffix(), cache_dir)
    if path.is_file() and not refresh:
        return core.import_model(io.BytesIO(path.read_bytes()), DEVICE,
                                 config)
    graph = cached_onnx(network, size_divisor, cache_dir)
    compiled = core.compile_model(read_model(graph), DEVICE, config)
    blob = io.BytesIO()
    compiled.export_model(blob)
    store(blob.getvalue(), path, 'the compiled OpenVINO model')
    return compiled


class OpenVinoNetwork:
    """An OpenVINO compiled model called like the PyTorch network.

    Args:
        compiled: ``openvino.CompiledModel`` of a (N, 4, H, W) ->
            (N, 1, H, W) graph, e.g. from :func:`compiled_network` or
            :meth:`from_model`.
        precision: ``'fp32'``, or ``'int8'`` when the graph holds quantized
            layers (an int8 file of ``tools/quantize.py``), for reports.
    """

    backend = 'openvino'

    def __init__(self, compiled, precision: str = 'fp32'):
        self.compiled = compiled
        self.precision = precision
        self.request = compiled.create_infer_request()

    @classmethod
    def from_model(cls,
                   ov_model,
                   threads: Optional[int] = None,
                   precision: str = 'fp32') -> 'OpenVinoNetwork':
        """Compile an ``openvino.Model`` (e.g. :func:`read_model`'s) for the
        CPU with :func:`compile_config`; see the class for ``precision``."""
        import openvino
        return cls(openvino.Core().compile_model(ov_model, DEVICE,
                                                 compile_config(threads)),
                   precision)

    @classmethod
    def from_file(cls,
                  path: Union[str, Path],
                  threads: Optional[int] = None) -> 'OpenVinoNetwork':
        """Compile an ``.onnx`` or OpenVINO IR ``.xml`` file for the CPU
        (:func:`~indexnet_plugin.apis.export.init_exported_predictor` also
        reads its settings and precision)."""
        return cls.from_model(read_model(path), threads)

    @property
    def threads(self) -> int:
        """Inference threads the model was compiled with."""
        return int(self.compiled.get_property('INFERENCE_NUM_THREADS'))

    def __call__(self, inputs: torch.Tensor) -> torch.Tensor:
        """Run (N, 4, H, W) -> (N, 1, H, W); the result is on CPU."""
        array = np.ascontiguousarray(inputs.detach().cpu().numpy(),
                                     np.float32)
        return torch.from_numpy(self.request.infer({0: array})[0])
