"""Data-pipeline transforms of indexnet_plugin (both augmentation schemes).

IndexNet scheme: ``GenerateTrimapWithDistTransform`` then ``CropAroundUnknown``
(with a nearest-neighbour trimap); DIM scheme: ``CropAroundUnknown`` then
``GenerateTrimap``; on-the-fly composition: ``RandomLoadResizeBg``,
``CompositeFg``, ``MergeFgAndBg``, ``PerturbBg``. Configs address them as
``type='indexnet_plugin.<Name>'``; loading, resizing, flipping and packing
are the host's (``LoadImageFromFile``, ``Resize``, ``Flip``, and
``indexnet_plugin.PackInputs``, the host's packing transform).
"""
from .composition import (CompositeFg, MergeFgAndBg, PerturbBg,
                          RandomLoadResizeBg)
from .crop import CropAroundUnknown
from .trimap import GenerateTrimap, GenerateTrimapWithDistTransform

__all__ = [
    'CompositeFg', 'CropAroundUnknown', 'GenerateTrimap',
    'GenerateTrimapWithDistTransform', 'MergeFgAndBg', 'PerturbBg',
    'RandomLoadResizeBg'
]
