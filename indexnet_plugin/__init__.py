"""IndexNet deep image matting as an MMEditing 1.x plugin.

Importing the package registers every component in the ``indexnet_plugin``
scope (see :mod:`indexnet_plugin.registry`), which is what
``custom_imports = dict(imports=['indexnet_plugin'])`` relies on.
"""
from . import datasets, models  # noqa: F401  (registration at import time)
from .registry import DATASETS, MODELS, SCOPE, TRANSFORMS

__version__ = '0.1.0'
__all__ = ['DATASETS', 'MODELS', 'SCOPE', 'TRANSFORMS', '__version__']
