"""The network's ONNX graph (:mod:`.onnx_graph`) run by onnxruntime on the
CPU."""
from pathlib import Path
from typing import Optional, Union

import torch


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
