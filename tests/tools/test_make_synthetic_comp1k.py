"""Tests of the synthetic Comp-1k download generator."""
import os
import os.path as osp

import cv2
import numpy as np
import pytest

from indexnet_plugin.datasets.comp1k import (SPLITS, make_synthetic_comp1k,
                                             trimap_from_alpha)
from indexnet_plugin.datasets.comp1k.compositing import composite
from indexnet_plugin.datasets.comp1k.synthetic import synthetic_composite

ADOBE = 'Adobe-licensed images'


def read_tree(root: str) -> dict:
    """Relative path -> bytes of every file under root."""
    tree = {}
    for folder, _, files in os.walk(root):
        for name in files:
            path = osp.join(folder, name)
            with open(path, 'rb') as f:
                tree[osp.relpath(path, root)] = f.read()
    return tree


def read_lines(path: str) -> list:
    with open(path) as f:
        return f.read().splitlines()


class TestLayout:

    def test_roots_and_name_lists(self, default_download):
        root, coco, voc = default_download
        assert coco == osp.join(root, 'coco')
        assert voc == osp.join(root, 'VOCdevkit')
        combined = osp.join(root, 'Combined_Dataset')
        train_fg = read_lines(
            osp.join(combined, 'Training_set', 'training_fg_names.txt'))
        train_bg = read_lines(
            osp.join(combined, 'Training_set', 'training_bg_names.txt'))
        test_fg = read_lines(
            osp.join(combined, 'Test_set', 'test_fg_names.txt'))
        test_bg = read_lines(
            osp.join(combined, 'Test_set', 'test_bg_names.txt'))
        assert len(train_fg) == 4 and len(train_bg) == 8
        assert len(test_fg) == 2 and len(test_bg) == 4
        assert all(n.startswith('COCO_train2014_') for n in train_bg)
        assert len(set(train_bg)) == 8 and len(set(test_bg)) == 4
        for name in train_bg:
            assert osp.isfile(osp.join(coco, 'train2014', name)), name
        for name in test_bg:
            assert osp.isfile(osp.join(voc, 'VOC2012', 'JPEGImages',
                                       name)), name

    def test_foregrounds_in_both_source_folders(self, default_download):
        split = osp.join(default_download.adobe_root, 'Combined_Dataset',
                         'Training_set')
        names = read_lines(osp.join(split, 'training_fg_names.txt'))
        folders = {}
        for name in names:
            found = [
                d for d in (ADOBE, 'Other')
                if osp.isfile(osp.join(split, d, 'fg', name))
            ]
            assert len(found) == 1, (name, found)
            assert osp.isfile(osp.join(split, found[0], 'alpha', name))
            folders[name] = found[0]
        assert set(folders.values()) == {ADOBE, 'Other'}
        # the download also holds JPEG foreground/alpha pairs
        assert any(n.endswith('.jpg') for n in names)

    def test_sizes_mattes_and_trimaps(self, default_download):
        split = osp.join(default_download.adobe_root, 'Combined_Dataset',
                         'Test_set')
        names = read_lines(osp.join(split, 'test_fg_names.txt'))
        for i, name in enumerate(names):
            fg = cv2.imread(osp.join(split, ADOBE, 'fg', name))
            alpha = cv2.imread(osp.join(split, ADOBE, 'alpha', name), 0)
            h, w = alpha.shape
            assert fg.shape == (h, w, 3)
            assert 320 <= h <= 400 and 320 <= w <= 480 and h != w
            if i == 0:
                assert h % 2 == 1 and w % 2 == 1, (h, w)
            soft = (alpha > 0) & (alpha < 255)
            # solid core, clear background and a real share of soft alpha
            assert (alpha == 255).mean() > 0.05
            assert (alpha == 0).mean() > 0.3
            assert soft.mean() > 0.05
            # one trimap per composite, unknown wherever alpha is fractional
            for j in range(2):
                stem = name[:-len('.png')]
                trimap = cv2.imread(
                    osp.join(split, ADOBE, 'trimaps', f'{stem}_{j}.png'), 0)
                assert set(np.unique(trimap)) == {0, 128, 255}
                assert (trimap[soft] == 128).all()
                assert (alpha[trimap == 255] == 255).all()
                assert (alpha[trimap == 0] == 0).all()

    def test_hair_and_veil_have_one_colour(self, default_download):
        """Where the matte is not opaque the foreground is one colour with
        grain (sigma 8); the opaque body stays textured."""
        split = osp.join(default_download.adobe_root, 'Combined_Dataset',
                         'Test_set', ADOBE)
        for name in read_lines(
                osp.join(split, '..', 'test_fg_names.txt')):
            fg = cv2.imread(osp.join(split, 'fg', name)).astype(float)
            alpha = cv2.imread(osp.join(split, 'alpha', name), 0)
            soft = fg[(alpha > 0) & (alpha < 255)]
            assert (soft.std(0) < 10).all(), soft.std(0)
            assert fg[alpha == 255].std(0).max() > 20

    def test_first_background_is_smaller_than_its_foreground(
            self, default_download):
        """So preparation exercises the protocol's upscaling."""
        split = osp.join(default_download.adobe_root, 'Combined_Dataset',
                         'Training_set')
        name = read_lines(osp.join(split, 'training_fg_names.txt'))[0]
        bg_name = read_lines(osp.join(split, 'training_bg_names.txt'))[0]
        fg = cv2.imread(osp.join(split, ADOBE, 'fg', name))
        bg = cv2.imread(
            osp.join(default_download.coco_root, 'train2014', bg_name))
        assert bg.shape[0] < fg.shape[0] and bg.shape[1] < fg.shape[1]


class TestDeterminism:

    def test_same_seed_same_bytes(self, tmp_path, make_small_download):
        make_small_download(str(tmp_path / 'a'))
        make_small_download(str(tmp_path / 'b'))
        a, b = read_tree(str(tmp_path / 'a')), read_tree(str(tmp_path / 'b'))
        # training: 2 fg + 2 alpha + 4 COCO + 2 lists;
        # test: 1 fg + 1 alpha + 2 trimaps + 2 VOC + 2 lists
        assert len(a) == 10 + 8
        assert a == b

    def test_other_seed_other_images(self, tmp_path):
        make_synthetic_comp1k(
            str(tmp_path / 'a'),
            seed=0,
            num_train_fg=1,
            num_test_fg=1,
            min_size=(64, 64),
            max_size=(64, 64))
        make_synthetic_comp1k(
            str(tmp_path / 'b'),
            seed=1,
            num_train_fg=1,
            num_test_fg=1,
            min_size=(64, 64),
            max_size=(64, 64))
        a, b = read_tree(str(tmp_path / 'a')), read_tree(str(tmp_path / 'b'))
        assert a.keys() == b.keys()
        images = [k for k in a if not k.endswith('.txt')]
        assert all(a[k] != b[k] for k in images)

    def test_images_do_not_depend_on_the_counts(self, tmp_path):
        small = make_synthetic_comp1k(
            str(tmp_path / 'a'),
            num_train_fg=1,
            num_test_fg=1,
            min_size=(64, 64),
            max_size=(80, 80))
        big = make_synthetic_comp1k(
            str(tmp_path / 'b'),
            num_train_fg=2,
            num_test_fg=1,
            min_size=(64, 64),
            max_size=(80, 80))
        a, b = read_tree(small.adobe_root), read_tree(big.adobe_root)
        shared = [k for k in a if not k.endswith('.txt')]
        assert all(a[k] == b[k] for k in shared)


class TestValidation:

    @pytest.mark.parametrize(
        'key',
        ['num_train_fg', 'train_bg_per_fg', 'num_test_fg', 'test_bg_per_fg'])
    def test_counts(self, tmp_path, key):
        with pytest.raises(ValueError) as error:
            make_synthetic_comp1k(str(tmp_path), **{key: 0})
        assert str(error.value) == f'{key} must be a positive int, but got 0'

    @pytest.mark.parametrize('min_size,max_size', [((400, 320), (320, 480)),
                                                   ((32, 320), (400, 480))])
    def test_sizes(self, tmp_path, min_size, max_size):
        with pytest.raises(ValueError) as error:
            make_synthetic_comp1k(
                str(tmp_path), min_size=min_size, max_size=max_size)
        assert str(error.value) == (
            'min_size and max_size must be (height, width) pairs with '
            f'64 <= min_size <= max_size, but got {min_size} and {max_size}')
        assert not os.listdir(tmp_path)


def test_trimap_from_alpha():
    alpha = np.zeros((11, 11), np.uint8)
    alpha[3:8, 3:8] = 255
    alpha[5, 8] = 100  # one fractional pixel on the right edge
    trimap = trimap_from_alpha(alpha, band=1)
    # the 5x5 opaque block eroded by one pixel
    assert (trimap[4:7, 4:7] == 255).all() and (trimap == 255).sum() == 9
    assert trimap[5, 8] == 128 and trimap[5, 10] == 0
    assert trimap[0, 0] == 0 and trimap[2, 5] == 128
    assert set(np.unique(trimap)) == {0, 128, 255}


def test_split_table():
    assert SPLITS['training'].source_dirs == (ADOBE, 'Other')
    assert SPLITS['test'].source_dirs == (ADOBE, )
    assert SPLITS['test'].has_trimaps and not SPLITS['training'].has_trimaps


def test_synthetic_composite_has_its_ground_truth():
    """Held-out composites for foreground estimation: the image is the
    Comp-1k blend of its foreground and background, the same seed gives the
    same composite, and the matte has a semi-transparent region."""
    sample = synthetic_composite(np.random.default_rng(5), 90, 110)
    again = synthetic_composite(np.random.default_rng(5), 90, 110)
    for array, same in zip(sample, again):
        assert np.array_equal(array, same)
    assert sample.image.shape == sample.foreground.shape == (90, 110, 3)
    assert sample.alpha.shape == (90, 110)
    assert np.array_equal(
        sample.image,
        composite(sample.foreground, sample.background, sample.alpha))
    partial = (sample.alpha > 0) & (sample.alpha < 255)
    assert 0.01 < partial.mean() < 0.9
    # The foreground is not the background: the raw colours are wrong there.
    assert np.abs(sample.foreground.astype(int) -
                  sample.background).mean() > 20
