"""The plugin's registries live beside mmedit's without overriding them."""
import subprocess
import sys
import textwrap

import pytest
from mmedit.registry import MODELS as MMEDIT_MODELS
from mmedit.registry import TRANSFORMS as MMEDIT_TRANSFORMS
from mmengine.registry import init_default_scope

import indexnet_plugin
from indexnet_plugin.registry import MODELS, TRANSFORMS

init_default_scope('mmedit')


@pytest.mark.parametrize('registry,plugin_registry,mmedit_name,plugin_cfg', [
    (MMEDIT_MODELS, MODELS, 'IndexNetEncoder',
     dict(type='indexnet_plugin.IndexNetEncoder', in_channels=4)),
    (MMEDIT_TRANSFORMS, TRANSFORMS, 'GenerateTrimap',
     dict(type='indexnet_plugin.GenerateTrimap', kernel_size=5)),
])
def test_plugin_and_mmedit_components_build_side_by_side(
        registry, plugin_registry, mmedit_name, plugin_cfg):
    mmedit_cfg = dict(plugin_cfg, type=mmedit_name)
    theirs = registry.build(mmedit_cfg)
    ours = registry.build(plugin_cfg)
    assert type(theirs).__module__.startswith('mmedit.'), type(theirs)
    assert type(ours).__module__.startswith('indexnet_plugin.'), type(ours)
    assert type(ours) is plugin_registry.get(mmedit_name)


def test_mmedit_mattor_builds_plugin_parts_by_scoped_name():
    model = MMEDIT_MODELS.build(
        dict(
            type='SimpleEncoderDecoder',
            encoder=dict(type='indexnet_plugin.IndexNetEncoder', in_channels=4),
            decoder=dict(type='indexnet_plugin.IndexNetDecoder')))
    assert type(model).__module__.startswith('mmedit.')
    assert type(model.encoder).__module__.startswith('indexnet_plugin.')
    assert type(model.decoder).__module__.startswith('indexnet_plugin.')


@pytest.mark.parametrize('plugin_registry,mmedit_registry', [
    (MODELS, MMEDIT_MODELS), (TRANSFORMS, MMEDIT_TRANSFORMS)])
def test_no_mmedit_name_is_overridden(plugin_registry, mmedit_registry):
    assert plugin_registry.scope == indexnet_plugin.SCOPE
    assert plugin_registry.parent is mmedit_registry
    assert plugin_registry.module_dict, 'the plugin registered nothing'
    for name in plugin_registry.module_dict:
        builtin = mmedit_registry.module_dict.get(name)
        if builtin is not None:
            assert not builtin.__module__.startswith('indexnet_plugin'), name


def test_misspelled_plugin_type_names_the_type():
    with pytest.raises(KeyError, match='GenerateTrimapp'):
        MMEDIT_TRANSFORMS.build(
            dict(type='indexnet_plugin.GenerateTrimapp', kernel_size=5))


def test_custom_imports_in_a_config_registers_the_plugin(tmp_path):
    """A fresh interpreter that only reads a config finds our components."""
    config = tmp_path / 'plugin_cfg.py'
    config.write_text(
        textwrap.dedent("""
        custom_imports = dict(imports=['indexnet_plugin'],
                              allow_failed_imports=False)
        default_scope = 'mmedit'
        trimap = dict(type='indexnet_plugin.GenerateTrimapWithDistTransform',
                      dist_thr=20)
        """))
    script = textwrap.dedent(f"""
        import sys
        from mmengine import Config
        from mmengine.registry import init_default_scope
        assert 'indexnet_plugin' not in sys.modules
        cfg = Config.fromfile({str(config)!r})
        init_default_scope(cfg.default_scope)
        from mmedit.registry import TRANSFORMS
        transform = TRANSFORMS.build(cfg.trimap)
        print(type(transform).__module__, type(transform).__name__)
        """)
    result = subprocess.run([sys.executable, '-c', script],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    last_line = result.stdout.strip().splitlines()[-1]
    assert last_line == ('indexnet_plugin.datasets.transforms.trimap '
                         'GenerateTrimapWithDistTransform')
