"""Foreground estimation: colour error on composites with known foreground,
shapes and dtypes, argument validation."""
import numpy as np
import pytest

from indexnet_plugin.apis import estimate_foreground
from indexnet_plugin.apis.cutout.foreground import (foreground_error,
                                                    level_sizes)
from indexnet_plugin.datasets.comp1k.synthetic import synthetic_composite

# The bound of the issue: at most this share of the raw colours' error.
MAX_ERROR_RATIO = 0.75


def composite(index: int, height: int = 160, width: int = 192):
    # Seeds the dataset generator never uses: held-out composites.
    return synthetic_composite(
        np.random.default_rng([7777, index]), height, width)


@pytest.fixture(scope='module')
def samples():
    return [composite(i) for i in range(3)]


def test_error_well_below_the_raw_colours(samples):
    raw = estimated = 0.0
    for sample in samples:
        fg = estimate_foreground(sample.image, sample.alpha)
        raw_error = foreground_error(sample.image, sample.foreground,
                                     sample.alpha)
        error = foreground_error(fg, sample.foreground, sample.alpha)
        assert error < raw_error, (error, raw_error)
        raw += raw_error
        estimated += error
    assert estimated <= MAX_ERROR_RATIO * raw, estimated / raw


@pytest.mark.slow
def test_error_not_worse_than_pymatting(samples):
    """pymatting's estimate_foreground_ml (the same method, numba) as the
    reference; within 5 % in total (its first call compiles, hence slow)."""
    pymatting = pytest.importorskip('pymatting')
    ours = theirs = 0.0
    for sample in samples:
        reference = pymatting.estimate_foreground_ml(sample.image / 255.0,
                                                     sample.alpha / 255.0)
        reference = np.round(np.clip(reference, 0, 1) * 255).astype(np.uint8)
        theirs += foreground_error(reference, sample.foreground, sample.alpha)
        ours += foreground_error(
            estimate_foreground(sample.image, sample.alpha), sample.foreground,
            sample.alpha)
    assert ours <= 1.05 * theirs, ours / theirs


def test_error_measure():
    sample = composite(0, 64, 64)
    assert foreground_error(sample.foreground, sample.foreground,
                            sample.alpha) == 0
    partial = (sample.alpha > 0) & (sample.alpha < 255)
    # A constant offset of 10 levels in one channel: alpha-weighted sum.
    shifted = sample.foreground.astype(np.int16)
    shifted[..., 0] = np.where(shifted[..., 0] < 128, shifted[..., 0] + 10,
                               shifted[..., 0] - 10)
    expected = (sample.alpha[partial] / 255.0).sum() * 10 / 255
    assert foreground_error(
        shifted.astype(np.uint8), sample.foreground,
        sample.alpha) == pytest.approx(
            expected, rel=1e-5)


@pytest.mark.parametrize('size', [(33, 47), (1, 9), (64, 64)])
def test_shapes_dtype_and_known_pixels(size):
    rng = np.random.default_rng(0)
    image = rng.integers(0, 256, size + (3, ), dtype=np.uint8)
    alpha = rng.choice(np.array([0, 90, 255], np.uint8), size)
    fg = estimate_foreground(image, alpha)
    assert fg.shape == image.shape and fg.dtype == np.uint8
    opaque = alpha == 255
    assert np.array_equal(fg[opaque], image[opaque])


def test_uniform_foreground_is_recovered():
    """Pure colours with a soft edge: the foreground colour comes back."""
    alpha = np.tile(np.linspace(0, 255, 40).round().astype(np.uint8), (30, 1))
    fg_colour, bg_colour = np.array([30, 200, 90]), np.array([250, 20, 160])
    weight = alpha[..., None] / 255
    image = np.round(fg_colour * weight + bg_colour * (1 - weight))
    fg = estimate_foreground(image.astype(np.uint8), alpha)
    visible = alpha > 25
    assert np.abs(fg[visible].astype(int) - fg_colour).max() <= 3


def test_level_sizes():
    assert level_sizes(5, 9) == [(1, 2), (2, 3), (3, 5), (5, 9)]
    assert level_sizes(1, 2) == [(1, 2)]


@pytest.mark.parametrize('image, alpha, message', [
    (np.zeros((4, 5, 3), np.float32), np.zeros((4, 5), np.uint8),
     'image must be a uint8 array of shape (H, W, 3), got float32 (4, 5, 3)'),
    (np.zeros((4, 5), np.uint8), np.zeros((4, 5), np.uint8),
     'image must be a uint8 array of shape (H, W, 3), got uint8 (4, 5)'),
    (np.zeros((4, 5, 3), np.uint8), np.zeros((4, 6), np.uint8),
     'alpha must be a uint8 array of shape (4, 5), got uint8 (4, 6)'),
    (np.zeros((4, 5, 3), np.uint8), [[0]],
     'alpha must be a uint8 array of shape (4, 5), got list'),
])
def test_bad_arguments(image, alpha, message):
    with pytest.raises(ValueError) as error:
        estimate_foreground(image, alpha)
    assert str(error.value) == message
