"""A fault in one pair costs only that pair: indexnet-predict reports it on
one line, writes the others, exits 1 and leaves no partial file; Ctrl-C
exits 130; predict_batch keeps the other images' alphas."""
import errno
import os
import sys

import cv2
import numpy as np
import pytest

from indexnet_plugin import fileio
from indexnet_plugin.apis import BatchPredictionError, MattingInputError
from indexnet_plugin.apis.cli import reporting
from indexnet_plugin.apis.inference import outputs as outputs_module
from indexnet_plugin.apis.loading import spec as spec_module
from indexnet_plugin.apis.cli.predict import main
from indexnet_plugin.apis.runtimes import selection

STEMS = ('a', 'b', 'c', 'd', 'e', 'f')
# Sides that are not multiples of 32; 'c' alone has a 96x128 network input.
SIZES = dict(a=(70, 90), b=(72, 95), c=(100, 130), d=(80, 75), e=(66, 70),
             f=(75, 85))


@pytest.fixture
def six_pairs(tmp_path, pair):
    images, trimaps = tmp_path / 'images', tmp_path / 'trimaps'
    images.mkdir()
    trimaps.mkdir()
    image, trimap = pair
    for stem in STEMS:
        height, width = SIZES[stem]
        cv2.imwrite(str(images / f'{stem}.png'), image[:height, :width])
        cv2.imwrite(str(trimaps / f'{stem}.png'), trimap[:height, :width])
    return tmp_path


@pytest.fixture
def folder(six_pairs):
    return six_pairs


@pytest.fixture
def run(six_pairs, checkpoint):
    """indexnet-predict on the six pairs with extra flags."""

    def run_with(*extra, fast=False):
        return main([
            str(six_pairs / 'images'),
            str(six_pairs / 'trimaps'), '--checkpoint',
            str(checkpoint), '-o',
            str(six_pairs / 'out'), '--quiet', *extra,
            *([] if fast else ['--no-fast'])
        ])

    return run_with


def outputs(folder):
    """Every file in the output folder, hidden temporaries included."""
    return sorted(os.listdir(folder / 'out'))


def test_unwritable_output_of_one_pair(folder, run, capsys):
    (folder / 'out').mkdir()
    (folder / 'out' / 'c.png').mkdir()  # a folder where the alpha goes
    assert run() == 1
    assert capsys.readouterr().err.strip().splitlines() == [
        f"error: image '{folder / 'images' / 'c.png'}': cannot write "
        f"'{folder / 'out' / 'c.png'}': Is a directory"
    ]
    assert outputs(folder) == [f'{s}.png' for s in STEMS]
    assert os.listdir(folder / 'out' / 'c.png') == []


def test_full_disk_for_one_pair(folder, run, capsys, monkeypatch):
    replace = os.replace

    def full_disk_for_b(partial, target):
        if os.path.basename(target) == 'b_rgba.png':
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        replace(partial, target)

    monkeypatch.setattr(fileio.os, 'replace', full_disk_for_b)
    assert run('--rgba') == 1
    assert capsys.readouterr().err.strip().splitlines() == [
        f"error: image '{folder / 'images' / 'b.png'}': cannot write "
        f"'{folder / 'out' / 'b_rgba.png'}': No space left on device"
    ]
    expected = [f'{s}{k}.png' for s in STEMS for k in ('', '_rgba')]
    expected.remove('b_rgba.png')
    assert outputs(folder) == sorted(expected)


def test_prediction_error_for_one_pair(folder, run, capsys, monkeypatch):
    init_predictor = spec_module.init_predictor

    def failing_on_c(*args, **kwargs):
        predictor = init_predictor(*args, **kwargs)
        network = predictor.network

        def run_network(inputs):
            if inputs.shape[-2:] == (96, 128):  # only c's network input
                raise RuntimeError('simulated failure')
            return network(inputs)

        predictor.network = run_network
        return predictor

    monkeypatch.setattr(spec_module, 'init_predictor', failing_on_c)
    assert run('--batch-size', '6') == 1
    assert capsys.readouterr().err.strip().splitlines() == [
        f"error: image '{folder / 'images' / 'c.png'}': RuntimeError: "
        'simulated failure'
    ]
    assert outputs(folder) == [f'{s}.png' for s in STEMS if s != 'c']


def test_foreground_estimation_error_and_memory_error(
        folder, run, capsys, monkeypatch):
    estimate = outputs_module.estimate_foreground

    def failing(image, alpha):
        if image.shape[:2] == SIZES['d']:
            raise MemoryError()
        return estimate(image, alpha)

    monkeypatch.setattr(outputs_module, 'estimate_foreground', failing)
    assert run('--rgba') == 1
    assert capsys.readouterr().err.strip().splitlines() == [
        f"error: image '{folder / 'images' / 'd.png'}': out of memory"
    ]
    assert 'd_rgba.png' not in outputs(folder)
    assert 'e_rgba.png' in outputs(folder)


def test_ctrl_c_stops_cleanly(folder, run, capsys, monkeypatch):
    calls = []
    estimate = outputs_module.estimate_foreground

    def interrupted_at_the_third(image, alpha):
        calls.append(image.shape)
        if len(calls) == 3:
            raise KeyboardInterrupt
        return estimate(image, alpha)

    monkeypatch.setattr(outputs_module, 'estimate_foreground',
                        interrupted_at_the_third)
    assert run('--rgba', '--batch-size', '2') == reporting.EXIT_INTERRUPTED
    assert capsys.readouterr().err.strip().splitlines() == [
        'error: interrupted; the files written are complete (atomic writes), '
        'the rest are not written'
    ]
    # The third pair's alpha was complete before the cut-out was
    # interrupted; no temporary or partial file anywhere.
    assert outputs(folder) == ['a.png', 'a_rgba.png', 'b.png', 'b_rgba.png',
                               'c.png']
    for name in outputs(folder):
        assert cv2.imread(str(folder / 'out' / name)) is not None


@pytest.mark.parametrize('flags, message', [
    (['--device', 'cuda'],
     "--device 'cuda' is not available here; available: cpu"),
    (['--device', 'banana'],
     "--device 'banana' is not a torch device; available here: cpu"),
    (['--max-megapixels', '0'], '--max-megapixels must be positive, got 0'),
    (['--max-megapixels', '0.5'],
     '--max-megapixels must be at least --tile-size squared (1.6384), got '
     '0.5'),
    (['--max-memory', '-1'], '--max-memory must be positive, got -1'),
    (['--max-memory', '2', '--max-megapixels', '4'],
     'give --max-memory or --max-megapixels, not both'),
    (['--batch-size', '0'], '--batch-size must be at least 1, got 0'),
    (['--tile-size', '10', '--max-megapixels', '1'],
     '--tile-size must be a positive multiple of 32, got 10'),
    (['--tile-overlap', '1280', '--max-megapixels', '2'],
     '--tile-overlap must be in [0, 1280), got 1280'),
])
def test_bad_flags_are_one_line_naming_the_flag(run, capsys, flags,
                                                message):
    assert run(*flags) == reporting.EXIT_FATAL
    assert capsys.readouterr().err.strip() == f'error: {message}'


def test_predict_batch_keeps_the_others(reference_predictor, pair,
                                        monkeypatch):
    image, trimap = pair
    images = [image[:70, :90], image[:66, :70], image[:75, :85]]
    trimaps = [trimap[:70, :90], trimap[:40, :70], trimap[:75, :85]]
    expected = [reference_predictor.predict(images[0], trimaps[0]),
                reference_predictor.predict(images[2], trimaps[2])]
    with pytest.raises(BatchPredictionError) as failed:
        reference_predictor.predict_batch(images, trimaps)
    assert list(failed.value.errors) == [1]
    assert isinstance(failed.value.errors[1], MattingInputError)
    assert str(failed.value) == (
        '1 of 3 images failed: trimap array is 40x70 (HxW) but image array '
        'is 66x70, expected the same size')
    assert failed.value.alphas[1] is None
    for got, want in zip(failed.value.alphas[::2], expected):
        assert np.array_equal(got, want)
    # One image alone raises its own error, as before.
    with pytest.raises(MattingInputError, match='expected the same size'):
        reference_predictor.predict(images[1], trimaps[1])


def test_backend_is_for_the_fast_network(run, capsys):
    assert run('--backend', 'torch') == reporting.EXIT_FATAL
    assert capsys.readouterr().err.strip() == (
        'error: --backend torch runs the fast network; leave out --no-fast')


def test_missing_openvino_is_one_warning_line(run, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, 'openvino', None)  # import fails
    assert run('--backend', 'openvino', '--verbose', '--max-megapixels', '2',
               fast=True) == 0
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 2, lines
    assert lines[0].startswith('warning: fast path: openvino not installed (')
    assert lines[0].endswith('); running onnxruntime')
    assert lines[1] == (
        'info: network: onnxruntime; whole images up to 2.00 megapixels '
        '(network input), larger ones in tiles of at most 1280x1280')


def test_a_bug_in_prediction_is_not_an_image_failure(reference_predictor,
                                                     pair, monkeypatch):
    """Only what runtimes raise (RuntimeError, MemoryError, ...) fails one
    image; a programming error surfaces as itself."""
    def buggy_network(inputs):
        raise TypeError('a bug')

    monkeypatch.setattr(reference_predictor, 'network', buggy_network)
    with pytest.raises(TypeError, match='a bug'):
        reference_predictor.predict_batch([pair[0]], [pair[1]])


def test_a_bug_in_a_fast_variant_is_not_a_fallback(host_model, monkeypatch):
    def buggy_variant(variant, *args):
        raise AttributeError(f'a bug in {variant}')

    monkeypatch.setattr(selection, '_build_variant', buggy_variant)
    with pytest.raises(AttributeError, match='a bug in onnxruntime'):
        selection.build_fast_network(host_model.backbone,
                                     backend='onnxruntime')


def test_a_runtime_failure_of_a_fast_variant_is_a_fallback(host_model,
                                                           monkeypatch):
    def failing_variant(variant, fused, *args):
        if variant == 'onnxruntime':
            raise RuntimeError('simulated export failure')
        return fused

    monkeypatch.setattr(selection, '_build_variant', failing_variant)
    with pytest.warns(selection.FastPathWarning,
                      match='onnxruntime failed .simulated export failure.; '
                      'running torchscript'):
        fast = selection.build_fast_network(host_model.backbone,
                                            backend='onnxruntime')
    assert fast.backend == 'torchscript'
