"""User-facing APIs: building and loading models, prediction, masks,
foreground colours, the command line, ONNX and OpenVINO export.

Modules by job: :mod:`.builder` (model and predictor from a config),
:mod:`.checkpoint` (reading and loading weights), :mod:`.settings` (a
mattor's test-time pre- and post-processing), :mod:`.predictor` (batches,
memory budget, failures per image), :mod:`.tiling`, :mod:`.fast` (faster
network variants), :mod:`.io` and :mod:`.mask` (reading and validating
inputs), :mod:`.auto_mask` (trimaps from the bundled person segmenter),
:mod:`.foreground` and :mod:`.visualize` (cut-outs), :mod:`.export` (ONNX
and OpenVINO IR files), :mod:`.exported` (predicting with them), :mod:`.cli`.
"""
from .auto_mask import PersonSegmenter, SegmenterNotInstalledError
from .builder import init_model, init_predictor
from .checkpoint import CheckpointError, load_weights, read_checkpoint
from .export import export_onnx, export_openvino, save_openvino
from .exported import init_exported_predictor
from .fast import build_fast_network, fuse_conv_bn
from .foreground import estimate_foreground
from .io import (MattingInputError, TrimapRelabelledWarning, find_pairs,
                 load_image, load_pair, load_trimap)
from .mask import mask_to_trimap
from .memory import TiledInferenceWarning
from .original_checkpoint import convert_original_checkpoint
from .predictor import BatchPredictionError, MattingPredictor
from .settings import MattingSettings
from .visualize import preview, rgba_cutout

__all__ = [
    'BatchPredictionError', 'CheckpointError', 'MattingInputError',
    'MattingPredictor', 'MattingSettings', 'PersonSegmenter',
    'SegmenterNotInstalledError', 'TiledInferenceWarning',
    'TrimapRelabelledWarning',
    'build_fast_network', 'convert_original_checkpoint',
    'estimate_foreground', 'export_onnx', 'export_openvino', 'find_pairs',
    'fuse_conv_bn', 'init_exported_predictor', 'init_model',
    'init_predictor', 'load_image', 'load_pair', 'load_trimap',
    'load_weights', 'mask_to_trimap', 'preview', 'read_checkpoint',
    'rgba_cutout', 'save_openvino'
]
