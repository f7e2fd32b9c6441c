"""Tests of the Comp-1k preparation (library and CLI) on synthetic data."""
import importlib.util
import json
import os
import os.path as osp
import subprocess
import sys
import types

import cv2
import mmengine
import numpy as np
import pytest
from helpers.paths import REPO
from host_reference import MIM_ROOT, registry, transforms
from PIL import Image

from indexnet_plugin import fileio
from indexnet_plugin.datasets.comp1k import (Problem, composite,
                                             fit_background, prepare_comp1k)

HOST_CONVERTER = osp.join(MIM_ROOT, 'tools', 'dataset_converters', 'comp1k',
                          'preprocess_comp1k_dataset.py')
ADOBE = 'Adobe-licensed images'


def load_json(path: str) -> list:
    with open(path) as f:
        return json.load(f)


def pil_read(path: str, mode: str = 'RGB') -> np.ndarray:
    with Image.open(path) as image:
        return np.asarray(image.convert(mode))


def output_files(root: str) -> dict:
    """Relative path -> mtime of every bg / merged output."""
    found = {}
    for split in ('Training_set', 'Test_set'):
        for sub in ('bg', 'merged'):
            folder = osp.join(root, split, sub)
            for name in sorted(os.listdir(folder)):
                path = osp.join(folder, name)
                found[osp.relpath(path, root)] = os.stat(path).st_mtime_ns
    return found


class TestPureFunctions:

    def test_fit_background_upscales_by_the_larger_ratio(self):
        bg = np.random.default_rng(0).integers(0, 256, (30, 50, 3), np.uint8)
        out = fit_background(bg, 45, 40)
        # ratio = max(40 / 50, 45 / 30) = 1.5 -> 45 x 75, keep top-left
        expected = np.asarray(
            Image.fromarray(bg).resize((75, 45), Image.BICUBIC))[:45, :40]
        assert out.shape == (45, 40, 3)
        np.testing.assert_array_equal(out, expected)

    def test_fit_background_only_crops_a_covering_background(self):
        bg = np.random.default_rng(0).integers(0, 256, (60, 50, 3), np.uint8)
        np.testing.assert_array_equal(fit_background(bg, 41, 50), bg[:41])

    def test_composite_ends_and_truncation(self):
        fg = np.full((1, 4, 3), 3, np.uint8)
        bg = np.full((1, 4, 3), 200, np.uint8)
        alpha = np.array([[0, 255, 128, 51]], np.uint8)
        out = composite(fg, bg, alpha)
        assert out.dtype == np.uint8
        # 128: 3 * 128/255 + 200 * 127/255 = 101.12 -> 101
        # 51: 3 * 0.2 + 200 * 0.8 = 160.6 -> 160 (truncated, as DIM does)
        np.testing.assert_array_equal(out[0, :, 0], [200, 3, 101, 160])


class TestEndToEnd:

    def test_report_and_layout(self, prepared_root, default_download):
        training = load_json(osp.join(prepared_root, 'training_list.json'))
        test = load_json(osp.join(prepared_root, 'test_list.json'))
        assert len(training) == 8 and len(test) == 4
        assert list(training[0]) == [
            'alpha_path', 'fg_path', 'bg_path', 'merged_path'
        ]
        assert test[1] == {
            'alpha_path': f'Test_set/{ADOBE}/alpha/synthetic_test_000.png',
            'fg_path': f'Test_set/{ADOBE}/fg/synthetic_test_000.png',
            'bg_path': 'Test_set/bg/synthetic_test_000_1.png',
            'merged_path': 'Test_set/merged/synthetic_test_000_1.png',
            'trimap_path': f'Test_set/{ADOBE}/trimaps/synthetic_test_000_1.png'
        }
        # the JPEG pair of Other/ gets PNG outputs
        assert training[2]['fg_path'] == (
            'Training_set/Other/fg/synthetic_training_001.jpg')
        assert training[2]['merged_path'] == (
            'Training_set/merged/synthetic_training_001_0.png')
        for entry in training + test:
            for path in entry.values():
                assert osp.isfile(osp.join(prepared_root, path)), path
        # sources are relative links into the download
        link = osp.join(prepared_root, 'Training_set', 'Other')
        assert osp.islink(link) and not osp.isabs(os.readlink(link))
        assert osp.samefile(
            link,
            osp.join(default_download.adobe_root, 'Combined_Dataset',
                     'Training_set', 'Other'))

    def test_merged_is_the_alpha_blend(self, prepared_root):
        """merged == alpha * fg + (1 - alpha) * bg up to the truncation to
        uint8: 0 <= exact - merged < 1 everywhere (read back with OpenCV)."""
        entries = load_json(osp.join(prepared_root, 'training_list.json'))
        entries += load_json(osp.join(prepared_root, 'test_list.json'))
        worst = 0.
        for entry in entries:
            read = {k: osp.join(prepared_root, v) for k, v in entry.items()}
            fg = cv2.imread(read['fg_path']).astype(np.float64)
            bg = cv2.imread(read['bg_path']).astype(np.float64)
            merged = cv2.imread(read['merged_path']).astype(np.float64)
            alpha = cv2.imread(read['alpha_path'], 0)[..., None] / 255.
            assert fg.shape == bg.shape == merged.shape
            error = alpha * fg + (1 - alpha) * bg - merged
            assert error.min() > -1e-9, (entry, error.min())
            worst = max(worst, error.max())
        assert worst < 1, f'max |exact - merged| = {worst}'

    def test_bg_is_the_fitted_source(self, prepared_root, default_download):
        split = osp.join(default_download.adobe_root, 'Combined_Dataset',
                         'Training_set')
        with open(osp.join(split, 'training_bg_names.txt')) as f:
            bg_names = f.read().split()
        entries = load_json(osp.join(prepared_root, 'training_list.json'))
        for entry, bg_name in zip(entries, bg_names):
            source = pil_read(
                osp.join(default_download.coco_root, 'train2014', bg_name))
            fg = pil_read(osp.join(prepared_root, entry['fg_path']))
            bg = pil_read(osp.join(prepared_root, entry['bg_path']))
            np.testing.assert_array_equal(
                bg, fit_background(source, *fg.shape[:2]))

    def test_identical_to_host_converter(self, prepared_root, tmp_path):
        """The host's get_data_info (mmedit 1.0.0rc7's or mmagic 1.2.0's) on
        the same inputs gives the same entries and pixel-identical bg /
        merged images (max difference 0).

        Its module calls ``mmcv.utils.mkdir_or_exist``, which mmcv 2.0.1 no
        longer has; the test gives it mmengine's.
        """
        spec = importlib.util.spec_from_file_location('host_comp1k',
                                                      HOST_CONVERTER)
        converter = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(converter)
        converter.mmcv = types.SimpleNamespace(
            utils=types.SimpleNamespace(
                mkdir_or_exist=mmengine.mkdir_or_exist))
        data_root = str(tmp_path)
        os.makedirs(osp.join(data_root, 'Test_set'))
        os.symlink(
            osp.realpath(osp.join(prepared_root, 'Test_set', ADOBE)),
            osp.join(data_root, 'Test_set', ADOBE))
        voc = osp.realpath(
            osp.join(prepared_root, 'Test_set', 'test_bg_names.txt'))
        voc_dir = osp.join(
            osp.dirname(osp.dirname(osp.dirname(voc))), 'VOCdevkit', 'VOC2012',
            'JPEGImages')
        with open(voc) as f:
            bg_names = f.read().split()
        ours = load_json(osp.join(prepared_root, 'test_list.json'))
        for k, entry in enumerate(ours):
            alpha_file = osp.join(data_root, entry['alpha_path'])
            fg = Image.open(osp.join(data_root,
                                     entry['fg_path'])).convert('RGB')
            alpha = np.array(Image.open(alpha_file).convert('RGB')) / 255.
            theirs = converter.get_data_info(
                (osp.basename(entry['merged_path']),
                 osp.join(voc_dir, bg_names[k]),
                 (alpha, fg, entry['alpha_path'],
                  entry['fg_path']), (data_root, True, 'test')))
            assert theirs == entry
            for key in ('bg_path', 'merged_path'):
                diff = np.abs(
                    pil_read(osp.join(data_root, entry[key])).astype(int) -
                    pil_read(osp.join(prepared_root, entry[key])))
                assert diff.max() == 0, f'{key} {k}: max diff {diff.max()}'

    @pytest.mark.parametrize('split,ann_file',
                             [('training', 'training_list.json'),
                              ('test', 'test_list.json')])
    def test_host_dataset_loads_samples(self, prepared_root, split,
                                        ann_file):
        AdobeComp1kDataset = registry.DATASETS.get('AdobeComp1kDataset')
        LoadImageFromFile = transforms.LoadImageFromFile
        keys = dict(alpha='grayscale', fg='color', bg='color', merged='color')
        if split == 'test':
            keys = dict(alpha='grayscale', trimap='grayscale', merged='color')
        dataset = AdobeComp1kDataset(
            ann_file=ann_file,
            data_root=prepared_root,
            test_mode=split == 'test',
            pipeline=[
                LoadImageFromFile(key=key, color_type=color_type)
                for key, color_type in keys.items()
            ])
        assert len(dataset) == (8 if split == 'training' else 4)
        for index in (0, len(dataset) - 1):
            sample = dataset[index]
            height, width = sample['alpha'].shape[:2]
            for key, color_type in keys.items():
                channels = 1 if color_type == 'grayscale' else 3
                assert sample[key].shape == (height, width, channels), key
            np.testing.assert_array_equal(sample['merged'],
                                          cv2.imread(sample['merged_path']))


class TestResume:

    def test_second_run_skips_and_deleted_output_comes_back(
            self, default_download, tmp_path):
        out = str(tmp_path / 'out')
        first = prepare_comp1k(
            *default_download, out_root=out, nproc=2, progress=False)
        assert (first.written, first.skipped, first.problems) == (12, 0, [])
        before = output_files(out)
        assert len(before) == 24
        second = prepare_comp1k(
            *default_download, out_root=out, progress=False)
        assert (second.written, second.skipped, second.problems) == (0, 12, [])
        assert output_files(out) == before  # nothing rewritten

        victim = osp.join(out, 'Training_set', 'merged',
                          'synthetic_training_002_1.png')
        expected = pil_read(victim)
        os.remove(victim)
        third = prepare_comp1k(*default_download, out_root=out, progress=False)
        assert (third.written, third.skipped) == (1, 11)
        np.testing.assert_array_equal(pil_read(victim), expected)

    def test_interrupted_write_leaves_no_partial_file(self, tmp_path,
                                                      monkeypatch,
                                                      make_small_download):
        sources = make_small_download(str(tmp_path / 'download'))
        out = str(tmp_path / 'out')
        real_fsync = fileio.os.fsync

        def killed_midway(fd):
            raise KeyboardInterrupt  # after the bytes, before the rename

        monkeypatch.setattr(fileio.os, 'fsync', killed_midway)
        with pytest.raises(KeyboardInterrupt):
            prepare_comp1k(*sources, out_root=out, progress=False)
        for folder, _, files in os.walk(out):
            assert not [
                f for f in files if f.endswith('.png') or f.endswith('.tmp')
            ], (folder, files)
        monkeypatch.setattr(fileio.os, 'fsync', real_fsync)
        report = prepare_comp1k(*sources, out_root=out, progress=False)
        assert (report.written, report.skipped, report.problems) == (6, 0, [])


@pytest.fixture
def broken_download(tmp_path, make_small_download):
    """A small download with a missing COCO image, an unreadable alpha, a
    missing test foreground and a missing trimap."""
    sources = make_small_download(str(tmp_path / 'download'))
    train = osp.join(sources.adobe_root, 'Combined_Dataset', 'Training_set')
    test = osp.join(sources.adobe_root, 'Combined_Dataset', 'Test_set')
    broken = dict(
        coco=osp.join(sources.coco_root, 'train2014',
                      'COCO_train2014_000000000002.jpg'),
        alpha=osp.join(train, 'Other', 'alpha', 'synthetic_training_001.jpg'),
        fg=osp.join(test, ADOBE, 'fg', 'synthetic_test_000.png'),
        trimap=osp.join(test, ADOBE, 'trimaps', 'synthetic_test_000_1.png'))
    for key in ('coco', 'fg', 'trimap'):
        os.remove(broken[key])
    with open(broken['alpha'], 'wb') as f:
        f.write(b'not an image')
    return sources, broken, str(tmp_path / 'out')


class TestProblems:

    def test_collected_by_name_and_no_annotations(self, broken_download):
        sources, broken, out = broken_download
        report = prepare_comp1k(*sources, out_root=out, progress=False)
        by_path = {p.path: p.reason for p in report.problems}
        test = osp.join(sources.adobe_root, 'Combined_Dataset', 'Test_set')
        assert by_path.pop(broken['coco']) == 'missing'
        assert by_path.pop(broken['trimap']) == 'missing'
        assert by_path.pop(
            osp.join(test, '{Adobe-licensed images}', 'fg',
                     'synthetic_test_000.png')) == 'missing'
        assert by_path.pop(broken['alpha']).startswith('unreadable (')
        assert by_path == {}
        # everything else was written, for a later resumed run
        assert report.written == 1 and report.ann_files == []
        assert osp.isfile(
            osp.join(out, 'Training_set', 'merged',
                     'synthetic_training_000_0.png'))
        assert not osp.exists(osp.join(out, 'training_list.json'))
        assert not osp.exists(osp.join(out, 'test_list.json'))

    @pytest.mark.slow
    def test_cli_lists_problems_and_exits_nonzero(self, broken_download):
        sources, broken, out = broken_download
        result = subprocess.run([
            sys.executable,
            osp.join(REPO, 'tools', 'prepare_comp1k.py'), *sources, '--out',
            out, '--nproc', '2'
        ],
                                capture_output=True,
                                text=True,
                                cwd=REPO,
                                timeout=300)
        assert result.returncode == 1, result.stderr
        assert '4 problem(s)' in result.stderr
        for path in (broken['coco'], broken['alpha'], broken['trimap']):
            assert f'  {path}: ' in result.stderr, path
        assert 'synthetic_test_000.png: missing' in result.stderr
        assert '1 composites written, 0 already present' in result.stdout
        # progress bars go to stderr too
        assert 'training: 100%' in result.stderr

    def test_fg_alpha_size_mismatch(self, tmp_path, make_small_download):
        sources = make_small_download(str(tmp_path / 'download'))
        alpha = osp.join(sources.adobe_root, 'Combined_Dataset', 'Test_set',
                         ADOBE, 'alpha', 'synthetic_test_000.png')
        cv2.imwrite(alpha, np.zeros((10, 12), np.uint8))
        report = prepare_comp1k(
            *sources,
            out_root=str(tmp_path / 'out'),
            splits=['test'],
            progress=False)
        assert len(report.problems) == 1
        assert report.problems[0].path == alpha
        assert report.problems[0].reason.startswith(
            'alpha is 12x10 (width x height) but its foreground ')

    def test_bad_name_lists(self, tmp_path, make_small_download):
        sources = make_small_download(str(tmp_path / 'download'))
        names = osp.join(sources.adobe_root, 'Combined_Dataset',
                         'Training_set', 'training_bg_names.txt')
        with open(names, 'a') as f:
            f.write('COCO_train2014_000000000099.jpg\n')
        report = prepare_comp1k(
            *sources,
            out_root=str(tmp_path / 'out'),
            splits=['training'],
            progress=False)
        assert report.problems == [
            Problem(
                names, 'lists 5 backgrounds, not a positive multiple of the '
                '2 foregrounds in training_fg_names.txt')
        ]


class TestRoots:

    def test_coco2017_names_and_in_place(self, tmp_path, make_small_download):
        """COCO 2017 drops the COCO_train2014_ prefix; preparing into the
        download itself needs no links."""
        sources = make_small_download(str(tmp_path / 'download'))
        coco = osp.join(sources.coco_root, 'train2014')
        for name in os.listdir(coco):
            os.rename(
                osp.join(coco, name),
                osp.join(coco, name[len('COCO_train2014_'):]))
        os.rename(coco, osp.join(sources.coco_root, 'train2017'))
        combined = osp.join(sources.adobe_root, 'Combined_Dataset')
        report = prepare_comp1k(*sources, out_root=combined, progress=False)
        assert (report.written, report.problems) == (6, [])
        for entry in load_json(osp.join(combined, 'training_list.json')):
            assert osp.isfile(osp.join(combined, entry['merged_path']))
        assert not any(
            osp.islink(osp.join(combined, 'Training_set', d))
            for d in os.listdir(osp.join(combined, 'Training_set')))

    def test_missing_roots(self, tmp_path, make_small_download):
        sources = make_small_download(str(tmp_path / 'download'))
        with pytest.raises(FileNotFoundError, match='has neither train2014/'):
            prepare_comp1k(
                sources.adobe_root,
                str(tmp_path),
                sources.voc_root,
                out_root=str(tmp_path / 'out'))
        with pytest.raises(FileNotFoundError, match='expected the VOCdevkit'):
            prepare_comp1k(
                sources.adobe_root,
                sources.coco_root,
                str(tmp_path),
                out_root=str(tmp_path / 'out'))
        with pytest.raises(
                FileNotFoundError, match='holds neither Combined_Dataset/'):
            prepare_comp1k(
                sources.coco_root,
                sources.coco_root,
                sources.voc_root,
                out_root=str(tmp_path / 'out'))
        # the test split alone needs no COCO
        report = prepare_comp1k(
            sources.adobe_root,
            str(tmp_path),
            sources.voc_root,
            splits=['test'],
            out_root=str(tmp_path / 'out'),
            progress=False)
        assert report.written == 2 and report.problems == []

    def test_link_conflict_is_reported(self, tmp_path, make_small_download):
        sources = make_small_download(str(tmp_path / 'download'))
        out = tmp_path / 'out'
        (out / 'Test_set' / ADOBE).mkdir(parents=True)
        report = prepare_comp1k(
            *sources, out_root=str(out), splits=['test'], progress=False)
        assert [p.path
                for p in report.problems] == [str(out / 'Test_set' / ADOBE)]
        assert report.problems[0].reason.startswith(
            'exists and is not a link to ')

    @pytest.mark.parametrize('kwargs,message', [
        (dict(splits=['train']), "splits must be a non-empty subset of "
         "['test', 'training'], but got ['train']"),
        (dict(splits=[]), "splits must be a non-empty subset of "
         "['test', 'training'], but got []"),
        (dict(nproc=0), 'nproc must be a positive int, but got 0'),
    ])
    def test_bad_arguments(self, tmp_path, kwargs, message):
        with pytest.raises(ValueError) as error:
            prepare_comp1k(
                str(tmp_path), str(tmp_path), str(tmp_path), **kwargs)
        assert str(error.value) == message


def test_cli_main_in_process(default_download, tmp_path, capsys):
    spec = importlib.util.spec_from_file_location(
        'tools_prepare_comp1k', osp.join(REPO, 'tools', 'prepare_comp1k.py'))
    cli = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(cli)
    out = str(tmp_path / 'out')
    assert cli.main(
        [*default_download, '--out', out, '--splits', 'test',
         '--no-progress']) == 0
    printed = capsys.readouterr()
    assert printed.out.splitlines() == [
        '4 composites written, 0 already present',
        f'wrote {osp.join(out, "test_list.json")}'
    ]
    assert printed.err == ''
    assert cli.main([*default_download, '--nproc', '0']) == 2
    assert capsys.readouterr().err == (
        'error: nproc must be a positive int, but got 0\n')
