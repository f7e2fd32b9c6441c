"""Versions of the plugin and the libraries it runs on, for bug reports."""
import importlib
import platform
from typing import Dict

import mmcv
import mmengine
import torch

from . import __version__
from .host import HOST


def versions() -> Dict[str, str]:
    """Versions of the plugin, its host (mmedit or mmagic), mmengine, mmcv,
    torch and Python, as imported (not as some metadata claims)."""
    return {
        'indexnet_plugin': __version__,
        HOST: importlib.import_module(HOST).__version__,
        'mmengine': mmengine.__version__,
        'mmcv': mmcv.__version__,
        'torch': torch.__version__,
        'python': platform.python_version(),
    }


def version_report() -> str:
    """One ``name version`` line per entry of :func:`versions`."""
    return '\n'.join(f'{name} {version}' for name, version in versions().items())
