"""Inference API: parity with mmedit, fast path, batching, tiling, formats."""
import numpy as np
import pytest
import torch
from helpers.images import SIZE, make_pair
from helpers.models import host_indexnet, host_test_step_alpha

from indexnet_plugin.apis import (MattingPredictor, MattingSettings,
                                  build_fast_network, fuse_conv_bn,
                                  init_predictor)
from indexnet_plugin.apis.inference.tiling import tile_layout
from indexnet_plugin.apis.runtimes.cache import network_key
from indexnet_plugin.apis.runtimes.onnxruntime_network import OnnxNetwork

TOLERANCE = 1e-4


@pytest.mark.parametrize('test_cfg', [
    dict(resize_method='interp', resize_mode='bicubic', size_divisor=32),
    dict(resize_method='pad', resize_mode='reflect', size_divisor=32),
])
def test_pre_and_post_processing_equal_mmedit(test_cfg):
    """Same network: our alpha is mmedit's test_step alpha, to the level."""
    model = host_indexnet(test_cfg=test_cfg)
    predictor = MattingPredictor(model.backbone,
                                 MattingSettings.from_model(model))
    for height, width in [SIZE, (64, 96), (97, 161)]:
        image, trimap = make_pair(height, width, seed=height)
        expected = host_test_step_alpha(model, image, trimap)
        alpha = predictor.predict(image, trimap)
        assert alpha.dtype == np.uint8 and alpha.shape == (height, width)
        assert np.array_equal(alpha, expected), np.abs(
            alpha.astype(int) - expected).max()


def test_known_regions_written_back(reference_predictor, pair):
    image, trimap = pair
    alpha = reference_predictor.predict(image, trimap)
    assert (alpha[trimap == 0] == 0).all()
    assert (alpha[trimap == 255] == 255).all()
    unknown = alpha[trimap == 128]
    assert 0 < unknown.std()  # a real prediction, not a constant


def test_plugin_model_from_checkpoint_matches_mmedit(host_model, checkpoint,
                                                     pair):
    """init_predictor(default config, old-format checkpoint) == mmedit."""
    image, trimap = pair
    predictor = init_predictor(None, checkpoint, fast=False)
    expected = host_test_step_alpha(host_model, image, trimap)
    difference = np.abs(predictor.predict(image, trimap).astype(int) -
                        expected)
    assert difference.max() <= 1, difference.max()


def test_fuse_conv_bn(host_model):
    network = host_model.backbone
    fused = fuse_conv_bn(network)
    assert not any(
        isinstance(m, torch.nn.BatchNorm2d) for m in fused.modules())
    assert any(isinstance(m, torch.nn.BatchNorm2d) for m in network.modules())
    inputs = torch.randn(1, 4, 96, 128, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        difference = (fused(inputs) - network(inputs)).abs().max().item()
    assert difference <= TOLERANCE, difference


@pytest.fixture(scope='module')
def fast_network(host_model):
    return build_fast_network(host_model.backbone, backend='onnxruntime')


def test_fast_network_is_onnxruntime(fast_network):
    assert fast_network.backend == 'onnxruntime'
    assert isinstance(fast_network.network, OnnxNetwork)
    options = fast_network.network.session.get_session_options()
    # Threads follow torch (1 in these tests); no memory pattern (it doubled
    # peak memory on the second call), arena kept (faster).
    assert options.intra_op_num_threads == torch.get_num_threads() == 1
    assert not options.enable_mem_pattern and options.enable_cpu_mem_arena


def test_fast_network_graph_is_cached_and_repaired(fast_network, host_model,
                                                   onnx_cache_dir,
                                                   monkeypatch):
    """A second build loads the cached graph; a damaged one is re-exported."""
    network = fuse_conv_bn(host_model.backbone)
    path = onnx_cache_dir / f'{network_key(network, 32)}.onnx'
    assert path.is_file()
    with monkeypatch.context() as patch:
        patch.setattr(
            'indexnet_plugin.apis.runtimes.cache.network_to_onnx_bytes',
            lambda *args: pytest.fail('exported again'))
        assert build_fast_network(
            host_model.backbone,
            backend='onnxruntime').backend == 'onnxruntime'
    graph = path.read_bytes()
    path.write_bytes(graph[:len(graph) // 2])  # as if a disk filled up
    rebuilt = build_fast_network(host_model.backbone, backend='onnxruntime')
    assert rebuilt.backend == 'onnxruntime'
    assert path.stat().st_size == len(graph)


def test_fast_path_equals_plain(fast_network, host_model,
                                reference_predictor):
    fast = MattingPredictor(fast_network, reference_predictor.settings)
    for height, width in [SIZE, (150, 70)]:
        image, trimap = make_pair(height, width, seed=width)
        plain = reference_predictor.predict(image, trimap, as_float=True)
        alpha = fast.predict(image, trimap, as_float=True)
        difference = np.abs(alpha - plain).max()
        assert difference <= TOLERANCE, difference


def test_batch_equals_one_by_one(reference_predictor):
    # 100x130 and 120x150 share the 96x128 network input; 70x90 does not.
    sizes = [(100, 130), (70, 90), (120, 150), (100, 130)]
    pairs = [make_pair(h, w, seed=i) for i, (h, w) in enumerate(sizes)]
    images, trimaps = zip(*pairs)
    batched = reference_predictor.predict_batch(images, trimaps, as_float=True)
    for (image, trimap), alpha in zip(pairs, batched):
        single = reference_predictor.predict(image, trimap, as_float=True)
        assert alpha.shape == trimap.shape
        difference = np.abs(alpha - single).max()
        assert difference <= 1e-5, difference  # float rounding only


def test_batch_size_and_pixel_cap(host_model):
    calls = []

    def network(inputs):
        calls.append(inputs.shape[0])
        return host_model.backbone(inputs)

    predictor = MattingPredictor(
        network, MattingSettings.from_model(host_model), batch_size=3,
        max_pixels=96 * 128 * 2, tile_size=96, tile_overlap=32)
    pairs = [make_pair(*SIZE, seed=i) for i in range(5)]
    predictor.predict_batch(*zip(*pairs))
    assert calls == [2, 2, 1]


def test_tile_layout_covers_with_overlap_and_fewest_smallest_tiles():
    assert tile_layout(2048, 1280, 256, 32) == (1152, [0, 896])
    assert tile_layout(1024, 1280, 256, 32) == (1024, [0])
    for tile, overlap in [(1280, 256), (1024, 256), (128, 32), (96, 64)]:
        for length in range(32, 4000, 32):
            side, starts = tile_layout(length, tile, overlap, 32)
            count = len(starts)
            assert side <= min(tile, length) and side % 32 == 0
            assert starts[0] == 0 and starts[-1] + side == length
            assert (side - np.diff(starts) >= overlap).all()
            if count > 1:
                # One tile fewer cannot cover the length with that overlap,
                # and tiles 32 pixels smaller would not overlap enough.
                assert (count - 1) * tile - (count - 2) * overlap < length
                assert count * (side - 32) - (count - 1) * overlap < length


def test_tiling_difference_to_whole_image(host_model, reference_predictor):
    """Tiled vs whole-image alpha on a 256x320 input in 128-pixel tiles.

    Measured with these random weights: mean absolute difference over the
    unknown region below 1e-4, maximum 0.13 (near tile borders). The bound
    leaves room for other weights; a seam or misplaced tile gives far more.
    """
    image, trimap = make_pair(256, 320, seed=3)
    tiled = MattingPredictor(host_model.backbone,
                             reference_predictor.settings,
                             max_pixels=128 * 128, tile_size=128,
                             tile_overlap=64)
    whole = reference_predictor.predict(image, trimap, as_float=True)
    alpha = tiled.predict(image, trimap, as_float=True)
    unknown = trimap == 128
    difference = np.abs(alpha - whole)[unknown]
    print(f'tiling difference: mean {difference.mean():.4f} '
          f'max {difference.max():.4f}')
    assert difference.mean() < 0.05
    assert np.array_equal(alpha[~unknown], whole[~unknown])


def test_tiles_without_unknown_pixels_are_skipped(host_model,
                                                  reference_predictor):
    calls = []

    def network(inputs):
        calls.append(tuple(inputs.shape))
        return host_model.backbone(inputs)

    tiled = MattingPredictor(network, reference_predictor.settings,
                             max_pixels=128 * 128, tile_size=128,
                             tile_overlap=32)
    image, trimap = make_pair(256, 256)
    trimap[:] = 0
    trimap[10:20, 10:20] = 128  # unknown pixels in the top-left tile only
    alpha = tiled.predict(image, trimap)
    assert calls == [(1, 4, 128, 128)]
    assert (alpha[trimap == 0] == 0).all()


def test_arrays_16_bit_and_rgba_follow_the_documented_rules(
        reference_predictor, pair):
    image, trimap = pair
    expected = reference_predictor.predict(image, trimap)
    wide = image.astype(np.uint16) * 257
    rgba = np.dstack((image, np.full(trimap.shape, 7, np.uint8)))
    assert np.array_equal(reference_predictor.predict(wide, trimap), expected)
    assert np.array_equal(reference_predictor.predict(rgba, trimap), expected)
    assert np.array_equal(
        reference_predictor.predict(image, trimap.astype(np.uint16) * 257),
        expected)


def test_paths_equal_arrays(reference_predictor, pair, tmp_path):
    import cv2
    image, trimap = pair
    cv2.imwrite(str(tmp_path / 'i.png'), image)
    cv2.imwrite(str(tmp_path / 't.png'), trimap)
    assert np.array_equal(
        reference_predictor.predict(tmp_path / 'i.png', str(tmp_path / 't.png')),
        reference_predictor.predict(image, trimap))


@pytest.mark.parametrize('kwargs, message', [
    (dict(tile_size=100), 'tile_size must be a positive multiple of 32, got 100'),
    (dict(tile_overlap=1280), 'tile_overlap must be in [0, 1280), got 1280'),
    (dict(max_pixels=10), 'max_pixels must be at least tile_size**2 = 1638400, got 10'),
    (dict(batch_size=0), 'batch_size must be >= 1, got 0'),
])
def test_predictor_arguments_validated(reference_predictor, kwargs, message):
    with pytest.raises(ValueError) as error:
        MattingPredictor(reference_predictor.network,
                         reference_predictor.settings, **kwargs)
    assert str(error.value) == message


def test_settings_validated():
    with pytest.raises(ValueError, match="resize_method must be one of "
                       r"\('interp', 'pad'\), got 'crop'"):
        MattingSettings((0, 0, 0), (1, 1, 1), True, 255.0, 'crop', 'x', 32)
