"""Faster inference for a trained matting network, with unchanged output.

:func:`~.fusion.fuse_conv_bn` folds every inference-mode ``BatchNorm2d``
into the convolution that feeds it; the fused network then runs on the first
of these backends that is available and passes the self-check
(``backend='auto'``):

1. ``openvino``: the ONNX graph of its :mod:`.openvino_form` run by
   OpenVINO (the fastest here, ``bench/bench_folder.py``; converted once
   per weights and cached on disk, compiled once for dynamic shapes and
   for each large input shape, compiled models kept on disk,
   :mod:`.openvino_network`).
2. ``onnxruntime``: its ONNX graph (cached, :mod:`.cache`) run by
   onnxruntime, whose convolutions are about twice as fast as PyTorch's and
   whose memory planner reuses each activation buffer after its last use
   (the eager encoder keeps all skip features alive until the decoder
   returns).
3. ``torchscript``: traced, frozen and optimised by TorchScript
   (:mod:`.torchscript_network`).
4. ``eager``: the fused network as it is (the only variant off the CPU).

The self-check compares what a user receives, the alpha clamped to [0, 1],
of each variant with the plain network's on an input like the predictor's
(a normalised smooth image and a trimap of 0, 0.5 and 1): raw outputs far
outside [0, 1] (a valid checkpoint's reach 1e5) differ by float rounding
only where nobody sees it. When the network that runs is not the first
choice, one :class:`FastPathWarning` line says which runs and why; the choice
is logged (``logging`` INFO, ``indexnet-predict --verbose``).

Channels-last eager execution is not used: the index blocks reshape with
``Tensor.view``, which channels-last strides do not allow.
"""
import ctypes
import ctypes.util
import gc
import logging
import warnings
from typing import List, Optional, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F

from ...models.test_config import DEFAULT_SIZE_DIVISOR
from .base import Network, last_line, runtime_errors
from .cache import cached_onnx, network_key
from .compiled_cache import CompiledCache
from .fusion import fuse_conv_bn
from .onnxruntime_network import OnnxNetwork
from .openvino_form import openvino_form
from .torchscript_network import TorchScriptNetwork

# What build_fast_network accepts, and the variants each choice tries in
# order on the CPU (the first two are cached on disk: a cached file that
# fails is made again once before the next variant is tried).
BACKENDS = ('auto', 'openvino', 'onnxruntime', 'torch')
CPU_VARIANTS = ('openvino', 'onnxruntime', 'torchscript', 'eager')
FIRST_VARIANT = dict(
    auto='openvino', openvino='openvino', onnxruntime='onnxruntime',
    torch='torchscript')
CACHED_VARIANTS = ('openvino', 'onnxruntime')

# Self-check input: a batch of two, an aspect ratio other than the tracing
# input, so a trace that froze a shape or the batch size is caught. Its
# sides are these multiples of the size divisor.
CHECK_BATCH, CHECK_SIDES = 2, (3, 4)
# Largest difference of clamped alphas a variant may have: a quarter of a
# uint8 level, so the written matte differs by at most one level, and only
# where the plain network's alpha lies within 1e-3 of a rounding boundary.
# Where raw outputs are large, float rounding is forgiven up to this share
# of the largest one (measured with raw outputs up to 9.6e4, relative
# differences: onnxruntime 1.8e-6, OpenVINO 2.7e-6).
ALPHA_TOLERANCE = 1e-3
RELATIVE_TOLERANCE = 1e-5

logger = logging.getLogger(__name__)


class FastPathWarning(UserWarning):
    """The network that runs is not the requested backend's first choice."""


class FastNetwork:
    """A network variant and the name of what runs it (a
    :class:`~.base.Network`, always fp32).

    Args:
        network: (N, 4, H, W) -> (N, 1, H, W) callable.
        backend: ``'openvino'``, ``'onnxruntime'``, ``'torchscript'``,
            ``'eager'`` (the fused PyTorch network) or ``'plain'`` (the
            network as it was given).
    """

    precision = 'fp32'

    def __init__(self, network: Network, backend: str):
        self.network = network
        self.backend = backend

    def __call__(self, inputs: torch.Tensor) -> torch.Tensor:
        return self.network(inputs)

    def limit_dynamic_pixels(self, pixels: int) -> None:
        """See :meth:`.openvino_network.OpenVinoNetwork.limit_dynamic_pixels`;
        nothing for the other variants."""
        limit = getattr(self.network, 'limit_dynamic_pixels', None)
        if limit is not None:
            limit(pixels)

    def __repr__(self) -> str:
        return f'FastNetwork(backend={self.backend!r})'


def check_input(size_divisor: int = DEFAULT_SIZE_DIVISOR) -> torch.Tensor:
    """The self-check's network input, made as the predictor makes one.

    Args:
        size_divisor: Input sides are multiples of it.

    Returns:
        Tensor: (2, 4, 3 * size_divisor, 4 * size_divisor): a smooth random
        image standardised per channel (as mean/std normalisation leaves a
        photo) and a trimap of 0, 0.5 and 1 (background, unknown,
        foreground).
    """
    generator = torch.Generator().manual_seed(0)
    size = tuple(side * size_divisor for side in CHECK_SIDES)
    coarse = torch.randn(CHECK_BATCH, 4, 6, 8, generator=generator)
    smooth = F.interpolate(coarse, size=size, mode='bicubic',
                           align_corners=False)
    image = smooth[:, :3]
    image = (image - image.mean(dim=(2, 3), keepdim=True)) / image.std(
        dim=(2, 3), keepdim=True)
    field = smooth[:, 3:]
    trimap = torch.where(field > 0.3, 1.0, torch.where(field < -0.3, 0.0,
                                                       0.5))
    return torch.cat((image, trimap), dim=1)


def differing_pixels(output: torch.Tensor, expected: torch.Tensor) -> int:
    """How many pixels of a variant's raw output differ from the plain one's.

    A pixel differs when its alpha clamped to [0, 1] differs by more than
    :data:`ALPHA_TOLERANCE` and its raw output by more than
    :data:`RELATIVE_TOLERANCE` times the largest raw output (beyond float
    rounding: at raw outputs of 1e5, fp32 sums of the same terms in another
    order differ by about 1e-2).

    Args:
        output: (N, 1, H, W) raw output of the variant.
        expected: (N, 1, H, W) raw output of the plain network.
    """
    output, expected = output.float().cpu(), expected.float().cpu()
    scale = expected.abs().max().clamp(min=1)
    alpha = (output.clamp(0, 1) - expected.clamp(0, 1)).abs()
    raw = (output - expected).abs()
    # NaN anywhere makes the comparisons False: count those pixels too.
    agree = (alpha <= ALPHA_TOLERANCE) | (raw <= RELATIVE_TOLERANCE * scale)
    return int((~agree).sum())


def _build_variant(variant: str, fused: nn.Module, size_divisor: int,
                   refresh: bool) -> Network:
    """One variant of the fused network; ``refresh`` remakes cached files."""
    if variant == 'openvino':
        from .openvino_network import OpenVinoNetwork, cached_model
        form = openvino_form(fused)
        return OpenVinoNetwork(
            cached_model(form, size_divisor, refresh=refresh),
            compiled_cache=CompiledCache(network_key(form, size_divisor)))
    if variant == 'onnxruntime':
        return OnnxNetwork(cached_onnx(fused, size_divisor, refresh=refresh))
    if variant == 'torchscript':
        return TorchScriptNetwork(fused)
    return fused


def check_backend(backend: str) -> None:
    """Refuse a backend not in :data:`BACKENDS`."""
    if backend not in BACKENDS:
        raise ValueError(f'backend must be one of {BACKENDS}, got '
                         f'{backend!r}')


def variants(backend: str, device: str) -> Tuple[str, ...]:
    """The variants ``backend`` tries on ``device``, in order.

    Raises:
        ValueError: Unknown backend, or a CPU-only one for another device.
    """
    check_backend(backend)
    if torch.device(device).type == 'cpu':
        return CPU_VARIANTS[CPU_VARIANTS.index(FIRST_VARIANT[backend]):]
    if backend in CACHED_VARIANTS:
        raise ValueError(f'backend {backend!r} runs on the CPU only, not on '
                         f'device {device!r}')
    return ('eager', )


def _try_variant(variant: str, fused: nn.Module, network: nn.Module,
                 inputs: torch.Tensor,
                 size_divisor: int) -> Tuple[Optional[Network], str]:
    """Build and check one variant: (network or None, why it was refused).

    A cached variant that fails with its cached file is made again once
    (a damaged cache entry is replaced); a missing package is not retried.
    What the exporters and runtimes raise (:func:`~.base.runtime_errors`)
    refuses the variant; any other exception is a bug and propagates.
    """
    tries = (False, True) if variant in CACHED_VARIANTS else (False, )
    with torch.inference_mode():
        expected = network(inputs)
    reason = ''
    for refresh in tries:
        try:
            candidate = _build_variant(variant, fused, size_divisor, refresh)
            with torch.inference_mode():
                output = candidate(inputs)
        except ImportError as error:
            return None, f'not installed ({error})'
        except runtime_errors() as error:  # evaluated after the imports
            reason = f'failed ({last_line(error)})'
        else:
            bad = differing_pixels(output, expected)
            if bad == 0:
                logger.info('fast network: %s (passed the self-check)',
                            variant)
                return candidate, ''
            reason = (f'gives another alpha than the plain network at {bad} '
                      f'of {expected.numel()} self-check pixels')
        if not refresh and variant in CACHED_VARIANTS:
            logger.info('%s with the cached file %s; making it again',
                        variant, reason)
    return None, reason


def build_fast_network(network: nn.Module,
                       device: str = 'cpu',
                       backend: str = 'auto',
                       size_divisor: int = DEFAULT_SIZE_DIVISOR
                       ) -> FastNetwork:
    """Return the first variant of ``network`` that the self-check accepts.

    See the module docstring for the variants, their order and the check.

    Args:
        network: Plain network in eval mode, (N, 4, H, W) -> (N, 1, H, W).
        device: Device the network lives on.
        backend: ``'auto'`` (OpenVINO, then onnxruntime, TorchScript, the
            fused eager network), ``'openvino'`` (the same),
            ``'onnxruntime'`` (from onnxruntime on) or ``'torch'``
            (TorchScript, then eager).
        size_divisor: Input sides are multiples of it.

    Returns:
        FastNetwork: The network to use, (N, 4, H, W) -> (N, 1, H, W), and
        its backend; ``network`` itself (backend ``'plain'``) when no
        variant passes.

    Raises:
        ValueError: See :func:`variants`.
    """
    order = variants(backend, device)
    fused = fuse_conv_bn(network)
    inputs = check_input(size_divisor).to(device)
    refused: List[str] = []
    for variant in order:
        candidate, reason = _try_variant(variant, fused, network, inputs,
                                         size_divisor)
        if candidate is not None:
            if refused:
                warnings.warn(FastPathWarning(
                    f"fast path: {'; '.join(refused)}; running {variant}"))
            return FastNetwork(candidate, variant)
        refused.append(f'{variant} {reason}')
    warnings.warn(FastPathWarning(
        f"fast path: {'; '.join(refused)}; running the plain PyTorch network "
        '(slower)'))
    return FastNetwork(network, 'plain')


def release_freed_memory() -> None:
    """Collect garbage and hand the freed heap back to the system.

    After :func:`build_fast_network` the plain and fused PyTorch weights and
    the self-check's activations are freed into glibc's heap, which keeps
    them, while onnxruntime takes its large buffers from fresh pages: without
    ``malloc_trim`` about 100 MB more stay resident during prediction (the
    512x512 peak in ``bench/bench_inference.py``). Does nothing but the
    collection without glibc.
    """
    gc.collect()
    libc = ctypes.util.find_library('c')
    if libc is not None:
        malloc_trim = getattr(ctypes.CDLL(libc), 'malloc_trim', None)
        if malloc_trim is not None:
            malloc_trim(0)
