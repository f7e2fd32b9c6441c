"""Synthetic Comp-1k downloads shared by the tool tests."""
import os.path as osp

import pytest

from indexnet_plugin.datasets.comp1k import (make_synthetic_comp1k,
                                             prepare_comp1k)


def _small_download(root: str):
    return make_synthetic_comp1k(
        root,
        num_train_fg=2,
        train_bg_per_fg=2,
        num_test_fg=1,
        test_bg_per_fg=2,
        min_size=(64, 64),
        max_size=(80, 96))


@pytest.fixture
def make_small_download():
    """Factory of tiny downloads (2 training fg x 2 bg, 1 test fg x 2 bg,
    at most 80x96) for the tests that damage or rename files."""
    return _small_download


@pytest.fixture(scope='session')
def default_download(tmp_path_factory):
    """The default synthetic download (what the demo uses), made once."""
    return make_synthetic_comp1k(str(tmp_path_factory.mktemp('download')))


@pytest.fixture(scope='session')
def prepared_root(default_download, tmp_path_factory):
    """The default download prepared once; tests must not modify it."""
    out = osp.join(str(tmp_path_factory.mktemp('prepared')), 'comp1k')
    report = prepare_comp1k(*default_download, out_root=out, progress=False)
    assert not report.problems, report.problems
    return out
