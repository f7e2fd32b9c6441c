"""The plugin's registries live beside the host's (mmedit's or mmagic's)
without overriding them."""
import importlib.util
import os.path as osp
import re
import subprocess
import sys
import textwrap

import pytest
from helpers.paths import REPO
from host_reference import HOST, registry
from mmengine.config import Config
from mmengine.registry import DefaultScope, Registry

import indexnet_plugin
from indexnet_plugin.host import HOST_VARIABLE, RENAMED, detect_host
from indexnet_plugin.registry import CHILDREN, MODELS, TRANSFORMS

HOST_MODELS = registry.MODELS
HOST_TRANSFORMS = registry.TRANSFORMS


@pytest.fixture(autouse=True)
def host_scope():
    """The host's default scope, whatever an earlier runner left current."""
    with DefaultScope.overwrite_default_scope(HOST):
        yield


@pytest.mark.parametrize('registry,plugin_registry,host_name,plugin_cfg', [
    (HOST_MODELS, MODELS, 'IndexNetEncoder',
     dict(type='indexnet_plugin.IndexNetEncoder', in_channels=4)),
    (HOST_TRANSFORMS, TRANSFORMS, 'GenerateTrimap',
     dict(type='indexnet_plugin.GenerateTrimap', kernel_size=5)),
])
def test_plugin_and_host_components_build_side_by_side(
        registry, plugin_registry, host_name, plugin_cfg):
    host_cfg = dict(plugin_cfg, type=host_name)
    theirs = registry.build(host_cfg)
    ours = registry.build(plugin_cfg)
    assert type(theirs).__module__.startswith(f'{HOST}.'), type(theirs)
    assert type(ours).__module__.startswith('indexnet_plugin.'), type(ours)
    assert type(ours) is plugin_registry.get(host_name)


def test_host_mattor_builds_plugin_parts_by_scoped_name():
    model = HOST_MODELS.build(
        dict(
            type='SimpleEncoderDecoder',
            encoder=dict(type='indexnet_plugin.IndexNetEncoder', in_channels=4),
            decoder=dict(type='indexnet_plugin.IndexNetDecoder')))
    assert type(model).__module__.startswith(f'{HOST}.')
    assert type(model.encoder).__module__.startswith('indexnet_plugin.')
    assert type(model.decoder).__module__.startswith('indexnet_plugin.')


@pytest.mark.parametrize('plugin_registry,host_registry', [
    (MODELS, HOST_MODELS), (TRANSFORMS, HOST_TRANSFORMS)])
def test_no_host_name_is_overridden(plugin_registry, host_registry):
    assert plugin_registry.scope == indexnet_plugin.SCOPE
    assert plugin_registry.parent is host_registry
    assert plugin_registry.module_dict, 'the plugin registered nothing'
    for name in plugin_registry.module_dict:
        builtin = host_registry.module_dict.get(name)
        if builtin is not None:
            assert not builtin.__module__.startswith('indexnet_plugin'), name


def unprefixed_types(node) -> set:
    """Every ``type`` without a scope prefix in a config (nested)."""
    if isinstance(node, dict):
        kind = node.get('type')
        own = {kind} if isinstance(kind, str) and '.' not in kind else set()
        children = node.values()
    elif isinstance(node, (list, tuple)):
        own, children = set(), node
    else:
        return set()
    return own.union(*map(unprefixed_types, children))


@pytest.mark.parametrize(
    'config',
    ['indexnet_mobv2.py', 'indexnet_mobv2_dimaug.py', 'indexnet_demo.py'])
def test_config_names_mean_the_same_in_our_scope(config):
    """Our configs' default scope indexnet_plugin finds every unprefixed name
    in the host's registries, as the host's own scope would: none is one of
    the plugin's components."""
    cfg = Config.fromfile(osp.join(REPO, 'configs', config)).to_dict()
    names = unprefixed_types(cfg)
    assert {'SimpleEncoderDecoder', 'LoadImageFromFile', 'SAD',
            'IterBasedTrainLoop', 'ConcatImageVisualizer'} <= names
    ours = set().union(*(child.module_dict for child in CHILDREN.values()))
    assert not names & ours


def test_misspelled_plugin_type_names_the_type():
    with pytest.raises(KeyError, match='GenerateTrimapp'):
        HOST_TRANSFORMS.build(
            dict(type='indexnet_plugin.GenerateTrimapp', kernel_size=5))


@pytest.mark.parametrize('default_scope', [HOST, 'indexnet_plugin'])
def test_custom_imports_in_a_config_registers_the_plugin(
        tmp_path, default_scope):
    """A fresh interpreter that only reads a config finds our components and,
    in either default scope, the host's (registered lazily, on first use)."""
    config = tmp_path / 'plugin_cfg.py'
    config.write_text(
        textwrap.dedent(f"""
        custom_imports = dict(imports=['indexnet_plugin'],
                              allow_failed_imports=False)
        default_scope = {default_scope!r}
        trimap = dict(type='indexnet_plugin.GenerateTrimapWithDistTransform',
                      dist_thr=20)
        flip = dict(type='Flip', keys=['alpha'])
        metric = dict(type='SAD')
        """))
    script = textwrap.dedent(f"""
        import sys
        from mmengine import Config
        from mmengine.registry import METRICS, TRANSFORMS, init_default_scope
        assert 'indexnet_plugin' not in sys.modules
        cfg = Config.fromfile({str(config)!r})
        init_default_scope(cfg.default_scope)
        for built in (TRANSFORMS.build(cfg.trimap), TRANSFORMS.build(cfg.flip),
                      METRICS.build(cfg.metric)):
            print(type(built).__module__.split('.')[0], type(built).__name__)
        """)
    result = subprocess.run([sys.executable, '-c', script],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.strip().splitlines()[-3:] == [
        'indexnet_plugin GenerateTrimapWithDistTransform', f'{HOST} Flip',
        f'{HOST} SAD'
    ]


def test_every_host_registry_has_a_plugin_child():
    registries = {
        name: value
        for name, value in vars(registry).items()
        if isinstance(value, Registry)
    }
    host_registries = {
        name: value
        for name, value in registries.items() if value.scope == HOST
    }
    assert {'MODELS', 'LOOPS', 'HOOKS', 'METRICS'} <= set(host_registries)
    assert set(CHILDREN) == set(host_registries)
    for name, child in CHILDREN.items():
        assert child.parent is host_registries[name], name
        assert child.scope == 'indexnet_plugin'
    # mmengine's roots (the host's module imports them too) keep only the
    # host below them: the scope is found under the host's registries.
    for value in registries.values():
        if value.scope == 'mmengine':
            assert 'indexnet_plugin' not in value._children, value.name


@pytest.mark.parametrize('name', sorted(RENAMED))
def test_renamed_components_are_the_hosts_own(name):
    registry_name, mmagic_name, mmedit_name = RENAMED[name]
    host_name = mmagic_name if HOST == 'mmagic' else mmedit_name
    ours = CHILDREN[registry_name].get(f'indexnet_plugin.{name}')
    assert ours is getattr(registry, registry_name).get(host_name)
    assert ours.__module__.startswith(f'{HOST}.')


def test_host_variable_chooses_and_is_validated(monkeypatch):
    monkeypatch.setenv(HOST_VARIABLE, HOST)
    assert detect_host() == HOST
    monkeypatch.setenv(HOST_VARIABLE, 'mmedt')
    with pytest.raises(ValueError,
                       match=re.escape("INDEXNET_PLUGIN_HOST must be one of "
                                       "('mmagic', 'mmedit'), got 'mmedt'")):
        detect_host()
    other = 'mmedit' if HOST == 'mmagic' else 'mmagic'
    if importlib.util.find_spec(other) is None:
        monkeypatch.setenv(HOST_VARIABLE, other)
        with pytest.raises(ImportError,
                           match=f'indexnet_plugin needs {other} installed'):
            detect_host()
