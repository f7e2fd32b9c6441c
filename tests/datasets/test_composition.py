"""Composition transforms: parity with the host (MMEditing 1.0.0rc7 or MMagic
1.2.0), errors."""
import copy
import os

import cv2
import numpy as np
import pytest
from host_reference import transforms
from matting_samples import make_alpha, make_sample

from indexnet_plugin.datasets.transforms import (CompositeFg, MergeFgAndBg,
                                                 PerturbBg, RandomLoadResizeBg)

MMCompositeFg = transforms.CompositeFg
MMMergeFgAndBg = transforms.MergeFgAndBg
MMPerturbBg = transforms.PerturbBg
MMRandomLoadResizeBg = transforms.RandomLoadResizeBg


def run_both(ours, theirs, sample, seed):
    outputs = []
    for transform in (ours, theirs):
        np.random.seed(seed)
        outputs.append(transform(copy.deepcopy(sample)))
    return outputs


def assert_same(out, ref, keys):
    for key in keys:
        assert out[key].dtype == ref[key].dtype, key
        np.testing.assert_array_equal(out[key], ref[key], err_msg=key)


@pytest.fixture
def fg_alpha_dirs(tmp_path):
    """Two fg/alpha directories with pairs of various sizes."""
    dirs = []
    for d, sizes in enumerate([[(12, 9), (30, 41)], [(20, 20)]]):
        fg_dir, alpha_dir = tmp_path / f'fg{d}', tmp_path / f'alpha{d}'
        fg_dir.mkdir()
        alpha_dir.mkdir()
        for i, (h, w) in enumerate(sizes):
            sample = make_sample(h, w, seed=10 * d + i)
            cv2.imwrite(str(fg_dir / f'{i}.png'), sample['fg'])
            cv2.imwrite(str(alpha_dir / f'{i}.png'), sample['alpha'])
        dirs.append((str(fg_dir), str(alpha_dir)))
    return [d[0] for d in dirs], [d[1] for d in dirs]


class TestCompositeFg:

    @pytest.mark.parametrize('interpolation', ['nearest', 'bilinear'])
    def test_equals_mmedit(self, fg_alpha_dirs, interpolation):
        ours = CompositeFg(*fg_alpha_dirs, interpolation=interpolation)
        theirs = MMCompositeFg(*fg_alpha_dirs, interpolation=interpolation)
        composited = 0
        for seed in range(12):
            sample = make_sample(16, 24, seed=seed)
            out, ref = run_both(ours, theirs, sample, seed)
            composited += out['fg'].dtype == np.float64
            if interpolation == 'nearest':
                assert_same(out, ref, ['fg', 'alpha'])
            else:
                # ours resizes alpha in [0, 255] then scales, mmedit scales
                # then resizes: both float64, 1e-12 of a grey level apart
                assert_same(out, ref,
                            ['fg'] if out['fg'].dtype == np.uint8 else [])
                np.testing.assert_allclose(
                    out['alpha'], ref['alpha'], rtol=0, atol=1e-9)
                np.testing.assert_allclose(
                    out['fg'], ref['fg'], rtol=0, atol=1e-9)
        assert 0 < composited < 12

    def test_opaque_result_is_not_composited(self, fg_alpha_dirs):
        sample = make_sample(16, 24, seed=0, kind='ones')
        transform = CompositeFg(*fg_alpha_dirs, prob=1)
        out = transform(copy.deepcopy(sample))
        np.testing.assert_array_equal(out['fg'], sample['fg'])
        assert out['alpha'].dtype == np.float64

    def test_alpha_stays_in_range(self, fg_alpha_dirs):
        transform = CompositeFg(*fg_alpha_dirs, prob=1)
        for seed in range(5):
            np.random.seed(seed)
            out = transform(make_sample(16, 24, seed=seed, kind='noise'))
            assert 0 <= out['alpha'].min() and out['alpha'].max() <= 255
            assert out['alpha'].shape == (16, 24, 1)

    def test_unpaired_names(self, fg_alpha_dirs):
        fg_dirs, alpha_dirs = fg_alpha_dirs
        os.rename(
            os.path.join(alpha_dirs[1], '0.png'),
            os.path.join(alpha_dirs[1], 'x.png'))
        with pytest.raises(ValueError) as error:
            CompositeFg(fg_dirs, alpha_dirs)
        assert str(error.value) == (
            f"{fg_dirs[1]!r} (1 images) and {alpha_dirs[1]!r} (1 images) "
            "must hold the same file names, but these are unpaired: "
            "['0', 'x']")

    def test_mismatched_pair_sizes(self, fg_alpha_dirs):
        fg_dirs, alpha_dirs = fg_alpha_dirs
        cv2.imwrite(os.path.join(alpha_dirs[1], '0.png'), make_alpha(5, 5, 0))
        transform = CompositeFg(fg_dirs[1], alpha_dirs[1], prob=1)
        with pytest.raises(
                ValueError,
                match=r'"\S*0.png": \(20, 20, 3\), '
                r'"\S*0.png": \(5, 5\)'):
            transform(make_sample(8, 8, seed=0))

    def test_undecodable_file(self, fg_alpha_dirs):
        fg_dirs, alpha_dirs = fg_alpha_dirs
        path = os.path.join(fg_dirs[1], '0.png')
        with open(path, 'wb') as file:
            file.write(b'not a png')
        transform = CompositeFg(fg_dirs[1], alpha_dirs[1], prob=1)
        with pytest.raises(ValueError) as error:
            transform(make_sample(8, 8, seed=0))
        assert str(error.value) == f'cannot decode {path!r} as an image'

    def test_repr(self, fg_alpha_dirs):
        fg_dirs, alpha_dirs = fg_alpha_dirs
        assert repr(CompositeFg(fg_dirs[0], alpha_dirs[0])) == (
            f'CompositeFg(fg_dirs={fg_dirs[:1]!r}, '
            f"alpha_dirs={alpha_dirs[:1]!r}, interpolation='nearest', "
            'prob=0.5)')

    @pytest.mark.parametrize('kwargs, message', [
        (dict(interpolation='cubic'), "interpolation must be one of ['area', "
         "'bicubic', 'bilinear', 'lanczos', 'nearest'], but got 'cubic'"),
        (dict(prob=1.5), 'prob must be in [0, 1], but got 1.5'),
    ])
    def test_invalid_arguments(self, fg_alpha_dirs, kwargs, message):
        with pytest.raises(ValueError) as error:
            CompositeFg(*fg_alpha_dirs, **kwargs)
        assert str(error.value) == message

    def test_dirs_must_pair(self, fg_alpha_dirs):
        with pytest.raises(ValueError, match='must be as many directories'):
            CompositeFg(fg_alpha_dirs[0], fg_alpha_dirs[1][:1])


class TestMergeFgAndBg:

    @pytest.mark.parametrize('kind', ['blob', 'zeros', 'ones'])
    def test_equals_mmedit(self, kind):
        sample = make_sample(13, 17, seed=0, kind=kind)
        out, ref = run_both(MergeFgAndBg(), MMMergeFgAndBg(), sample, 0)
        assert_same(out, ref, ['merged'])

    def test_float_alpha_from_composite_fg(self):
        sample = make_sample(13, 17, seed=0)
        sample['alpha'] = sample['alpha'] * 0.7
        out, ref = run_both(MergeFgAndBg(), MMMergeFgAndBg(), sample, 0)
        assert_same(out, ref, ['merged'])

    def test_2d_alpha(self):
        sample = make_sample(13, 17, seed=0)
        expected = MergeFgAndBg()(copy.deepcopy(sample))['merged']
        sample['alpha'] = sample['alpha'][..., 0]
        np.testing.assert_array_equal(MergeFgAndBg()(sample)['merged'],
                                      expected)

    def test_mismatched_shapes(self):
        sample = make_sample(13, 17, seed=0)
        sample['bg'] = sample['bg'][..., :1]
        with pytest.raises(ValueError) as error:
            MergeFgAndBg()(sample)
        assert str(error.value) == ('"fg" and "bg" must have the same shape, '
                                    'but got (13, 17, 3) and (13, 17, 1)')
        sample['bg'] = sample['fg'][1:]
        with pytest.raises(ValueError, match='"bg": \\(12, 17, 3\\)'):
            MergeFgAndBg()(sample)

    def test_repr(self):
        assert repr(MergeFgAndBg()) == 'MergeFgAndBg()'


class TestPerturbBg:

    def test_equals_mmedit(self):
        kinds = set()
        for seed in range(10):
            sample = make_sample(11, 9, seed=seed)
            out, ref = run_both(PerturbBg(), MMPerturbBg(), sample, seed)
            kinds.add(str(out['noisy_bg'].dtype))
            assert_same(out, ref, ['noisy_bg'])
        assert kinds == {'uint8', 'float64'}  # both branches ran

    def test_same_seed_same_sample(self):
        sample = make_sample(11, 9, seed=0)
        transform = PerturbBg(0.5)
        out = [run_both(transform, transform, sample, 3)[i] for i in (0, 1)]
        assert_same(*out, ['noisy_bg'])

    def test_float_bg_in_0_255(self):
        # a float background is taken in [0, 255] (mmedit would take [0, 1])
        bg = make_sample(11, 9, seed=0)['bg'].astype(np.float32)
        transform = PerturbBg(gamma_ratio=1)
        np.random.seed(0)
        kind, gamma = transform._sample(bg.shape)
        np.random.seed(0)
        out = transform(dict(bg=bg))['noisy_bg']
        assert kind == 'gamma' and out.dtype == np.float32
        np.testing.assert_allclose(out, 255 * (bg / 255)**gamma, rtol=1e-5)

    def test_repr(self):
        assert repr(PerturbBg()) == 'PerturbBg(gamma_ratio=0.6)'

    def test_invalid_argument(self):
        with pytest.raises(ValueError) as error:
            PerturbBg(-0.1)
        assert str(
            error.value) == 'gamma_ratio must be in [0, 1], but got -0.1'


class TestRandomLoadResizeBg:

    @pytest.fixture
    def bg_dir(self, tmp_path):
        for i, (h, w) in enumerate([(30, 20), (7, 11), (25, 25)]):
            cv2.imwrite(
                str(tmp_path / f'{i}.jpg'),
                make_sample(h, w, seed=i)['bg'])
        (tmp_path / 'notes.txt').write_text('not an image')
        return str(tmp_path)

    @pytest.mark.parametrize('channel_order', ['bgr', 'rgb'])
    def test_equals_mmedit(self, bg_dir, channel_order):
        ours = RandomLoadResizeBg(bg_dir, channel_order=channel_order)
        theirs = MMRandomLoadResizeBg(bg_dir, channel_order=channel_order)
        # mmedit lists in directory order (and keeps non-images); align
        theirs.bg_list = sorted(n for n in theirs.bg_list if n[-4:] == '.jpg')
        for seed in range(6):
            sample = dict(fg=np.zeros((13, 16, 3), np.uint8))
            out, ref = run_both(ours, theirs, sample, seed)
            assert_same(out, ref, ['bg'])
            assert out['bg'].shape == (13, 16, 3)

    def test_empty_dir(self, tmp_path):
        with pytest.raises(ValueError, match='no image file .* in'):
            RandomLoadResizeBg(str(tmp_path))

    def test_repr(self, bg_dir):
        assert repr(RandomLoadResizeBg(bg_dir)) == (
            f"RandomLoadResizeBg(bg_dir={bg_dir!r}, flag='color', "
            "channel_order='bgr')")

    @pytest.mark.parametrize('kwargs, message', [
        (dict(flag='colour'), "flag must be one of ['color', "
         "'color_ignore_orientation', 'grayscale', "
         "'grayscale_ignore_orientation', 'unchanged'], but got 'colour'"),
        (dict(channel_order='BGR'),
         'channel_order must be "bgr" or "rgb", but got \'BGR\''),
    ])
    def test_invalid_arguments(self, bg_dir, kwargs, message):
        with pytest.raises(ValueError) as error:
            RandomLoadResizeBg(bg_dir, **kwargs)
        assert str(error.value) == message
