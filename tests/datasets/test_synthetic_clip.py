"""The generated clip with known alpha (stability measurements of video
matting): still, moving, still; the alpha is what the frames show."""
import cv2
import numpy as np

from indexnet_plugin.datasets.comp1k.synthetic_clip import (STEP, clip_motion,
                                                            synthetic_clip)


def make(noise=3.0):
    return synthetic_clip(np.random.default_rng(0), 9, (60, 80), (40, 36),
                          noise)


def test_shapes_and_thirds():
    clip = make()
    assert len(clip.frames) == len(clip.alphas) == 9
    assert clip.frames[0].shape == (60, 80, 3) and clip.frames[0].dtype == np.uint8
    assert clip.alphas[0].shape == (60, 80) and clip.alphas[0].dtype == np.uint8
    # still, moving, still
    assert np.array_equal(clip.alphas[0], clip.alphas[2])
    assert not np.array_equal(clip.alphas[3], clip.alphas[4])
    assert np.array_equal(clip.alphas[6], clip.alphas[8])
    assert np.allclose(clip.offsets[4] - clip.offsets[3], STEP)
    # camera noise differs between frames of the still third
    assert not np.array_equal(clip.frames[0], clip.frames[1])
    assert 0 < clip.alphas[0].mean() < 255


def test_same_seed_same_clip():
    a, b = make(), make()
    assert all(np.array_equal(x, y) for x, y in zip(a.frames, b.frames))


def test_motion_maps_each_alpha_onto_the_next():
    clip = make(noise=0)
    flows = clip_motion(clip)
    assert len(flows) == 8 and flows[0].shape == (60, 80, 2)
    assert not flows[0].any() and flows[3].any()
    rows, cols = np.mgrid[:60, :80].astype(np.float32)
    inside = clip.alphas[3] > 0

    def error(flow):
        moved = cv2.remap(clip.alphas[4].astype(np.float32),
                          cols + flow[..., 0], rows + flow[..., 1],
                          cv2.INTER_LINEAR)
        return np.abs(moved[inside] - clip.alphas[3][inside]).mean()

    # Bilinear resampling twice blurs one-pixel strands: 6 levels on
    # average, against 37 without the motion (measured).
    assert error(flows[3]) < error(np.zeros_like(flows[3])) / 3
