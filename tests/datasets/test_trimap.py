"""Trimap generation: parity with the host (MMEditing 1.0.0rc7 or MMagic
1.2.0), invariants, errors."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from host_reference import transforms

from indexnet_plugin.datasets.transforms import (
    GenerateTrimap, GenerateTrimapWithDistTransform)

MMGenerateTrimap = transforms.GenerateTrimap
MMGenerateTrimapWithDistTransform = transforms.GenerateTrimapWithDistTransform
from indexnet_plugin.datasets.transforms.functional import (
    trimap_by_distance, trimap_by_morphology)

from matting_samples import ALPHA_KINDS, make_alpha

SIZES = [(1, 1), (7, 5), (33, 64), (64, 33), (50, 50)]
HYPOTHESIS = settings(max_examples=25, deadline=None)
alphas = st.builds(make_alpha, st.integers(1, 40), st.integers(1, 40),
                   st.integers(0, 2**16), st.sampled_from(ALPHA_KINDS))


def run_both(ours, theirs, alpha, seed):
    """The trimaps of both transforms for the same seed."""
    np.random.seed(seed)
    out = ours(dict(alpha=alpha.copy()))['trimap']
    np.random.seed(seed)
    ref = theirs(dict(alpha=alpha.copy()))['trimap']
    return out, ref


def squared_distance_to_unknown(alpha):
    """Brute-force squared distance of each pixel to the nearest fractional
    alpha pixel (inf without one), shaped like alpha."""
    ys, xs, _ = np.nonzero((alpha > 0) & (alpha < 255))
    if not len(ys):
        return np.full(alpha.shape, np.inf)
    yy, xx = np.mgrid[:alpha.shape[0], :alpha.shape[1]]
    squared = (yy[..., None] - ys)**2 + (xx[..., None] - xs)**2
    return squared.min(axis=-1).reshape(alpha.shape)


def assert_trimap_of(trimap, alpha):
    """Values in {0, 128, 255}, shape of alpha, fractional alpha unknown,
    opaque/transparent alpha never on the wrong side."""
    assert trimap.dtype == np.uint8 and trimap.shape == alpha.shape
    assert set(np.unique(trimap)) <= {0, 128, 255}
    fractional = (alpha > 0) & (alpha < 255)
    assert (trimap[fractional] == 128).all()
    assert not (trimap[alpha == 0] == 255).any()
    assert not (trimap[alpha == 255] == 0).any()


class TestGenerateTrimapWithDistTransform:

    @pytest.mark.parametrize('kind', ALPHA_KINDS)
    @pytest.mark.parametrize('size', SIZES)
    @pytest.mark.parametrize('random', [True, False])
    def test_equals_mmedit(self, kind, size, random):
        # mmedit thresholds OpenCV's float distances, whose noise decides
        # pixels at distance exactly thr (7 comes out as 7 or 7.0000005);
        # everywhere else both must agree exactly
        alpha = make_alpha(*size, seed=sum(size), kind=kind)
        for seed in range(3):
            out, ref = run_both(
                GenerateTrimapWithDistTransform(7, random=random),
                MMGenerateTrimapWithDistTransform(7, random=random), alpha,
                seed)
            sampler = GenerateTrimapWithDistTransform(7, random=random)
            np.random.seed(seed)
            thr, = sampler._sample()
            tie = squared_distance_to_unknown(alpha) == thr * thr
            assert (out[tie] == 128).all()
            np.testing.assert_array_equal(out[~tie], ref[~tie])

    @HYPOTHESIS
    @given(alpha=alphas, thr=st.one_of(st.integers(0, 25), st.floats(0, 25)))
    def test_invariants(self, alpha, thr):
        trimap = trimap_by_distance(alpha, thr)
        assert_trimap_of(trimap, alpha)
        # the band is exactly the pixels within thr of a fractional pixel
        if ((alpha > 0) & (alpha < 255)).any():
            np.testing.assert_array_equal(
                trimap == 128,
                squared_distance_to_unknown(alpha) <= thr * thr)
        else:
            np.testing.assert_array_equal(trimap, alpha)

    def test_same_seed_same_sample(self):
        alpha = make_alpha(40, 30, seed=0)
        transform = GenerateTrimapWithDistTransform(20)
        out = [run_both(transform, transform, alpha, 5)[0] for _ in range(2)]
        np.testing.assert_array_equal(*out)

    def test_float_alpha_as_uint8(self):
        alpha = make_alpha(20, 30, seed=1)
        np.testing.assert_array_equal(
            trimap_by_distance(alpha.astype(np.float32), 3),
            trimap_by_distance(alpha, 3))

    def test_repr(self):
        assert repr(GenerateTrimapWithDistTransform(dist_thr=10)) == (
            'GenerateTrimapWithDistTransform(dist_thr=10, random=True)')

    @pytest.mark.parametrize('dist_thr, random, message', [
        (0, False, 'dist_thr must be an int >= 1 when random=False, '
         'but got 0'),
        (1, True, 'dist_thr must be an int >= 2 when random=True, '
         'but got 1'),
        (2.5, True, 'dist_thr must be an int >= 2 when random=True, '
         'but got 2.5'),
    ])
    def test_invalid_arguments(self, dist_thr, random, message):
        with pytest.raises(ValueError) as error:
            GenerateTrimapWithDistTransform(dist_thr, random)
        assert str(error.value) == message


class TestGenerateTrimap:

    @pytest.mark.parametrize('kind', ALPHA_KINDS)
    @pytest.mark.parametrize('size', SIZES)
    def test_random_equals_mmedit(self, kind, size):
        alpha = make_alpha(*size, seed=sum(size), kind=kind)
        for seed in range(3):
            out, ref = run_both(
                GenerateTrimap((1, 30), iterations=(1, 3)),
                MMGenerateTrimap((1, 30), iterations=(1, 3)), alpha, seed)
            np.testing.assert_array_equal(out, ref)

    @pytest.mark.parametrize('sizes', [(1, 1), (3, 9), (29, 2)])
    @pytest.mark.parametrize('iterations', [(1, 1), (2, 3)])
    def test_fixed_equals_mmedit(self, sizes, iterations):
        alpha = make_alpha(40, 31, seed=2)
        out, ref = run_both(
            GenerateTrimap(sizes, iterations, random=False),
            MMGenerateTrimap(sizes, iterations, random=False), alpha, 0)
        np.testing.assert_array_equal(out, ref)

    def test_fixed_int_kernel_is_both_sizes(self):
        alpha = make_alpha(40, 31, seed=2)
        out = GenerateTrimap(5, random=False)(dict(alpha=alpha))['trimap']
        np.testing.assert_array_equal(out, trimap_by_morphology(alpha, 5, 5))

    @HYPOTHESIS
    @given(
        alpha=alphas, sizes=st.tuples(st.integers(1, 15), st.integers(1, 15)))
    def test_invariants(self, alpha, sizes):
        assert_trimap_of(trimap_by_morphology(alpha, *sizes), alpha)

    def test_kernel_one_is_identity_band(self):
        # a 1 x 1 kernel changes nothing: unknown is exactly fractional alpha
        alpha = make_alpha(30, 30, seed=4)
        trimap = trimap_by_morphology(alpha, 1, 1)
        np.testing.assert_array_equal(trimap == 128,
                                      (alpha > 0) & (alpha < 255))

    def test_same_seed_same_sample(self):
        alpha = make_alpha(40, 30, seed=0)
        transform = GenerateTrimap((1, 30))
        out = [run_both(transform, transform, alpha, 9)[0] for _ in range(2)]
        np.testing.assert_array_equal(*out)

    def test_deterministic_part_alone(self):
        # the sampled choices alone fix the trimap
        alpha = make_alpha(40, 30, seed=0)
        transform = GenerateTrimap((1, 30))
        np.random.seed(1)
        choices = transform._sample()
        np.random.seed(1)
        out = transform(dict(alpha=alpha))['trimap']
        np.testing.assert_array_equal(out,
                                      trimap_by_morphology(alpha, *choices))

    def test_repr(self):
        assert repr(GenerateTrimap((1, 30))) == (
            'GenerateTrimap(kernel_size=(1, 30), iterations=(1, 2), '
            'random=True)')
        assert repr(GenerateTrimap(3, 2, random=False)) == (
            'GenerateTrimap(kernel_size=(3, 3), iterations=(2, 2), '
            'random=False)')

    @pytest.mark.parametrize('kwargs, message', [
        (dict(kernel_size=0), 'kernel_size must be an int >= 1 or a pair of '
         'ints >= 1, but got (0, 1)'),
        (dict(kernel_size=(1, 2, 3)), 'kernel_size must be an int >= 1 or a '
         'pair of ints >= 1, but got (1, 2, 3)'),
        (dict(kernel_size=(5, 5)), 'kernel_size must be a range (min, max) '
         'with min < max when random=True, but got (5, 5)'),
        (dict(kernel_size=3, iterations='2'), "iterations must be an int >= "
         "1 or a pair of ints >= 1, but got '2'"),
    ])
    def test_invalid_arguments(self, kwargs, message):
        with pytest.raises(ValueError) as error:
            GenerateTrimap(**kwargs)
        assert str(error.value) == message


@pytest.mark.parametrize(
    'transform',
    [GenerateTrimap(
        (1, 30)), GenerateTrimapWithDistTransform(20)])
class TestAlphaInputs:

    def test_2d_alpha_gives_2d_trimap(self, transform):
        alpha = make_alpha(20, 30, seed=0)[..., 0]
        assert transform(dict(alpha=alpha))['trimap'].shape == (20, 30)

    def test_rgba_alpha_rejected(self, transform):
        with pytest.raises(ValueError) as error:
            transform(dict(alpha=np.zeros((4, 5, 4), np.uint8)))
        assert str(error.value) == (
            '"alpha" must be a single-channel (H, W) or (H, W, 1) array, but '
            "got shape (4, 5, 4); load it with color_type='grayscale'")

    def test_16_bit_alpha_rejected(self, transform):
        with pytest.raises(ValueError) as error:
            transform(dict(alpha=np.zeros((4, 5, 1), np.uint16)))
        assert str(error.value) == (
            '"alpha" must be uint8 or float with values in [0, 255], but got '
            "dtype uint16 (a 16-bit PNG loaded with color_type='unchanged'? "
            "load it with color_type='grayscale')")

    def test_float_alpha_out_of_range_rejected(self, transform):
        with pytest.raises(
                ValueError,
                match=r'values in \[0, 255\], but got '
                r'values in \[0.0, 256.0\]'):
            transform(dict(alpha=np.array([[0., 256.]])))

    def test_input_not_mutated(self, transform):
        alpha = make_alpha(20, 30, seed=0)
        results = dict(alpha=alpha.copy())
        transform(results)
        np.testing.assert_array_equal(results['alpha'], alpha)
