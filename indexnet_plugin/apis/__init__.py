"""User-facing APIs: building and loading models, prediction, guides,
cut-outs, export and the command line.

The subpackages, each a subsystem; imports run one way, from the first
towards the last (see the README's package map):

* :mod:`.inputs`: images, trimaps, masks, the person segmenter, guides;
* :mod:`.cutout`: foreground colours, RGBA cut-outs, previews;
* :mod:`.runtimes`: the network on OpenVINO, onnxruntime, TorchScript or
  PyTorch, and the fast path's choice between them;
* :mod:`.inference`: test-time settings, memory budget, tiles, the
  predictor;
* :mod:`.loading`: checkpoints, ``init_model`` / ``init_predictor``,
  exported files;
* :mod:`.convert`: ONNX / OpenVINO export, int8, the authors' checkpoint;
* :mod:`.distributed`: batch prediction on Ray (the ``[ray]`` extra,
  imported only when a run starts);
* :mod:`.cli`: ``indexnet-predict``.

This module is the public face: what it exports is what the README uses.
"""
from .convert.export import export_onnx, export_openvino, save_openvino
from .convert.original_checkpoint import convert_original_checkpoint
from .cutout.foreground import estimate_foreground
from .cutout.visualize import preview, rgba_cutout
from .distributed.ray_batch import GuideSpec, RayRunError, predict_on_ray
from .inference.memory import TiledInferenceWarning
from .inference.outputs import OutputOptions
from .inference.predictor import BatchPredictionError, MattingPredictor
from .inference.settings import MattingSettings
from .inputs.folders import find_pairs
from .inputs.images import (MattingInputError, TrimapRelabelledWarning,
                            load_image, load_pair, load_trimap)
from .inputs.mask import mask_to_trimap
from .inputs.person import PersonSegmenter, SegmenterNotInstalledError
from .loading.builder import init_model, init_predictor
from .loading.checkpoint import CheckpointError, load_weights, read_checkpoint
from .loading.exported import init_exported_predictor
from .loading.spec import PredictorSpec
from .runtimes.fusion import fuse_conv_bn
from .runtimes.selection import build_fast_network

__all__ = [
    'BatchPredictionError', 'CheckpointError', 'GuideSpec',
    'MattingInputError', 'MattingPredictor', 'MattingSettings',
    'OutputOptions', 'PersonSegmenter', 'PredictorSpec', 'RayRunError',
    'SegmenterNotInstalledError', 'TiledInferenceWarning',
    'TrimapRelabelledWarning',
    'build_fast_network', 'convert_original_checkpoint',
    'estimate_foreground', 'export_onnx', 'export_openvino', 'find_pairs',
    'fuse_conv_bn', 'init_exported_predictor', 'init_model',
    'init_predictor', 'load_image', 'load_pair', 'load_trimap',
    'load_weights', 'mask_to_trimap', 'predict_on_ray', 'preview',
    'read_checkpoint',
    'rgba_cutout', 'save_openvino'
]
