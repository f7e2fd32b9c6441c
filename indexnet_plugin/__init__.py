"""IndexNet deep image matting as an MMEditing 1.x plugin.

Importing the package registers every component in the ``indexnet_plugin``
scope (see :mod:`indexnet_plugin.registry`), which is what
``custom_imports = dict(imports=['indexnet_plugin'])`` relies on, and lets
``torch.load``'s safe mode read the checkpoints mmengine's runner writes, so
``mim test`` and ``--resume`` work without ``weights_only=False``.
"""
from . import datasets, models  # noqa: F401  (registration at import time)
from .engine import allow_mmengine_checkpoints
from .registry import DATASETS, MODELS, SCOPE, TRANSFORMS

allow_mmengine_checkpoints()

__version__ = '0.1.0'
__all__ = ['DATASETS', 'MODELS', 'SCOPE', 'TRANSFORMS', '__version__']
