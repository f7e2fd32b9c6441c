"""Faster CPU inference for a trained matting network, with unchanged output.

Every step is checked numerically against the plain network before use:

1. :func:`fuse_conv_bn` folds every inference-mode ``BatchNorm2d`` into the
   convolution that feeds it.
2. On CPU the fused network is exported to ONNX (once per weights, cached
   on disk by :mod:`.onnx_cache`) and run by onnxruntime, whose
   convolutions are about twice as fast as PyTorch's here and whose memory
   planner reuses each activation buffer after its last use (the eager
   encoder keeps all skip features alive until the decoder returns).
3. Without onnxruntime, the fused network is traced, frozen and optimised
   by TorchScript (oneDNN layouts, activations freed after last use).

Channels-last eager execution is not used: the index blocks reshape with
``Tensor.view``, which channels-last strides do not allow.
"""
import copy
import ctypes
import ctypes.util
import gc
import warnings
from typing import Callable, List

import torch
import torch.nn as nn

from .onnx_cache import cached_onnx
from .onnx_network import OnnxNetwork

Network = Callable[[torch.Tensor], torch.Tensor]

# Inputs of the self-check: a batch of two, an aspect ratio other than the
# tracing input, so a trace that froze a shape or the batch size is caught.
TRACE_SHAPE = (1, 4, 64, 64)
CHECK_SHAPE = (2, 4, 96, 128)
TOLERANCE = 1e-4


def _fold(conv: nn.Conv2d, bn: nn.BatchNorm2d) -> None:
    """Fold ``bn`` (in eval mode) into ``conv``'s weight and bias in place."""
    scale = bn.weight / torch.sqrt(bn.running_var + bn.eps)
    bias = conv.bias if conv.bias is not None else torch.zeros_like(scale)
    conv.weight = nn.Parameter(
        conv.weight * scale.reshape(-1, 1, 1, 1), requires_grad=False)
    conv.bias = nn.Parameter(
        (bias - bn.running_mean) * scale + bn.bias, requires_grad=False)


def _foldable(conv: nn.Module, bn: nn.Module) -> bool:
    """Whether ``bn`` directly after ``conv`` can be folded into it."""
    return (isinstance(conv, nn.Conv2d) and isinstance(bn, nn.BatchNorm2d)
            and bn.running_mean is not None and bn.affine
            and bn.num_features == conv.out_channels)


def fuse_conv_bn(module: nn.Module) -> nn.Module:
    """Fold each BatchNorm2d into the Conv2d registered just before it.

    Registration order is taken as execution order, which holds for
    ``ConvModule`` (conv, norm, activation) and ``nn.Sequential``; callers
    verify the result numerically (see :func:`build_fast_network`).

    Args:
        module: Network in eval mode; it is not modified.

    Returns:
        nn.Module: A fused copy, folded batch norms replaced by ``Identity``.
    """
    fused = copy.deepcopy(module).eval()
    for parent in fused.modules():
        previous = None
        for name, child in list(parent.named_children()):
            if _foldable(previous, child):
                _fold(previous, child)
                setattr(parent, name, nn.Identity())
            previous = child
    return fused


def _max_difference(network: Network, reference: Network,
                    device: str) -> float:
    """Largest absolute output difference on the self-check input."""
    inputs = torch.randn(
        CHECK_SHAPE, generator=torch.Generator().manual_seed(0)).to(device)
    with torch.inference_mode():
        return (network(inputs) - reference(inputs)).abs().max().item()


def _freeze(network: nn.Module) -> torch.jit.ScriptModule:
    """Trace, freeze and optimise a network for CPU inference."""
    with torch.inference_mode(), warnings.catch_warnings():
        # The tracer warns about Python ints taken from tensor shapes; the
        # self-check on another shape is what proves they stay dynamic.
        warnings.simplefilter('ignore')
        traced = torch.jit.trace(
            network, torch.zeros(TRACE_SHAPE), check_trace=False)
        return torch.jit.optimize_for_inference(torch.jit.freeze(traced))


def _eager(network: nn.Module) -> Network:
    """The fused network as it is."""
    return network


def _onnxruntime(network: nn.Module) -> Network:
    """The network's ONNX graph (cached on disk), run by onnxruntime."""
    return OnnxNetwork(cached_onnx(network))


def _onnxruntime_exported_again(network: nn.Module) -> Network:
    """As :func:`_onnxruntime`, replacing a cached graph that failed."""
    return OnnxNetwork(cached_onnx(network, refresh=True))


def build_fast_network(network: nn.Module, device: str = 'cpu') -> Network:
    """Return the fastest variant of ``network`` that matches it.

    Tries, in order, onnxruntime with the cached ONNX graph, with a freshly
    exported one (replacing a damaged cache entry) and a frozen TorchScript
    graph of the fused network (all CPU only), then the fused eager
    network, and falls back to the network itself, keeping the first whose
    output differs from the plain network by at most :data:`TOLERANCE` on a
    random (2, 4, 96, 128) input.

    Args:
        network: Plain network in eval mode, (N, 4, H, W) -> (N, 1, H, W).
        device: Device the network lives on.

    Returns:
        Callable: The network to use, (N, 4, H, W) -> (N, 1, H, W).
    """
    fused = fuse_conv_bn(network)
    builders: List[Callable[[nn.Module], Network]] = [_eager]
    if torch.device(device).type == 'cpu':
        builders[:0] = [_onnxruntime, _onnxruntime_exported_again, _freeze]
    for build in builders:
        try:
            candidate = build(fused)
        except Exception as error:  # exporters reject some Python code
            warnings.warn(f'{build.__name__} failed ({error}); trying the '
                          'next fast variant')
            continue
        difference = _max_difference(candidate, network, device)
        if difference <= TOLERANCE:
            return candidate
        warnings.warn(f'{build.__name__} differs from the plain network by '
                      f'{difference:.2e} > {TOLERANCE}; skipped')
    return network


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
