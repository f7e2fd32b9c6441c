"""OpenVINO's two ways (one dynamic-shape model, a model per large shape)
and the compiled models kept across runs (runtimes/compiled_cache.py).

The IndexNet model (fused, converted once per session) checks numerics and
the cache's round trip; a two-convolution model, compiled in milliseconds,
the choice of way and the cache's failures.
"""
import os

import pytest
import torch
from helpers.images import make_pair

from indexnet_plugin.apis import MattingPredictor, MattingSettings
from indexnet_plugin.apis.inference import memory
from indexnet_plugin.apis.runtimes import openvino_network as ov_network
from indexnet_plugin.apis.runtimes.cache import CACHE_ENV
from indexnet_plugin.apis.runtimes.compiled_cache import CompiledCache
from indexnet_plugin.apis.runtimes.fusion import fuse_conv_bn
from indexnet_plugin.apis.runtimes.onnx_graph import network_to_onnx_bytes
from indexnet_plugin.apis.runtimes.openvino_network import (DYNAMIC_PIXELS,
                                                            OpenVinoNetwork,
                                                            cached_model,
                                                            read_model)

import openvino  # noqa: E402  (the [openvino] extra: fail loudly without it)

# Dynamic and static IndexNet outputs (sigmoid, 0-1): identical on the
# sizes below (2 AVX2 cores, openvino 2026.4.1: the same kernels); another
# CPU may order some sums differently. A level of the alpha is 1/255.
DYNAMIC_TOLERANCE = 1e-5


@pytest.fixture(scope='module')
def indexnet_model(host_model):
    """The host's IndexNet as the fast path converts it (cached per session)."""
    return cached_model(fuse_conv_bn(host_model.backbone), 32)


@pytest.fixture(scope='module')
def tiny_model():
    """(N, 4, H, W) -> (N, 1, H, W) in two convolutions, dynamic N, H, W."""
    torch.manual_seed(0)
    network = torch.nn.Sequential(torch.nn.Conv2d(4, 8, 3, padding=1),
                                  torch.nn.ReLU(),
                                  torch.nn.Conv2d(8, 1, 3, padding=1)).eval()
    return read_model(network_to_onnx_bytes(network, 32))


def no_compilation(monkeypatch):
    monkeypatch.setattr(openvino.Core, 'compile_model',
                        lambda *args: pytest.fail('compiled, not imported'))


def inputs(*shape, seed=0):
    return torch.rand(*shape, generator=torch.Generator().manual_seed(seed))


def test_compiled_models_are_imported_bit_identical(indexnet_model,
                                                    tmp_path, monkeypatch):
    """Both ways' compiled models are cached; a second network (a second
    run) imports them and gives the very same outputs."""
    cache = CompiledCache('indexnet', tmp_path)
    small, large = inputs(1, 4, 64, 96), inputs(1, 4, 96, 128, seed=1)
    first = OpenVinoNetwork(indexnet_model, compiled_cache=cache,
                            dynamic_pixels=64 * 96)
    expected = first(small), first(large)
    assert first.shape == (1, 4, 96, 128)  # the large one static
    blobs = sorted(p.name for p in tmp_path.iterdir())
    assert blobs == sorted(
        cache.path(key, first.config).name
        for key in ('dynamic', (1, 4, 96, 128)))
    no_compilation(monkeypatch)
    second = OpenVinoNetwork(indexnet_model, compiled_cache=cache,
                             dynamic_pixels=64 * 96)
    assert torch.equal(second(small), expected[0])
    assert torch.equal(second(large), expected[1])


@pytest.mark.parametrize('damage', ['truncated', 'zeroed'])
def test_damaged_blob_is_compiled_again_and_replaced(tiny_model, tmp_path,
                                                     monkeypatch, damage):
    cache = CompiledCache('tiny', tmp_path)
    x = inputs(1, 4, 64, 64)
    expected = OpenVinoNetwork(tiny_model, compiled_cache=cache)(x)
    (blob, ) = tmp_path.iterdir()
    data = blob.read_bytes()
    blob.write_bytes(data[:len(data) // 2] if damage == 'truncated' else
                     bytes(len(data)))
    with pytest.warns(UserWarning) as caught:
        again = OpenVinoNetwork(tiny_model, compiled_cache=cache)(x)
    (warning, ) = caught
    assert str(warning.message).startswith(
        f"cannot import the compiled model '{blob}' (")
    assert str(warning.message).endswith('); compiling it again')
    assert 'Exception from' not in str(warning.message)  # the cause only
    assert torch.equal(again, expected)
    assert blob.read_bytes() == data  # replaced
    no_compilation(monkeypatch)
    assert torch.equal(
        OpenVinoNetwork(tiny_model, compiled_cache=cache)(x), expected)


def test_least_recently_used_blobs_are_evicted(tmp_path):
    """Oldest first, until the blobs fit; other files stay."""
    for age, name in enumerate(['new', 'middle', 'old', 'oldest']):
        path = tmp_path / f'{name}.blob'
        path.write_bytes(bytes(100))
        os.utime(path, (1e9 - age, 1e9 - age))
    (tmp_path / 'graph.onnx').write_bytes(bytes(1000))
    CompiledCache('any', tmp_path, max_bytes=250).evict()
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        'graph.onnx', 'middle.blob', 'new.blob']


def test_a_hit_is_recently_used_and_saving_evicts(tiny_model, tmp_path):
    cache = CompiledCache('tiny', tmp_path)
    network = OpenVinoNetwork(tiny_model, dynamic_pixels=0,
                              compiled_cache=cache)
    shapes = [(1, 4, 32, 32), (1, 4, 32, 64), (1, 4, 64, 32)]
    for shape in shapes[:2]:
        network(inputs(*shape))
    paths = [cache.path(shape, network.config) for shape in shapes]
    for path in paths[:2]:
        os.utime(path, (1e9, 1e9))
    assert cache.load(shapes[0], network.config, 'CPU') is not None
    cache.max_bytes = sum(path.stat().st_size for path in paths[:2])
    network(inputs(*shapes[2]))  # saved: the unused shapes[1] goes
    assert [path.is_file() for path in paths] == [True, False, True]


def test_unwritable_cache_folder_warns_and_runs(tiny_model, tmp_path):
    (tmp_path / 'file').write_text('')
    cache = CompiledCache('tiny', tmp_path / 'file' / 'cache')
    with pytest.warns(UserWarning) as caught:
        output = OpenVinoNetwork(tiny_model, compiled_cache=cache)(
            inputs(1, 4, 32, 32))
    assert output.shape == (1, 1, 32, 32)
    (warning, ) = caught
    assert str(warning.message).startswith(
        "cannot cache the compiled OpenVINO model in "
        f"'{tmp_path / 'file' / 'cache'}' (")
    assert str(warning.message).endswith(
        f'set {CACHE_ENV} to a writable folder')


def test_way_chosen_by_pixels(tiny_model):
    """Dynamic up to the bound (a batch counts N * H * W, run in parts),
    static above it; each way frees the other's model first."""
    network = OpenVinoNetwork(tiny_model, dynamic_pixels=2 * 32 * 64)
    assert network.dynamic_pixels == 2 * 32 * 64
    network(inputs(2, 4, 32, 64))
    assert network.dynamic_request is not None and network.request is None
    network(inputs(1, 4, 64, 96))
    assert network.shape == (1, 4, 64, 96) and network.request is not None
    assert network.dynamic_request is None  # dropped for the 2048² peak
    network(inputs(1, 4, 32, 32))
    assert network.shape is None and network.request is None
    network.limit_dynamic_pixels(10**9)
    assert network.dynamic_pixels == DYNAMIC_PIXELS


def test_a_batch_beyond_the_bound_runs_in_parts(tiny_model, monkeypatch):
    network = OpenVinoNetwork(tiny_model, dynamic_pixels=2 * 32 * 64)
    batch = inputs(5, 4, 32, 64)
    expected = OpenVinoNetwork(tiny_model, dynamic_pixels=0)(batch)
    calls = []
    infer = ov_network._infer
    monkeypatch.setattr(
        ov_network, '_infer',
        lambda request, array: calls.append(len(array)) or infer(
            request, array))
    output = network(batch)
    assert calls == [2, 2, 1]
    assert output.shape == (5, 1, 32, 64)
    assert torch.allclose(output, expected, atol=1e-6)


def test_static_model_never_runs_dynamically(tiny_model):
    model = tiny_model.clone()
    model.reshape({0: [1, 4, 32, 32]})
    network = OpenVinoNetwork(model)
    assert network.dynamic_pixels == 0
    network(inputs(1, 4, 32, 32))
    assert network.shape == (1, 4, 32, 32)


@pytest.mark.parametrize('bound, expected', [
    (dict(max_memory=100), DYNAMIC_PIXELS),
    (dict(max_memory=0.5),
     (int(0.5 * memory.GB) - memory.FIXED_BYTES) // 1500),
    (dict(max_pixels=512 * 512, tile_size=512), 700 * 512 * 512 // 1500),
])
def test_way_bounded_by_the_memory_budget(tiny_model, host_model, bound,
                                          expected):
    """The predictor lets the dynamic model run what its budget holds at
    DYNAMIC_BYTES_PER_PIXEL; under a pixel bound, what that bound costs
    statically (openvino's 700 bytes a pixel)."""
    network = OpenVinoNetwork(tiny_model)
    MattingPredictor(network, MattingSettings.from_model(host_model),
                     memory_path='openvino', **bound)
    assert network.dynamic_pixels == expected


@pytest.mark.parametrize('sizes', [[(64, 64)], [(90, 150)],
                                   [(128, 96)] * 3])
def test_dynamic_and_static_outputs_agree(indexnet_model, host_model,
                                          sizes):
    """The network inputs the predictor makes, one image or a batch."""
    settings = MattingSettings.from_model(host_model)
    x = torch.cat([
        settings.to_network_input(*make_pair(*size, seed=i), 'cpu')
        for i, size in enumerate(sizes)
    ])
    dynamic = OpenVinoNetwork(indexnet_model)(x)
    static = OpenVinoNetwork(indexnet_model, dynamic_pixels=0)(x)
    difference = (dynamic - static).abs().max().item()
    print(f'{tuple(x.shape)}: dynamic vs static max difference '
          f'{difference:.2e}')
    assert difference <= DYNAMIC_TOLERANCE, difference
