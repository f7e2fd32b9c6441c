"""The host's own IndexNet pieces: the reference of the parity tests.

Under MMEditing 1.0.0rc7 the reference is mmedit, under MMagic 1.2.0 it is
mmagic: whichever host indexnet_plugin runs in (indexnet_plugin/host.py), so
the same tests compare us with each host's own implementation. Both keep their
matting code in the same modules; only a few classes were renamed.
"""
import importlib
import os.path as osp

from indexnet_plugin.host import HOST, DataSample, renamed

registry = importlib.import_module(f'{HOST}.registry')
transforms = importlib.import_module(f'{HOST}.datasets.transforms')
PackInputs = renamed('PackInputs')
# The configs and tools that `mim` runs, packaged inside the host.
MIM_ROOT = osp.join(osp.dirname(importlib.import_module(HOST).__file__),
                    '.mim')


def host_config(*parts: str) -> str:
    """Path of one of the host's packaged configs, e.g.
    ``host_config('indexnet', 'indexnet_mobv2_1xb16-78k_comp1k.py')``."""
    return osp.join(MIM_ROOT, 'configs', *parts)


__all__ = [
    'DataSample', 'HOST', 'MIM_ROOT', 'PackInputs', 'host_config', 'registry',
    'transforms'
]
