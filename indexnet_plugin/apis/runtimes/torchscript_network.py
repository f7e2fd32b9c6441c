"""The fused network traced, frozen and optimised by TorchScript (oneDNN
layouts, activations freed after their last use)."""
import warnings

import torch
import torch.nn as nn

# Tracing input; the self-check of :mod:`.selection` runs another shape
# and batch size, so a trace that froze either is caught.
TRACE_SHAPE = (1, 4, 64, 64)


class TorchScriptNetwork:
    """A network traced, frozen and optimised for CPU inference.

    Args:
        network: (N, 4, H, W) -> (N, 1, H, W) network in eval mode.
    """

    backend = 'torchscript'
    precision = 'fp32'

    def __init__(self, network: nn.Module):
        with torch.inference_mode(), warnings.catch_warnings():
            # The tracer warns about Python ints taken from tensor shapes;
            # the self-check on another shape proves they stay dynamic.
            warnings.simplefilter('ignore')
            traced = torch.jit.trace(
                network, torch.zeros(TRACE_SHAPE), check_trace=False)
            self.module = torch.jit.optimize_for_inference(
                torch.jit.freeze(traced))

    def __call__(self, inputs: torch.Tensor) -> torch.Tensor:
        """Run (N, 4, H, W) -> (N, 1, H, W)."""
        return self.module(inputs)
