"""A tiny synthetic Comp-1k and a tiny-crop variant of the demo config."""
import os.path as osp
import textwrap

import pytest
from helpers.comp1k import tiny_comp1k as make_tiny_comp1k
from helpers.paths import REPO


@pytest.fixture(scope='session')
def tiny_comp1k(tmp_path_factory) -> str:
    """Prepared root of helpers.comp1k's tiny Comp-1k."""
    return make_tiny_comp1k(str(tmp_path_factory.mktemp('tiny_comp1k')))


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
        default_hooks = dict(logger=dict(interval=1))
        """))
    return str(path)

