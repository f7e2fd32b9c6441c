"""Registries of indexnet_plugin.

Each registry of the host (MMagic or MMEditing, see
:mod:`indexnet_plugin.host`) gets a child with the scope ``indexnet_plugin``,
so our components live beside the host's built-ins (which already include an
``IndexNet``, ``IndexNetEncoder``, ``GenerateTrimap`` ...) without replacing
them. Configs address ours with the scope prefix, e.g.
``type='indexnet_plugin.IndexNet'``. Unprefixed names resolve through the
parent, i.e. to the host's and mmengine's components, so a config may keep the
host's ``default_scope`` (``'mmagic'`` or ``'mmedit'``) or, like ours, use
``default_scope='indexnet_plugin'`` and run unchanged under either host.

The few components the hosts name differently are registered here under
MMagic's names (``indexnet_plugin.PackInputs``,
``indexnet_plugin.MultiValLoop``, ``indexnet_plugin.MultiTestLoop``), which
are the host's own classes.
"""
from mmengine.registry import Registry

from .host import HOST, RENAMED, registry, renamed

SCOPE = 'indexnet_plugin'


class PluginRegistry(Registry):
    """A child of a host registry that imports the host's modules first.

    A host registry registers its components lazily, on its first lookup;
    lookups in the ``indexnet_plugin`` scope reach the host's components
    through the parent, so they trigger that import too.
    """

    def import_from_location(self) -> None:
        self.parent.import_from_location()
        super().import_from_location()


def _children() -> dict:
    """One child registry per registry of the host, by the host's name."""
    locations = {
        'MODELS': ['indexnet_plugin.models'],
        'TRANSFORMS': ['indexnet_plugin.datasets.transforms'],
        'DATASETS': ['indexnet_plugin.datasets'],
    }
    children = {}
    for name, parent in vars(registry).items():
        # The host's registry module also holds mmengine's roots
        # (MMENGINE_MODELS, ...): those keep the host as their only child.
        if isinstance(parent, Registry) and parent.scope == HOST:
            children[name] = PluginRegistry(parent.name,
                                            parent=parent,
                                            scope=SCOPE,
                                            locations=locations.get(name, []))
    return children


CHILDREN = _children()
MODELS = CHILDREN['MODELS']
TRANSFORMS = CHILDREN['TRANSFORMS']
DATASETS = CHILDREN['DATASETS']


def _register_renamed() -> None:
    """Register the host's classes under the names of :data:`RENAMED`."""
    for name, (registry_name, *_) in RENAMED.items():
        CHILDREN[registry_name].register_module(name=name,
                                                module=renamed(name))


_register_renamed()
