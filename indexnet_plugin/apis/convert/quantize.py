"""Post-training int8 quantization of a mattor's network with NNCF.

The fused network (batch norms folded, as the fast path runs it) is
converted to an OpenVINO model and quantized by NNCF on training crops
(:mod:`.calibration`), normalised as the predictor normalises a photo.

Which layers stay fp32 is measured, not assumed: the validation crops
(other random crops of the training images) score each attempt of
:func:`quantize_within_bound` by SAD against the fp32 network's. Every
layer int8 comes first (the fastest); if its SAD is more than
``max_sad_increase`` above fp32's, the learned index blocks stay fp32, as
their sigmoid/softmax gates multiply the features they pool and unpool, so
a badly quantized gate errs on every pixel it touches (an earlier make-demo
model: SAD +86 % all int8, +1.1 % with the index blocks fp32; today's
seeded one: -0.5 % all int8). NNCF's accuracy-aware mode
(:func:`quantize_network` with ``validation``) is the thorough, slow
alternative.

int8 stays a file the user makes (``tools/quantize.py``) and chooses
(``indexnet-predict --model-file``); the fast path never quantizes.
"""
from typing import Dict, List, NamedTuple, Optional, Sequence, Tuple

import numpy as np
import torch
import torch.nn as nn

from ..inference.settings import MattingSettings
from ..runtimes.openvino_network import DEVICE, compile_config
from .calibration import MattingSample
from .export import openvino_model

# Parts of the fused graph that can stay fp32, as patterns of OpenVINO node
# names (which follow the PyTorch module paths of the ONNX export).
FP32_PARTS: Dict[str, Tuple[str, ...]] = {
    # The index blocks and the encoder's index-weighted pooling products.
    'index_blocks': (r'/encoder/index_layers\..*', r'/encoder/Mul(_\d+)?'),
    # The decoder and its unpooling products (most of the compute at full
    # resolution: keeping it fp32 gives back most of int8's speed).
    'decoder': (r'/decoder/.*', ),
}
# What quantize_within_bound tries, in turn: every layer int8 (on the
# make-demo model 2.2-2.4x fp32 OpenVINO's speed at 1024x1024, SAD -0.5 %),
# then the index blocks fp32 (1.75x, SAD -0.45 %).
FALLBACK_FP32_PARTS: Tuple[Tuple[str, ...], ...] = ((), ('index_blocks', ))
DEFAULT_CROPS = 300
# Calibration statistics are taken on this many crops at most (NNCF's
# subset_size); more crops only lengthen the run.
MAX_SUBSET = 300
# Relative SAD increase accepted on the validation crops (1 %).
DEFAULT_MAX_SAD_INCREASE = 0.01


def fp32_patterns(parts: Sequence[str]) -> List[str]:
    """Node-name patterns of the graph parts to keep fp32.

    Raises:
        ValueError: A part not in :data:`FP32_PARTS`.
    """
    unknown = set(parts) - set(FP32_PARTS)
    if unknown:
        raise ValueError(f'parts to keep fp32 must be among '
                         f'{sorted(FP32_PARTS)}, got {sorted(unknown)}')
    return [pattern for part in parts for pattern in FP32_PARTS[part]]


def compile_for_cpu(ov_model):
    """``openvino.CompiledModel`` of a model, with the fast path's settings
    (fp32 arithmetic where a layer is not int8)."""
    import openvino
    return openvino.Core().compile_model(ov_model, DEVICE, compile_config())


def crop_sad(compiled, crop: MattingSample,
             settings: MattingSettings) -> float:
    """SAD (Comp-1k's, over the whole crop after the predictor's write-back)
    of a compiled model's alpha on one crop."""
    output = compiled(crop.network_input(settings))[0]
    alpha = settings.to_alpha(torch.from_numpy(output[0]), crop.trimap,
                              as_float=True)
    return float(np.abs(alpha - crop.alpha / 255.0).sum() / 1000)


def mean_sad(ov_model, crops: Sequence[MattingSample],
             settings: MattingSettings) -> float:
    """Mean :func:`crop_sad` of an ``openvino.Model`` over ``crops``."""
    compiled = compile_for_cpu(ov_model)
    return float(np.mean([crop_sad(compiled, crop, settings)
                          for crop in crops]))


class Attempt(NamedTuple):
    """One quantization of :func:`quantize_within_bound` and its SAD on the
    validation crops against the fp32 network's."""
    model: object  # openvino.Model
    keep_fp32: Tuple[str, ...]
    fp32_sad: float
    int8_sad: float

    @property
    def sad_increase(self) -> float:
        """Relative SAD increase, e.g. 0.01 for 1 %."""
        return self.int8_sad / self.fp32_sad - 1


def quantize_within_bound(
        model: nn.Module,
        calibration: Sequence[MattingSample],
        validation: Sequence[MattingSample],
        max_sad_increase: float = DEFAULT_MAX_SAD_INCREASE,
        fallbacks: Sequence[Tuple[str, ...]] = FALLBACK_FP32_PARTS
) -> List[Attempt]:
    """Quantize with each set of fp32 parts in turn until the SAD on the
    validation crops is within the bound.

    A cheap alternative to NNCF's accuracy-aware mode (which returns one
    group of layers at a time to fp32, recompiling for each: more than 15
    minutes on 4 crops of the make-demo model when far off), built on what
    is known to break IndexNet's int8 (the index blocks).

    Args:
        model: A mattor.
        calibration: Crops whose activations set the int8 ranges.
        validation: Other crops, scored by mean SAD.
        max_sad_increase: Relative SAD increase accepted, e.g. 0.01.
        fallbacks: Sets of :data:`FP32_PARTS` to keep fp32, tried in turn.

    Returns:
        list[Attempt]: The attempts made; the last is the first within the
        bound, or the last of ``fallbacks`` if none is.

    Raises:
        ValueError: No validation crops or no fallbacks; see also
            :func:`quantize_network`.
    """
    if not validation:
        raise ValueError('no validation crops')
    if not fallbacks:
        raise ValueError('no sets of parts to keep fp32')
    # One ONNX export and conversion (seconds) serves every attempt.
    fp32_model, settings = openvino_model(model)
    fp32_sad = mean_sad(fp32_model, validation, settings)
    attempts = []
    for parts in fallbacks:
        quantized = _quantize_converted(fp32_model.clone(), settings,
                                        calibration, parts, None,
                                        max_sad_increase)
        attempts.append(Attempt(quantized, tuple(parts), fp32_sad,
                                mean_sad(quantized, validation, settings)))
        if attempts[-1].sad_increase <= max_sad_increase:
            break
    return attempts


def quantize_network(model: nn.Module,
                     calibration: Sequence[MattingSample],
                     keep_fp32: Sequence[str] = (),
                     validation: Optional[Sequence[MattingSample]] = None,
                     max_sad_increase: float = DEFAULT_MAX_SAD_INCREASE):
    """Quantize a mattor's network to int8 with NNCF.

    Args:
        model: A mattor (see :func:`~indexnet_plugin.apis.init_model`).
        calibration: Crops whose activations set the int8 ranges.
        keep_fp32: Parts of :data:`FP32_PARTS` left fp32 (none: every
            layer int8).
        validation: Held-out crops; when given, NNCF's accuracy-aware mode
            returns layers to fp32, most harmful first, until their mean SAD
            is within ``max_sad_increase`` of the fp32 network's.
        max_sad_increase: Relative SAD increase accepted, e.g. 0.01.

    Returns:
        openvino.Model: The quantized model (fake-quantize nodes that
        OpenVINO runs as int8 arithmetic); save it with
        :func:`~indexnet_plugin.apis.convert.export.save_openvino`.

    Raises:
        ImportError: NNCF is not installed.
        ValueError: No calibration crops, a non-positive
            ``max_sad_increase`` or an unknown part.
        nncf.ValidationError: A part that matches no node of this network
            (another architecture than IndexNet's).
    """
    return _quantize_converted(*openvino_model(model), calibration,
                               keep_fp32, validation, max_sad_increase)


def _quantize_converted(fp32_model, settings: MattingSettings,
                        calibration: Sequence[MattingSample],
                        keep_fp32: Sequence[str],
                        validation: Optional[Sequence[MattingSample]],
                        max_sad_increase: float):
    """:func:`quantize_network` on the network already converted to an
    fp32 ``openvino.Model``."""
    try:
        import nncf
    except ImportError as error:
        raise ImportError('quantization needs NNCF: pip install '
                          '"indexnet_plugin[quantize]"') from error
    if not calibration:
        raise ValueError('no calibration crops')
    if max_sad_increase <= 0:
        raise ValueError('max_sad_increase must be positive, got '
                         f'{max_sad_increase}')
    options = dict(
        preset=nncf.QuantizationPreset.MIXED,
        subset_size=min(len(calibration), MAX_SUBSET),
        ignored_scope=nncf.IgnoredScope(patterns=fp32_patterns(keep_fp32)))
    calibration_data = nncf.Dataset(
        [crop.network_input(settings) for crop in calibration])
    if validation is None:
        return nncf.quantize(fp32_model, calibration_data, **options)

    def negative_sad(compiled, crops) -> Tuple[float, List[float]]:
        # NNCF keeps what scores higher; per-crop scores rank the layers.
        scores = [-crop_sad(compiled, crop, settings) for crop in crops]
        return float(np.mean(scores)), scores

    return nncf.quantize_with_accuracy_control(
        fp32_model, calibration_data, nncf.Dataset(list(validation)),
        negative_sad, max_drop=max_sad_increase,
        drop_type=nncf.DropType.RELATIVE, **options)
