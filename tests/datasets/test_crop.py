"""CropAroundUnknown: parity with the host (MMEditing 1.0.0rc7 or MMagic
1.2.0), invariants, errors."""
import copy

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from host_reference import transforms
from matting_samples import ALPHA_KINDS, composite, make_sample

from indexnet_plugin.datasets.transforms import CropAroundUnknown
from indexnet_plugin.datasets.transforms.functional import (nth_nonzero,
                                                            resize,
                                                            size_covering_crop,
                                                            trimap_by_distance)

MMCropAroundUnknown = transforms.CropAroundUnknown
KEYS = ['alpha', 'merged', 'fg', 'bg', 'trimap']
INTERPOLATIONS = ['bicubic', 'bicubic', 'bicubic', 'bicubic', 'nearest']
HYPOTHESIS = settings(max_examples=25, deadline=None)


def sample_with_trimap(h, w, seed, kind='blob'):
    sample = make_sample(h, w, seed, kind)
    sample['trimap'] = trimap_by_distance(sample['alpha'], 3)
    return sample


def run_both(kwargs, sample, seed):
    """Outputs of ours and mmedit's transform for the same seed."""
    outputs = []
    for cls in (CropAroundUnknown, MMCropAroundUnknown):
        np.random.seed(seed)
        outputs.append(cls(**kwargs)(copy.deepcopy(sample)))
    return outputs


def assert_same(out, ref, keys):
    assert out['crop_bbox'] == tuple(int(v) for v in ref['crop_bbox'])
    for key in keys:
        assert out[key].dtype == ref[key].dtype, key
        np.testing.assert_array_equal(out[key], ref[key], err_msg=key)


class TestCropAroundUnknown:

    # sizes below, between and above the crop sizes, odd and non-square
    @pytest.mark.parametrize('size', [(9, 13), (17, 40), (40, 17), (33, 33),
                                      (61, 47)])
    @pytest.mark.parametrize('kind', ALPHA_KINDS)
    @pytest.mark.parametrize('source', ['alpha', 'trimap'])
    def test_equals_mmedit(self, size, kind, source):
        sample = sample_with_trimap(*size, seed=sum(size), kind=kind)
        kwargs = dict(
            keys=KEYS,
            crop_sizes=[16, (20, 11), 32],
            unknown_source=source,
            interpolations=INTERPOLATIONS)
        for seed in range(4):
            out, ref = run_both(kwargs, sample, seed)
            assert_same(out, ref, KEYS)

    def test_equals_mmedit_single_interpolation(self):
        sample = sample_with_trimap(9, 12, seed=0)
        out, ref = run_both(
            dict(keys=KEYS[:4], crop_sizes=[16]), sample, seed=0)
        assert_same(out, ref, KEYS[:4])

    def test_rgba_and_grayscale_images(self):
        sample = make_sample(20, 30, seed=1)
        sample['fg'] = np.dstack([sample['fg'], sample['alpha']])  # RGBA
        sample['bg'] = sample['bg'][..., :1]  # grayscale (H, W, 1)
        kwargs = dict(
            keys=['alpha', 'fg', 'bg'],
            crop_sizes=[12, 40],
            interpolations='bicubic')
        for seed in range(4):
            out, ref = run_both(kwargs, sample, seed)
            assert_same(out, ref, kwargs['keys'])
            assert out['fg'].shape[2] == 4 and out['bg'].shape[2] == 1

    @HYPOTHESIS
    @given(
        h=st.integers(1, 40),
        w=st.integers(1, 40),
        seed=st.integers(0, 2**16),
        kind=st.sampled_from(ALPHA_KINDS),
        crop=st.tuples(st.integers(1, 30), st.integers(1, 30)))
    def test_invariants(self, h, w, seed, kind, crop):
        sample = make_sample(h, w, seed, kind)
        keys = ['alpha', 'merged', 'fg', 'bg']
        np.random.seed(seed)
        out = CropAroundUnknown(keys, [crop])(copy.deepcopy(sample))
        # every key has the crop size
        for key in keys:
            assert out[key].shape[:2] == crop
        # the crop contains an unknown pixel if the (upscaled) alpha has one
        alpha = out['alpha']
        size = size_covering_crop((h, w), crop)
        scaled = resize(sample['alpha'], size, 'bilinear')
        if ((scaled > 0) & (scaled < 255)).any():
            assert ((alpha > 0) & (alpha < 255)).any()
        if size == (h, w):
            # no interpolation: keys stay aligned up to merged's rounding
            residual = out['merged'] - composite(alpha, out['fg'], out['bg'])
            assert np.abs(residual).max() <= 0.5 + 1e-9

    def test_same_seed_same_sample(self):
        sample = make_sample(50, 40, seed=2)
        transform = CropAroundUnknown(['alpha', 'fg'], [8, 16, 24])
        outputs = []
        for _ in range(2):
            np.random.seed(7)
            outputs.append(transform(copy.deepcopy(sample)))
        assert_same(*outputs, ['alpha', 'fg'])

    def test_deterministic_part_alone(self):
        # the crop only depends on the sampled size and centre
        sample = make_sample(50, 40, seed=2)
        transform = CropAroundUnknown(['alpha'], [8, 16, 24])
        np.random.seed(3)
        (crop_h, crop_w), (row, col) = transform._sample(sample)
        top = min(max(row - crop_h // 2, 0), 50 - crop_h)
        left = min(max(col - crop_w // 2, 0), 40 - crop_w)
        np.random.seed(3)
        out = transform(copy.deepcopy(sample))
        assert out['crop_bbox'] == (left, top, left + crop_w, top + crop_h)

    @pytest.mark.parametrize('kind', ['zeros', 'ones', 'binary'])
    def test_no_unknown_pixel_crops_top_left(self, kind):
        sample = make_sample(30, 20, seed=0, kind=kind)
        sample['alpha_path'] = 'a/b.png'
        out = CropAroundUnknown(['alpha'], [10])(sample)
        assert out['crop_bbox'] == (0, 0, 10, 10)

    @pytest.mark.parametrize('size', [(10, 10), (40, 40)])
    def test_inputs_not_mutated(self, size):
        sample = make_sample(*size, seed=0)
        arrays = dict(sample)
        before = copy.deepcopy(sample)
        CropAroundUnknown(['alpha', 'fg'], [20])(sample)
        for key, array in arrays.items():
            np.testing.assert_array_equal(array, before[key])

    def test_nth_nonzero_is_nonzero_order(self):
        rng = np.random.default_rng(0)
        mask = (rng.random((13, 7)) < 0.3).astype(np.uint8)
        rows, cols = np.nonzero(mask)
        for index in range(len(rows)):
            assert nth_nonzero(mask, index) == (rows[index], cols[index])

    def test_mismatched_sizes(self):
        sample = make_sample(10, 12, seed=0)
        sample['bg'] = sample['bg'][:, :11]
        with pytest.raises(ValueError) as error:
            CropAroundUnknown(['alpha', 'fg', 'bg'], [5])(sample)
        assert str(error.value) == (
            'keys must have the same height and width, but got "alpha": '
            '(10, 12, 1), "fg": (10, 12, 3), "bg": (10, 11, 3)')

    def test_missing_key(self):
        with pytest.raises(KeyError, match=r"missing keys \['fg'\]"):
            CropAroundUnknown(['alpha', 'fg'], [5])(
                dict(alpha=np.zeros((5, 5, 1), np.uint8)))

    def test_invalid_trimap_values(self):
        sample = sample_with_trimap(10, 12, seed=0)
        sample['trimap'][0, :3, 0] = [1, 2, 1]
        with pytest.raises(ValueError) as error:
            CropAroundUnknown(['alpha', 'trimap'], [5],
                              unknown_source='trimap')(
                                  sample)
        assert str(error.value) == ('"trimap" must only contain the values '
                                    '(0, 128, 255), but got also [1, 2]')

    def test_16_bit_alpha(self):
        with pytest.raises(ValueError, match='got dtype uint16'):
            CropAroundUnknown(['alpha'], [5])(
                dict(alpha=np.zeros((5, 5, 1), np.uint16)))

    def test_repr(self):
        transform = CropAroundUnknown(['alpha', 'trimap'], [320, (480, 240)],
                                      interpolations=['bicubic', 'nearest'])
        assert repr(transform) == (
            "CropAroundUnknown(keys=['alpha', 'trimap'], crop_sizes=[(320, "
            "320), (480, 240)], unknown_source='alpha', "
            "interpolations=['bicubic', 'nearest'])")

    @pytest.mark.parametrize('kwargs, message', [
        (dict(keys=['fg'], crop_sizes=[3]), 'keys must be a list containing '
         '"alpha" (the unknown_source), but got [\'fg\']'),
        (dict(keys=['alpha'], crop_sizes=[3], unknown_source='fg'),
         'unknown_source must be "alpha" or "trimap", but got \'fg\''),
        (dict(keys=['alpha'], crop_sizes=320),
         'crop_sizes must be a non-empty list, but got 320'),
        (dict(keys=['alpha'], crop_sizes=[0]),
         'crop_sizes must hold positive ints or (h, w) pairs of them, but '
         'got 0'),
        (dict(keys=['alpha'], crop_sizes=[3], interpolations='cubic'),
         "interpolations must be one of ['area', 'bicubic', 'bilinear', "
         "'lanczos', 'nearest'] or a list of them as long as keys (1), but "
         "got ['cubic']"),
        (dict(
            keys=['alpha', 'fg'], crop_sizes=[3], interpolations=['nearest']),
         "interpolations must be one of ['area', 'bicubic', 'bilinear', "
         "'lanczos', 'nearest'] or a list of them as long as keys (2), but "
         "got ['nearest']"),
    ])
    def test_invalid_arguments(self, kwargs, message):
        with pytest.raises(ValueError) as error:
            CropAroundUnknown(**kwargs)
        assert str(error.value) == message
