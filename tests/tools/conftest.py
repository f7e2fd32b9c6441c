"""Synthetic Comp-1k downloads shared by the tool tests."""
import os.path as osp

import pytest
from helpers.comp1k import tiny_download

from indexnet_plugin.datasets.comp1k import (make_synthetic_comp1k,
                                             prepare_comp1k)


@pytest.fixture
def make_small_download():
    """Factory of helpers.comp1k's tiny download, for the tests that damage
    or rename files."""
    return tiny_download


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
