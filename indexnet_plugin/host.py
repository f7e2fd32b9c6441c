"""The OpenMMLab package the plugin runs in: MMagic 1.2 or MMEditing 1.0.0rc7.

MMEditing was renamed MMagic; IndexNet's building blocks are numerically
identical in both, only their names and places differ. This module is the one
place that knows them: everything else in the package imports the host's
pieces from here.

The host is ``mmagic`` when it is installed, else ``mmedit``; the environment
variable ``INDEXNET_PLUGIN_HOST`` (``mmagic`` or ``mmedit``) overrides the
choice. The two cannot share a process (both register the same hooks in
mmengine's root registry), so each gets its own environment.
"""
import importlib.util
import os

HOST_VARIABLE = 'INDEXNET_PLUGIN_HOST'
HOSTS = ('mmagic', 'mmedit')


def detect_host() -> str:
    """Name of the host package (also its registry scope).

    Returns:
        str: ``'mmagic'`` or ``'mmedit'``.

    Raises:
        ValueError: ``INDEXNET_PLUGIN_HOST`` is set to another name.
        ImportError: The chosen host (or, without the variable, either host)
            is not installed.
    """
    chosen = os.environ.get(HOST_VARIABLE)
    if chosen is not None and chosen not in HOSTS:
        raise ValueError(f'{HOST_VARIABLE} must be one of {HOSTS}, '
                         f'got {chosen!r}')
    for name in ([chosen] if chosen else HOSTS):
        if importlib.util.find_spec(name) is not None:
            return name
    raise ImportError(
        f'indexnet_plugin needs {chosen or "mmagic or mmedit"} installed: '
        '`pip install mmagic==1.2.0` or `pip install mmedit==1.0.0rc7`')


HOST = detect_host()

# The host's pieces the plugin builds on (numerically identical in both).
if HOST == 'mmagic':
    from mmagic import registry
    from mmagic.models.archs import ASPP, DepthwiseSeparableConvModule
    from mmagic.models.base_models import BaseMattor
    from mmagic.models.data_preprocessors import MattorPreprocessor
    from mmagic.models.editors.indexnet.indexnet_decoder import \
        IndexedUpsample as HostIndexedUpsample
    from mmagic.models.editors.indexnet.indexnet_encoder import \
        DepthwiseIndexBlock as HostDepthwiseIndexBlock
    from mmagic.models.utils import get_unknown_tensor
    from mmagic.structures import DataSample
else:
    from mmedit import registry
    from mmedit.models.base_archs import ASPP, DepthwiseSeparableConvModule
    from mmedit.models.base_models import BaseMattor
    from mmedit.models.data_preprocessors import MattorPreprocessor
    from mmedit.models.editors.indexnet.indexnet_decoder import \
        IndexedUpsample as HostIndexedUpsample
    from mmedit.models.editors.indexnet.indexnet_encoder import \
        DepthwiseIndexBlock as HostDepthwiseIndexBlock
    from mmedit.models.utils import get_unknown_tensor
    from mmedit.structures import EditDataSample as DataSample

# Registered names that differ between the hosts, by the name configs use
# (MMagic's, the current one): (registry, mmagic name, mmedit name).
RENAMED = {
    'PackInputs': ('TRANSFORMS', 'PackInputs', 'PackEditInputs'),
    'MultiValLoop': ('LOOPS', 'MultiValLoop', 'EditValLoop'),
    'MultiTestLoop': ('LOOPS', 'MultiTestLoop', 'EditTestLoop'),
}


def renamed(name: str) -> type:
    """The host's component that configs call ``indexnet_plugin.<name>``.

    Args:
        name: A key of :data:`RENAMED`.

    Returns:
        type: The host's class, e.g. mmedit's ``PackEditInputs`` for
        ``'PackInputs'``.
    """
    registry_name, mmagic_name, mmedit_name = RENAMED[name]
    host_name = mmagic_name if HOST == 'mmagic' else mmedit_name
    return getattr(registry, registry_name).get(host_name)


__all__ = [
    'ASPP', 'BaseMattor', 'DataSample', 'DepthwiseSeparableConvModule', 'HOST',
    'MattorPreprocessor', 'RENAMED', 'get_unknown_tensor', 'registry',
    'renamed'
]
