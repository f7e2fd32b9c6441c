"""Models of indexnet_plugin: encoder, decoder and mattor.

Importing this package registers ``IndexNetEncoder``, ``IndexNetDecoder``
and ``IndexNet`` in the ``indexnet_plugin`` scope of ``MODELS``.
"""
from .data_preprocessor import MattorPreprocessor
from .decoder import IndexedUpsample, IndexNetDecoder
from .encoder import IndexNetEncoder, InvertedResidual, stage_channels
from .index_blocks import DepthwiseIndexBlock, HolisticIndexBlock
from .mattor import IndexNet
from .preprocessed import mark_preprocessed

__all__ = [
    'DepthwiseIndexBlock', 'HolisticIndexBlock', 'IndexedUpsample', 'IndexNet',
    'IndexNetDecoder', 'IndexNetEncoder', 'InvertedResidual',
    'MattorPreprocessor', 'mark_preprocessed', 'stage_channels'
]
