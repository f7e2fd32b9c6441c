"""A matting network run by OpenVINO on the CPU, and its disk cache.

OpenVINO reads the ONNX graph of :mod:`.onnx_graph` (dynamic N, H and W)
of the network in the form of :mod:`.openvino_form` and runs it faster
than onnxruntime runs the plain graph (``bench/bench_inference.py``,
``bench/bench_folder.py``). :class:`OpenVinoNetwork` runs it two ways:

* compiled once for dynamic shapes, for images of up to
  :data:`DYNAMIC_PIXELS` (H * W; a batch runs in parts of at most that many
  pixels) that the memory budget holds at the dynamic model's cost: no
  compilation per input shape, which on a folder of photos of many sizes
  cost 0.4-0.7 s per new size (int8 0.8-1.3 s) against 0.5-2 s of
  inference;
* compiled for each larger input's exact shape: with every shape known,
  OpenVINO's CPU plugin plans one buffer for all activations and reuses it
  layer after layer, while the dynamic-shape model allocates activations as
  they come and keeps them. Measured at 2048x2048 (``bench/bench_memory.py``):
  5.6 GB peak with dynamic shapes, 2.4 GB with the static one (onnxruntime:
  4.4 GB), at the same speed.

Both compiled models are kept across runs by :mod:`.compiled_cache` when
the network is given one (a second run imports instead of compiling).
Compiling the next image's shape in a background thread while the current
one runs was measured too and not kept: on 2 cores the compilation takes
the inference's threads (30 calls of the mixed-size folder: 47.8 s against
49.5 s compiling in turn, 35.3 s with the dynamic model).

Converting the ONNX graph takes about 1.5 s (reading the converted model
0.1 s), so :func:`cached_model` keeps the converted model as OpenVINO IR
(``.xml`` + ``.bin``) in the cache folder of :mod:`.cache`, named by
the network's key and the OpenVINO version; a cached model that OpenVINO
cannot read or compile is converted again and replaced.

The same class runs a saved OpenVINO IR (``.xml`` + ``.bin``), fp32 or
int8 (``tools/export_onnx.py --format openvino``, ``tools/quantize.py``).
"""
import io
import re
import tempfile
from pathlib import Path
from typing import Optional, Tuple, Union

import numpy as np
import torch
import torch.nn as nn

from ...models.test_config import DEFAULT_SIZE_DIVISOR
from .cache import cache_entry, cached_onnx, store
from .compiled_cache import CompiledCache

DEVICE = 'CPU'
# Largest input (N * H * W) run by the dynamic-shape model: 1280x1024 and
# every smaller photo. Measured (2 cores, openvino 2026.4.1, fp32): a new
# shape costs the dynamic model nothing when no larger one ran before, and
# growing its buffers 0.2-0.5 s up to about 1.2 megapixels but 1.1-2.7 s
# from 1.5 megapixels on (a static compilation: 0.4 s, and 0.3-1 s more on
# its first call); the dynamic model keeps what it grew, up to about 1.8 GB
# here (1385 bytes/pixel, see indexnet_plugin.apis.inference.memory).
DYNAMIC_PIXELS = 1280 * 1024
# What makes a model int8: NNCF's quantization operator, or weights stored
# in 8 bits (a saved int8 IR) ...
INT8_TYPES = frozenset({'i8', 'u8'})
# ... which reach a convolution through these dequantization operators.
DEQUANTIZATION_OPS = frozenset(
    {'Convert', 'Subtract', 'Multiply', 'Reshape', 'Unsqueeze'})


def compile_config(threads: Optional[int] = None) -> dict:
    """Properties every model is compiled with.

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


def ir_suffixes() -> Tuple[str, str]:
    """Cache file suffixes of a converted model (``.xml``, ``.bin``): the
    OpenVINO version (whose build string holds slashes) made a file name."""
    import openvino
    version = re.sub(r'[^\w.-]', '_', openvino.__version__)
    return f'.openvino-{version}.xml', f'.openvino-{version}.bin'


def model_ir(model) -> Tuple[bytes, bytes]:
    """The OpenVINO IR of ``model``: its ``.xml`` and ``.bin`` bytes, fp32
    weights kept fp32."""
    import openvino
    with tempfile.TemporaryDirectory() as folder:
        xml = Path(folder) / 'model.xml'
        openvino.save_model(model, str(xml), compress_to_fp16=False)
        return xml.read_bytes(), xml.with_suffix('.bin').read_bytes()


def cached_model(network: nn.Module,
                 size_divisor: int = DEFAULT_SIZE_DIVISOR,
                 cache_dir: Optional[Union[str, Path]] = None,
                 refresh: bool = False):
    """A CPU network as an ``openvino.Model``, converted at most once per
    weights.

    Args:
        network: (N, 4, H, W) -> (N, 1, H, W) network in eval mode on CPU.
        size_divisor: Input sides must be multiples of it.
        cache_dir: Cache folder (default:
            :func:`~.cache.default_cache_dir`).
        refresh: Convert again (from the cached ONNX graph) even when a
            converted model is cached, to replace a damaged one.

    Returns:
        openvino.Model: The model, dynamic N, H and W.

    Raises:
        ImportError: OpenVINO is not installed.
        RuntimeError: OpenVINO cannot read the cached files.
    """
    import openvino
    xml_suffix, bin_suffix = ir_suffixes()
    xml = cache_entry(network, size_divisor, xml_suffix, cache_dir)
    weights = cache_entry(network, size_divisor, bin_suffix, cache_dir)
    if xml.is_file() and weights.is_file() and not refresh:
        return openvino.Core().read_model(str(xml), str(weights))
    model = read_model(cached_onnx(network, size_divisor, cache_dir))
    xml_data, weights_data = model_ir(model)
    # The weights first: a reader finds the .xml only when both are there.
    if store(weights_data, weights, 'the converted OpenVINO model'):
        store(xml_data, xml, 'the converted OpenVINO model')
    return model


class OpenVinoNetwork:
    """An OpenVINO model called like the PyTorch network.

    Inputs of at most :attr:`dynamic_pixels` (H * W) run on the model
    compiled once for dynamic shapes, at most that many pixels (N * H * W)
    a call; larger ones on the model compiled for their exact shape (see
    the module docstring for why). Only the last static shape's compiled
    model is kept: its activation buffer stays allocated for the next call
    of that shape (the tiles of an image, the images of a batch) and is
    freed before another shape is compiled or the dynamic model runs; the
    dynamic model is dropped before a static model is compiled (imported
    again from the compiled cache when a small input follows). So the peak
    memory is that of one call alone.

    Args:
        model: ``openvino.Model`` of a (N, 4, H, W) -> (N, 1, H, W) graph
            with dynamic or static shapes, e.g. from :func:`cached_model`
            or :func:`read_model`; a model whose N, H or W is static is
            always compiled per shape.
        threads: See :func:`compile_config`.
        precision: ``'fp32'``, or ``'int8'`` when the graph holds quantized
            layers (an int8 file of ``tools/quantize.py``), for reports.
        dynamic_pixels: See :meth:`limit_dynamic_pixels`.
        compiled_cache: Where compiled models are kept across runs (see
            :mod:`.compiled_cache`); None compiles in every run.
    """

    backend = 'openvino'

    def __init__(self,
                 model,
                 threads: Optional[int] = None,
                 precision: str = 'fp32',
                 dynamic_pixels: int = DYNAMIC_PIXELS,
                 compiled_cache: Optional[CompiledCache] = None):
        self.model = model
        self.compiled_cache = compiled_cache
        self.config = compile_config(threads)
        self.precision = precision
        self.shape: Optional[Tuple[int, ...]] = None
        self.request = None
        self.dynamic_request = None  # compiled on first use
        self.dynamic_pixels = 0
        self.limit_dynamic_pixels(dynamic_pixels)

    @property
    def threads(self) -> int:
        """Inference threads the model is compiled with."""
        return self.config['INFERENCE_NUM_THREADS']

    def limit_dynamic_pixels(self, pixels: int) -> None:
        """Run at most ``pixels`` (N * H * W, capped at
        :data:`DYNAMIC_PIXELS`; 0: none) a call on the dynamic-shape model.
        The predictor passes what its memory budget holds at that model's
        cost (``limit_dynamic_pixels`` of
        :mod:`indexnet_plugin.apis.inference.memory`). A model with static
        dimensions never runs dynamically."""
        if _dynamic_input(self.model):
            self.dynamic_pixels = max(0, min(pixels, DYNAMIC_PIXELS))

    def compile(self, shape: Optional[Tuple[int, ...]] = None):
        """The model compiled for inputs of ``shape``.

        Args:
            shape: (N, 4, H, W), or None for dynamic shapes.

        Returns:
            openvino.CompiledModel: Imported from the compiled cache if it
            holds it, else compiled (and cached).
        """
        import openvino
        key = 'dynamic' if shape is None else shape
        cache = self.compiled_cache
        compiled = None if cache is None else cache.load(
            key, self.config, DEVICE)
        if compiled is None:
            model = self.model
            if shape is not None:
                model = self.model.clone()
                model.reshape({0: list(shape)})
            compiled = openvino.Core().compile_model(model, DEVICE,
                                                     self.config)
            if cache is not None:
                cache.save(compiled, key, self.config)
        return compiled

    def _static_request(self, shape: Tuple[int, ...]):
        """The request of the model compiled for ``shape``."""
        if shape != self.shape:
            # Free the previous shape's model and the dynamic one before
            # allocating these: 2048x2048 whole peaked at 3640-3647 MB
            # (main: 3645-3649), and 3730-3852 MB keeping the dynamic
            # model with its activations released (release_memory()).
            self.shape = self.request = self.dynamic_request = None
            self.request = self.compile(shape).create_infer_request()
            self.shape = shape
        return self.request

    def _dynamic_request(self):
        """The request of the dynamic-shape model, compiled on first use."""
        self.shape = self.request = None  # the static activations first
        if self.dynamic_request is None:
            self.dynamic_request = self.compile().create_infer_request()
        return self.dynamic_request

    def __call__(self, inputs: torch.Tensor) -> torch.Tensor:
        """Run (N, 4, H, W) -> (N, 1, H, W); the result is on CPU."""
        array = np.ascontiguousarray(inputs.detach().cpu().numpy(),
                                     np.float32)
        n, _, height, width = array.shape
        per_call = self.dynamic_pixels // (height * width)
        if per_call == 0:
            return _infer(self._static_request(array.shape), array)
        # A batch larger than the dynamic model's bound runs in parts on
        # it: a static compilation costs more than the batch saves.
        request = self._dynamic_request()
        return torch.cat([
            _infer(request, array[start:start + per_call])
            for start in range(0, n, per_call)
        ])


def _infer(request, array: np.ndarray) -> torch.Tensor:
    """(N, 4, H, W) -> (N, 1, H, W) by one request."""
    # OpenVINO reads the input in place; the output is copied out of the
    # request's buffer, which the next call overwrites.
    return torch.from_numpy(request.infer({0: array}, share_inputs=True)[0])


def _dynamic_input(model) -> bool:
    """Whether a model's input batch, height and width are dynamic."""
    shape = model.input(0).get_partial_shape()
    return shape.rank.is_static and shape.rank.get_length() == 4 and all(
        shape[axis].is_dynamic for axis in (0, 2, 3))


def is_quantized(node) -> bool:
    """Whether an OpenVINO node quantizes: a FakeQuantize (in memory) or an
    8-bit constant (in a saved IR)."""
    return node.get_type_name() == 'FakeQuantize' or (
        node.get_type_name() == 'Constant'
        and node.get_element_type().get_type_name() in INT8_TYPES)


def model_precision(ov_model) -> str:
    """``'int8'`` when an ``openvino.Model`` holds quantized layers, else
    ``'fp32'``."""
    return 'int8' if any(map(is_quantized, ov_model.get_ops())) else 'fp32'


def has_int8_weights(convolution) -> bool:
    """Whether a convolution's weights are quantized: they come from a
    quantizing node through NNCF's dequantization (Convert, Subtract,
    Multiply, Reshape)."""
    node = convolution.input_value(1).get_node()
    while node.get_type_name() in DEQUANTIZATION_OPS:
        node = node.input_value(0).get_node()
    return is_quantized(node)


def int8_share(ov_model) -> Tuple[int, int]:
    """(int8, all) convolutions of an ``openvino.Model``."""
    convolutions = [
        op for op in ov_model.get_ops()
        if op.get_type_name() in ('Convolution', 'GroupConvolution')
    ]
    return sum(map(has_int8_weights, convolutions)), len(convolutions)
