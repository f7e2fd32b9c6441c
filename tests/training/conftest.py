"""A tiny synthetic Comp-1k and a tiny-crop variant of the demo config."""
import os.path as osp
import subprocess
import sys
import textwrap

import pytest

from indexnet_plugin.datasets.comp1k import build_demo_dataset

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
BIN = osp.dirname(sys.executable)


@pytest.fixture(scope='session')
def tiny_comp1k(tmp_path_factory) -> str:
    """Prepared Comp-1k root: 4 training and 2 test composites, <= 128x160."""
    return build_demo_dataset(
        str(tmp_path_factory.mktemp('tiny_comp1k')),
        num_train_fg=2,
        train_bg_per_fg=2,
        num_test_fg=1,
        test_bg_per_fg=2,
        min_size=(96, 96),
        max_size=(128, 160))


@pytest.fixture(scope='session')
def tiny_config(tiny_comp1k, tmp_path_factory) -> str:
    """configs/indexnet_demo.py on 64x64 crops of the tiny dataset."""
    path = tmp_path_factory.mktemp('configs') / 'tiny_demo.py'
    path.write_text(
        textwrap.dedent(f"""
        _base_ = [{osp.join(REPO, 'configs', 'indexnet_demo.py')!r}]
        data_root = {tiny_comp1k!r}
        keys = ['alpha', 'merged', 'fg', 'bg']
        train_pipeline = [
            dict(type='LoadImageFromFile', key='alpha', color_type='grayscale'),
            dict(type='LoadImageFromFile', key='fg'),
            dict(type='LoadImageFromFile', key='bg'),
            dict(type='LoadImageFromFile', key='merged'),
            dict(type='indexnet_plugin.GenerateTrimapWithDistTransform',
                 dist_thr=10),
            dict(type='indexnet_plugin.CropAroundUnknown',
                 keys=keys + ['trimap'], crop_sizes=[64],
                 interpolations=['bicubic'] * 4 + ['nearest']),
            dict(type='Flip', keys=keys + ['trimap']),
            dict(type='indexnet_plugin.PackInputs'),
        ]
        train_dataloader = dict(
            batch_size=2, num_workers=0,
            dataset=dict(data_root=data_root, pipeline=train_pipeline))
        val_dataloader = dict(num_workers=0, dataset=dict(data_root=data_root))
        test_dataloader = val_dataloader
        randomness = dict(seed=0)
        default_hooks = dict(logger=dict(interval=1))
        """))
    return str(path)


def run_tool(args: list, timeout: int = 900, **kwargs) -> subprocess.CompletedProcess:
    """Run a console tool of the virtual environment from the repository."""
    result = subprocess.run([osp.join(BIN, args[0]), *args[1:]],
                            cwd=REPO,
                            capture_output=True,
                            text=True,
                            timeout=timeout,
                            **kwargs)
    assert result.returncode == 0, (
        f'{" ".join(args)} failed:\n{result.stdout[-3000:]}\n{result.stderr[-5000:]}')
    return result
