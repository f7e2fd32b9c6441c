"""User-facing APIs: inference, masks, foreground colours, command line and
ONNX export."""
from .fast import build_fast_network, fuse_conv_bn
from .foreground import estimate_foreground
from .inference import (CheckpointError, MattingPredictor, MattingSettings,
                        init_model, init_predictor, load_weights)
from .io import MattingInputError, find_pairs, load_image, load_pair, load_trimap

__all__ = [
    'CheckpointError', 'MattingInputError',
    'MattingPredictor', 'MattingSettings', 'build_fast_network',
    'estimate_foreground', 'find_pairs', 'fuse_conv_bn', 'init_model',
    'init_predictor', 'load_image', 'load_pair', 'load_trimap', 'load_weights'
]
