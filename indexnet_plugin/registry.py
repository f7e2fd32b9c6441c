"""Registries of indexnet_plugin.

They are children of MMEditing's registries with the scope ``indexnet_plugin``,
so our components live beside mmedit's built-ins (which already include an
``IndexNet``, ``IndexNetEncoder``, ``GenerateTrimap`` ...) without replacing
them. Configs address ours with the scope prefix, e.g.
``type='indexnet_plugin.IndexNet'``, and keep ``default_scope='mmedit'``.
Unprefixed names inside our components (losses, data preprocessors) still
resolve through the parent, i.e. to mmedit's and mmengine's components.
"""
from mmedit.registry import DATASETS as MMEDIT_DATASETS
from mmedit.registry import MODELS as MMEDIT_MODELS
from mmedit.registry import TRANSFORMS as MMEDIT_TRANSFORMS
from mmengine.registry import Registry

SCOPE = 'indexnet_plugin'

MODELS = Registry(
    'model',
    parent=MMEDIT_MODELS,
    scope=SCOPE,
    locations=['indexnet_plugin.models'])
TRANSFORMS = Registry(
    'transform',
    parent=MMEDIT_TRANSFORMS,
    scope=SCOPE,
    locations=['indexnet_plugin.datasets.transforms'])
DATASETS = Registry(
    'dataset',
    parent=MMEDIT_DATASETS,
    scope=SCOPE,
    locations=['indexnet_plugin.datasets'])
