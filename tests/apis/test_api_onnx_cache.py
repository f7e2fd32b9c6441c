"""The on-disk cache of ONNX graphs: keys, reuse, atomic writes, fallback."""
import torch
import torch.nn as nn
import pytest

from indexnet_plugin.apis.runtimes import cache as onnx_cache
from indexnet_plugin.apis.runtimes.cache import (CACHE_ENV, cached_onnx,
                                                 default_cache_dir,
                                                 network_key)


@pytest.fixture
def exports(monkeypatch):
    """Replace the (slow) ONNX export by a fake that records its calls."""
    calls = []

    def export(network, size_divisor):
        calls.append(size_divisor)
        return f'graph {len(calls)}'.encode()

    monkeypatch.setattr(onnx_cache, 'network_to_onnx_bytes', export)
    return calls


def network(seed: int = 0) -> nn.Module:
    torch.manual_seed(seed)
    return nn.Sequential(nn.Conv2d(4, 1, 3, padding=1)).eval()


def test_key_depends_on_weights_architecture_and_divisor():
    key = network_key(network(0), 32)
    assert key == network_key(network(0), 32)
    assert len({
        key,
        network_key(network(1), 32),
        network_key(network(0), 16),
        network_key(nn.Sequential(nn.Conv2d(4, 1, 3, padding=2)), 32),
    }) == 4


def test_export_once_then_reuse_then_refresh(tmp_path, exports):
    path = cached_onnx(network(), 32, tmp_path)
    assert path == tmp_path / f'{network_key(network(), 32)}.onnx'
    assert path.read_bytes() == b'graph 1'
    assert cached_onnx(network(), 32, tmp_path) == path
    assert exports == [32]
    assert cached_onnx(network(), 32, tmp_path, refresh=True) == path
    assert path.read_bytes() == b'graph 2'
    assert [p.name for p in tmp_path.iterdir()] == [path.name]  # no .partial


def test_failed_write_leaves_no_file(tmp_path, exports, monkeypatch):
    def fail(*args):
        raise OSError('disk full')

    monkeypatch.setattr(onnx_cache.os, 'replace', fail)
    with pytest.warns(UserWarning, match=f"cannot cache the ONNX graph in "
                      f"'{tmp_path}' \\(disk full\\); set {CACHE_ENV}"):
        assert cached_onnx(network(), 32, tmp_path) == b'graph 1'
    assert list(tmp_path.iterdir()) == []


def test_unwritable_folder_returns_the_graph(tmp_path, exports):
    blocker = tmp_path / 'file'
    blocker.write_text('not a folder')
    with pytest.warns(UserWarning, match='cannot cache the ONNX graph'):
        assert cached_onnx(network(), 32, blocker / 'cache') == b'graph 1'


def test_default_folder(monkeypatch, tmp_path):
    monkeypatch.setenv(CACHE_ENV, str(tmp_path / 'mine'))
    assert default_cache_dir() == tmp_path / 'mine'
    monkeypatch.delenv(CACHE_ENV)
    monkeypatch.setenv('XDG_CACHE_HOME', str(tmp_path))
    assert default_cache_dir() == tmp_path / 'indexnet_plugin' / 'onnx'
