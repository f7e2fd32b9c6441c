"""What a predictor is built from, as plain data: built once by
``indexnet-predict`` and again, the same way, by each Ray worker (the spec
travels to the workers, the predictor does not)."""
import dataclasses
from pathlib import Path
from typing import Any, Dict, Optional, Union

from ..inference.predictor import MattingPredictor
from .builder import init_predictor
from .exported import init_exported_predictor


@dataclasses.dataclass(frozen=True)
class PredictorSpec:
    """A checkpoint (with its config) or an exported file, with the
    predictor's options.

    Args:
        config: Config file or name (with ``checkpoint``), see
            :func:`~.builder.init_predictor`.
        checkpoint: Weights path or URL.
        model_file: Instead: an exported ``.onnx`` or ``.xml``, see
            :func:`~.exported.init_exported_predictor`.
        device: Torch device (checkpoints only).
        fast: Run the fast network (checkpoints only).
        backend: See :func:`~.builder.init_predictor` (an ``.onnx``: its
            runtime).
        options: Tiling, batching, memory and trimap arguments of
            :class:`~indexnet_plugin.apis.inference.predictor.MattingPredictor`.
    """
    config: Optional[str] = None
    checkpoint: Optional[Union[str, Path]] = None
    model_file: Optional[Union[str, Path]] = None
    device: str = 'cpu'
    fast: bool = True
    backend: str = 'auto'
    options: Dict[str, Any] = dataclasses.field(default_factory=dict)

    def build(self, **overrides) -> MattingPredictor:
        """The predictor; ``overrides`` replace some of ``options``.

        Raises:
            What :func:`~.builder.init_predictor` or
            :func:`~.exported.init_exported_predictor` raises.
        """
        options = {**self.options, **overrides}
        if self.model_file is not None:
            return init_exported_predictor(self.model_file, self.backend,
                                           **options)
        return init_predictor(self.config, self.checkpoint, self.device,
                              fast=self.fast, backend=self.backend,
                              **options)
