"""Both augmentation schemes as config pipelines, against the host's
(MMEditing's or MMagic's)."""
import copy
import os.path as osp

import cv2
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from host_reference import HOST, PackInputs, host_config
from matting_samples import ALPHA_KINDS, make_alpha
from mmcv.transforms import Compose
from mmengine.config import Config
from mmengine.registry import init_default_scope

import indexnet_plugin  # noqa: F401  (registration)

KEYS = ['alpha', 'merged', 'fg', 'bg']
ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIGS = {  # scheme: (the host's config, ours)
    'indexnet': ('indexnet_mobv2_1xb16-78k_comp1k.py', 'indexnet_mobv2.py'),
    'dim': ('indexnet_mobv2-dimaug_1xb16-78k_comp1k.py',
            'indexnet_mobv2_dimaug.py'),
}
SCHEMES = sorted(CONFIGS)
MATTING_STEPS = ('GenerateTrimapWithDistTransform', 'CropAroundUnknown',
                 'GenerateTrimap')


def reference_pipeline(scheme):
    """The training pipeline of the host's config of ``scheme``."""
    path = host_config('indexnet', CONFIGS[scheme][0])
    return Config.fromfile(path).train_pipeline


def ours(pipeline):
    """``pipeline`` with its matting steps taken from indexnet_plugin and
    the host's packing by the name our configs use."""
    pipeline = copy.deepcopy(pipeline)
    for step in pipeline:
        if step['type'] in MATTING_STEPS:
            step['type'] = f'indexnet_plugin.{step["type"]}'
        if step['type'] == PackInputs.__name__:
            step['type'] = 'indexnet_plugin.PackInputs'
    return pipeline


def scaled(pipeline, crop_sizes=(32, 48, 64), size=32, load=True):
    """``pipeline`` scaled down to tiny samples, without packing (and
    without loading unless ``load``)."""
    pipeline = copy.deepcopy(pipeline[:-1])
    for step in pipeline:
        if step['type'].endswith('CropAroundUnknown'):
            step['crop_sizes'] = list(crop_sizes)
        if step['type'] == 'Resize':
            step['scale'] = (size, size)
    return pipeline if load else pipeline[4:]


@pytest.fixture(autouse=True)
def host_scope():
    init_default_scope(HOST)


def run(pipeline, sample, seed):
    np.random.seed(seed)
    return Compose(pipeline)(copy.deepcopy(sample))


@pytest.mark.parametrize('scheme', SCHEMES)
def test_scheme_equals_host(scheme, comp1k_sample):
    reference = reference_pipeline(scheme)
    for seed in range(6):
        out = run(scaled(ours(reference)), comp1k_sample, seed)
        ref = run(scaled(reference), comp1k_sample, seed)
        assert out['crop_bbox'] == tuple(int(v) for v in ref['crop_bbox'])
        assert out['flip_infos'] == ref['flip_infos']
        for key in KEYS:
            assert out[key].shape == (32, 32, 1 if key == 'alpha' else 3)
            np.testing.assert_array_equal(out[key], ref[key], err_msg=key)
        # The host decides pixels at distance exactly dist_thr by float noise
        # (see test_trimap); ours makes them unknown. Nothing else differs.
        same = out['trimap'] == ref['trimap']
        tie = ~same & (out['trimap'] == 128)
        assert (same | tie).all() and tie.mean() < 0.02
        assert out['trimap'].shape == (32, 32, 1)


@pytest.mark.parametrize('scheme', SCHEMES)
def test_repo_config_equals_host_config(scheme, comp1k_sample):
    """configs/ of this repository train on the host's samples (full crop
    sizes, so the tiny sample is upscaled first)."""
    config = Config.fromfile(osp.join(ROOT, 'configs', CONFIGS[scheme][1]))
    assert config.train_pipeline == ours(reference_pipeline(scheme))
    for seed in range(2):
        out = run(config.train_pipeline[:-1], comp1k_sample, seed)
        ref = run(reference_pipeline(scheme)[:-1], comp1k_sample, seed)
        for key in KEYS:
            np.testing.assert_array_equal(out[key], ref[key], err_msg=key)
        assert out['trimap'].shape == (320, 320, 1)


@pytest.mark.parametrize('scheme', SCHEMES)
def test_scheme_packs(scheme, comp1k_sample):
    pipeline = scaled(ours(reference_pipeline(scheme)))
    packed = run(pipeline + [dict(type='indexnet_plugin.PackInputs')],
                 comp1k_sample, 0)
    assert tuple(packed['inputs'].shape) == (3, 32, 32)
    sample = packed['data_samples']
    assert tuple(sample.gt_alpha.data.shape) == (1, 32, 32)
    trimap = sample.trimap.data
    assert tuple(trimap.shape) == (1, 32, 32)
    assert set(trimap.unique().tolist()) <= {0, 128, 255}


@pytest.mark.parametrize('scheme', SCHEMES)
def test_same_seed_same_sample(scheme, comp1k_sample):
    pipeline = scaled(ours(reference_pipeline(scheme)))
    first, second = (run(pipeline, comp1k_sample, 4) for _ in range(2))
    for key in KEYS + ['trimap']:
        np.testing.assert_array_equal(first[key], second[key])


@pytest.mark.parametrize('scheme', SCHEMES)
def test_16_bit_png_loads_as_8_bit(scheme, comp1k_sample):
    # LoadImageFromFile(color_type='grayscale'/'color') decodes 16-bit PNGs
    # to 8 bits (value >> 8), so the pipeline sees the same sample
    pipeline = scaled(ours(reference_pipeline(scheme)))
    out8 = run(pipeline, comp1k_sample, 1)
    for key in KEYS:
        path = comp1k_sample[f'{key}_path']
        image = cv2.imread(path, cv2.IMREAD_UNCHANGED).astype(np.uint16)
        cv2.imwrite(path, image * 257)
    out16 = run(pipeline, comp1k_sample, 1)
    for key in KEYS + ['trimap']:
        np.testing.assert_array_equal(out16[key], out8[key])


def test_16_bit_alpha_loaded_unchanged_is_rejected(comp1k_sample):
    path = comp1k_sample['alpha_path']
    cv2.imwrite(path,
                cv2.imread(path, cv2.IMREAD_UNCHANGED).astype(np.uint16) * 257)
    pipeline = scaled(ours(reference_pipeline('indexnet')))
    pipeline[0]['color_type'] = 'unchanged'
    with pytest.raises(ValueError, match='got dtype uint16'):
        run(pipeline, comp1k_sample, 0)


@settings(max_examples=25, deadline=None)
@given(
    scheme=st.sampled_from(SCHEMES),
    h=st.integers(5, 50),
    w=st.integers(5, 50),
    seed=st.integers(0, 2**16),
    kind=st.sampled_from(ALPHA_KINDS),
    crop_sizes=st.lists(st.integers(4, 40), min_size=1, max_size=3))
def test_keys_stay_aligned(scheme, h, w, seed, kind, crop_sizes):
    """merged = alpha * fg + (1 - alpha) * bg holds after every step.

    fg and bg are constant per channel, (255, 0, c) and (0, 255, c), so that
    merged is (alpha, 255 - alpha, c): any interpolation with weights summing
    to one maps it to the same function of the interpolated alpha, clipping
    included, and only OpenCV's uint8 rounding remains, up to 1 grey level
    between alpha and 255 - alpha per interpolation; there are two when the
    image is upscaled to the crop before the final resize, hence <= 2. A
    crop, flip or resize that treated merged and alpha differently would
    break it by far more.
    """
    alpha = make_alpha(h, w, seed, kind)
    c = seed % 256
    fg = np.empty((h, w, 3), np.uint8)
    bg = np.empty((h, w, 3), np.uint8)
    fg[...], bg[...] = (255, 0, c), (0, 255, c)
    merged = np.dstack([alpha, 255 - alpha, np.full_like(alpha, c)])
    sample = dict(alpha=alpha, fg=fg, bg=bg, merged=merged)
    pipeline = scaled(
        ours(reference_pipeline(scheme)), crop_sizes, size=16, load=False)
    out = run(pipeline, sample, seed)
    a = out['alpha'].astype(np.float64) / 255
    expected = a * out['fg'] + (1 - a) * out['bg']
    assert np.abs(out['merged'] - expected).max() <= 2 + 1e-9
    trimap = out['trimap']
    assert set(np.unique(trimap)) <= {0, 128, 255}
    if scheme == 'dim':  # generated after the last resize
        assert (trimap[(out['alpha'] > 0) & (out['alpha'] < 255)] == 128).all()
