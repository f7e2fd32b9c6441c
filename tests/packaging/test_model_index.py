"""The model zoo as mim reads it (model-index.yml, configs/metafile.yml), the
README's table, config names and ``python -m indexnet_plugin``."""
import importlib.metadata
import re
from pathlib import Path

import pytest
from helpers.paths import REPO
from mim.commands.search import convert2df
from modelindex.load_model_index import load

from indexnet_plugin.__main__ import main
from indexnet_plugin.configs import config_dir, config_names, resolve_config
from indexnet_plugin.host import HOST

METRICS = ('SAD', 'MSE', 'GRAD', 'CONN')


@pytest.fixture(scope='module')
def model_index():
    return load(str(REPO / 'model-index.yml'))


def readme_model_zoo() -> dict:
    """Rows of the README's model zoo: name -> (metrics, weights URL)."""
    text = (REPO / 'README.md').read_text()
    section = text.split('\n## Model zoo\n', 1)[1].split('\n## ', 1)[0]
    rows = {}
    for line in section.splitlines():
        match = re.match(r'\| `(\w+)` \| (.*) \|$', line)
        if match:
            cells = [cell.strip() for cell in match.group(2).split('|')]
            url = re.search(r'\]\((https://\S+?)\)', cells[-1])
            rows[match.group(1)] = (dict(zip(METRICS, map(float, cells[:4]))),
                                    url and url.group(1))
    return rows


def test_model_index_is_valid(model_index):
    assert model_index.check(silent=True) == []
    assert [c.name for c in model_index.collections] == ['IndexNet']


def test_every_model_points_at_its_config(model_index):
    for model in model_index.models:
        assert model.config == f'configs/{model.name}.py'
        assert (REPO / model.config).is_file()
        assert model.in_collection == 'IndexNet'
        # mim lowercases the ids users type
        assert model.name == model.name.lower()
        assert [r.dataset for r in model.results] == ['Composition-1k']


def test_metafile_matches_the_readme(model_index):
    zoo = readme_model_zoo()
    released = {'indexnet_mobv2', 'indexnet_mobv2_dimaug'}
    assert released <= set(zoo)
    assert {m.name for m in model_index.models} == set(zoo)
    for model in model_index.models:
        metrics, weights = zoo[model.name]
        assert model.results[0].metrics == metrics, model.name
        assert model.weights == weights, model.name
    for name in released:
        assert zoo[name][1].startswith(
            'https://download.openmmlab.com/mmediting/mattors/indexnet/')


def test_mim_search_table(model_index):
    """What ``mim search indexnet_plugin`` prints, one row per model."""
    table = convert2df(model_index)
    assert sorted(table.index) == sorted(m.name for m in model_index.models)
    row = table.loc['indexnet_mobv2']
    assert (row['composition-1k/sad'], row['composition-1k/mse'],
            row['composition-1k/grad'], row['composition-1k/conn']) == (
                45.6, 0.012, 25.5, 44.8)
    assert row['config'] == 'configs/indexnet_mobv2.py'
    assert row['model'] == 'indexnet'


def test_config_names_in_a_clone():
    assert config_dir() == REPO / 'configs'
    assert config_names() == sorted(
        p.stem for p in (REPO / 'configs').glob('*.py'))
    assert {'indexnet_demo', 'indexnet_mobv2'} <= set(config_names())
    path = REPO / 'configs' / '_base_' / 'comp1k.py'
    assert resolve_config(path) == path
    assert resolve_config('indexnet_demo') == REPO / 'configs' / 'indexnet_demo.py'


def test_version_report(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(['--version'])
    assert exit_info.value.code == 0
    lines = capsys.readouterr().out.splitlines()
    names = [line.split()[0] for line in lines]
    assert names == [
        'indexnet_plugin', HOST, 'mmengine', 'mmcv', 'torch', 'python'
    ]
    reported = dict(line.split() for line in lines)
    for name in ('indexnet_plugin', HOST, 'mmengine', 'mmcv'):
        assert reported[name] == importlib.metadata.version(name)
    # torch's local version label (+cpu, +cu130) is not in its metadata
    assert reported['torch'].startswith(importlib.metadata.version('torch'))


def test_list_configs_and_config_path(capsys):
    assert main(['--list-configs']) == 0
    assert capsys.readouterr().out.splitlines() == [
        f'{name} {REPO / "configs" / name}.py' for name in config_names()
    ]
    assert main(['--config-path', 'indexnet_demo']) == 0
    assert capsys.readouterr().out == f'{REPO / "configs" / "indexnet_demo.py"}\n'
    with pytest.raises(SystemExit) as exit_info:
        main(['--config-path', 'nope'])
    assert exit_info.value.code == 2
    assert capsys.readouterr().err.splitlines()[-1] == (
        "python -m indexnet_plugin: error: config 'nope': no such file or "
        f"config name; known names: {', '.join(config_names())}")
