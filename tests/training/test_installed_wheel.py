"""The plugin as a wheel, installed non-editable, used outside the clone.

The wheel is built from a copy of the repository (the build writes build/ and
*.egg-info next to setup.py) and installed with ``pip install --no-deps
--target`` into a folder of its own; the commands then run with only that
folder on ``PYTHONPATH`` and the project environment's other packages, from a
directory outside the clone, so neither the clone's configs/ nor the editable
install can stand in for what the wheel carries.
"""
import io
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import cv2
import pytest
import torch
from helpers.paths import BIN, REPO
from mmengine.config import Config
from modelindex.load_model_index import load

from indexnet_plugin.apis import init_model
from .download_host import LoopbackDownloadHost
from .test_mim_train import METRICS

pytestmark = pytest.mark.slow

MIM = BIN / 'mim'

# Not copied into the build: version control, environments, outputs.
NOT_SOURCES = shutil.ignore_patterns('.git', '.venv', 'build', 'dist',
                                     '*.egg-info', '__pycache__', 'data',
                                     'work_dirs', '.pytest_cache',
                                     '.hypothesis')


@pytest.fixture(scope='module')
def site(tmp_path_factory) -> Path:
    """Folder holding the installed wheel (package, dist-info, bin/)."""
    work = tmp_path_factory.mktemp('wheel')
    shutil.copytree(REPO, work / 'source', ignore=NOT_SOURCES)
    pip = [sys.executable, '-m', 'pip', '--disable-pip-version-check']
    subprocess.run([
        *pip, 'wheel', '--no-deps', '--no-build-isolation', '-w',
        str(work / 'dist'), str(work / 'source')
    ], check=True, capture_output=True)
    wheel, = (work / 'dist').glob('indexnet_plugin-*.whl')
    subprocess.run([
        *pip, 'install', '--no-deps', '--no-index', '--target',
        str(work / 'site'), str(wheel)
    ], check=True, capture_output=True)
    return work / 'site'


@pytest.fixture
def outside(tmp_path) -> Path:
    """A working directory outside the clone."""
    assert REPO not in tmp_path.parents
    return tmp_path


def run_installed(site: Path, command: list, cwd: Path,
                  **env: str) -> subprocess.CompletedProcess:
    """Run a command with the wheel's folder as the only PYTHONPATH entry."""
    environment = dict(
        os.environ, PYTHONPATH=str(site), OMP_NUM_THREADS='1', **env)
    result = subprocess.run(
        command, cwd=cwd, env=environment, capture_output=True, text=True,
        timeout=900)
    assert result.returncode == 0, (
        f'{" ".join(map(str, command))} failed:\n{result.stdout[-3000:]}\n'
        f'{result.stderr[-5000:]}')
    return result


def files_under(root: Path) -> dict:
    return {
        path.relative_to(root).as_posix(): path.read_bytes()
        for path in root.rglob('*')
        if path.is_file() and '__pycache__' not in path.parts
    }


def test_wheel_carries_the_repository_configs_and_model_index(site, outside):
    mim = site / 'indexnet_plugin' / '.mim'
    assert files_under(mim / 'configs') == files_under(REPO / 'configs')
    assert (mim / 'model-index.yml').read_bytes() == (
        REPO / 'model-index.yml').read_bytes()
    assert load(str(mim / 'model-index.yml')).check(silent=True) == []
    # the commands below import the wheel's package, not the editable one
    found = run_installed(site, [
        sys.executable, '-c', 'import importlib.util; '
        "print(importlib.util.find_spec('indexnet_plugin').origin)"
    ], outside).stdout
    assert found == f'{site / "indexnet_plugin" / "__init__.py"}\n'


def packaged_models(site: Path) -> list:
    index = site / 'indexnet_plugin' / '.mim' / 'model-index.yml'
    return load(str(index)).models


def test_mim_search_lists_the_models_with_metrics(site, outside):
    printed = run_installed(site, [MIM, 'search', 'indexnet_plugin'],
                            outside).stdout
    blocks = printed.split('config id: ')[1:]
    models = packaged_models(site)
    assert [b.splitlines()[0] for b in blocks] == [m.name for m in models]
    for block, model in zip(blocks, models):
        for metric, value in model.results[0].metrics.items():
            assert re.search(rf'^composition-1k/{metric.lower()} +{value}$',
                             block, re.M), (metric, block)
        assert re.search(rf'^config +{re.escape(model.config)}$', block, re.M)


def released_format_checkpoint() -> bytes:
    """Random weights in the layout of the released OpenMMLab files."""
    torch.manual_seed(0)
    state = init_model('indexnet_mobv2').state_dict()
    buffer = io.BytesIO()
    torch.save({'meta': {'mmedit_version': '0.14.0'}, 'state_dict': state},
               buffer)
    return buffer.getvalue()


def test_mim_download_from_the_metafile_url(site, outside):
    model, = [m for m in packaged_models(site) if m.name == 'indexnet_mobv2']
    url = urlsplit(model.weights)
    body = released_format_checkpoint()
    with LoopbackDownloadHost(body, [url.hostname], outside) as host:
        run_installed(site, [
            MIM, 'download', 'indexnet_plugin', '--config',
            'indexnet_mobv2', '--dest', 'models'
        ], outside, **host.client_env)
    assert host.requests == [(f'{url.hostname}:443', url.path)]
    checkpoint = outside / 'models' / Path(url.path).name
    assert checkpoint.read_bytes() == body
    # the config with its bases merged, the packaged model unchanged
    dumped = Config.fromfile(outside / 'models' / 'indexnet_mobv2.py')
    packaged = Config.fromfile(site / 'indexnet_plugin' / '.mim' /
                               model.config)
    assert dumped.model.to_dict() == packaged.model.to_dict()
    assert dumped.test_pipeline == packaged.test_pipeline


def test_train_test_predict_outside_the_clone(site, outside, tiny_comp1k):
    # what `python -m indexnet_plugin --config-path indexnet_demo` prints
    config = site / 'indexnet_plugin' / '.mim' / 'configs' / 'indexnet_demo.py'
    data = [
        f'{loader}.dataset.data_root={tiny_comp1k}'
        for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader')
    ] + [
        f'{loader}.num_workers=0'
        for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader')
    ]
    trained = run_installed(site, [
        MIM, 'train', 'mmedit', config, '--work-dir', 'work',
        '--cfg-options', 'train_cfg.max_iters=2', 'train_cfg.val_interval=2',
        'train_dataloader.batch_size=2', 'default_hooks.logger.interval=1',
        *data
    ], outside).stdout
    assert re.findall(r'Iter\(train\) \[\s*(\d+)/2\]', trained) == ['1', '2']
    assert (outside / 'work' / 'iter_2.pth').is_file()

    tested = run_installed(site, [
        MIM, 'test', 'mmedit', config, '--checkpoint',
        'work/iter_2.pth', '--work-dir', 'test', '--cfg-options', *data
    ], outside).stdout
    sad, mse, grad, conn = map(float, METRICS.search(tested).groups())
    assert sad > 0 and 0 < mse < 1 and grad > 0 and conn > 0

    with open(Path(tiny_comp1k) / 'test_list.json') as file:
        sample = json.load(file)[0]
    image = Path(tiny_comp1k) / sample['merged_path']
    run_installed(site, [
        site / 'bin' / 'indexnet-predict', image,
        Path(tiny_comp1k) / sample['trimap_path'], '--config',
        'indexnet_mobv2', '--checkpoint', 'work/iter_2.pth', '-o', 'alphas',
        '--quiet'
    ], outside, INDEXNET_PLUGIN_CACHE_DIR=str(outside / 'onnx'))
    alpha = cv2.imread(str(outside / 'alphas' / f'{image.stem}.png'),
                       cv2.IMREAD_UNCHANGED)
    assert alpha.shape == cv2.imread(str(image)).shape[:2]
