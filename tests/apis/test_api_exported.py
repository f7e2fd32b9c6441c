"""Exported files: tools/export_onnx.py's ONNX and OpenVINO IR, the IR
writer (save_openvino), init_exported_predictor and indexnet-predict
--model-file, fp32 and int8.

The module exports the reference weights once per format (``exported``,
through the tool as a user runs it); the writer and the int8 cases use a
one-convolution OpenVINO model that takes no time to build.
"""
import os
import runpy
import sys

import cv2
import numpy as np
import pytest
from helpers.cli import read_output
from helpers.images import make_pair
from helpers.models import PAD, host_test_step_alpha
from helpers.paths import REPO

from indexnet_plugin import fileio
from indexnet_plugin.apis import (MattingSettings, init_exported_predictor,
                                  save_openvino)
from indexnet_plugin.apis.cli.predict import main
from indexnet_plugin.apis.loading.exported import METADATA_KEY
from indexnet_plugin.apis.runtimes.selection import FastPathWarning
from indexnet_plugin.apis.runtimes.openvino_network import (DEVICE,
                                                            compile_config,
                                                            read_model)

ov = pytest.importorskip('openvino')

# Sizes of the parity tests: one image, and a batch of two images whose
# network input is the same (96x128 in interp mode).
SIZES = [[(64, 96)], [(100, 130), (110, 140)]]
SETTINGS = MattingSettings(
    mean=(123.675, 116.28, 103.53), std=(58.395, 57.12, 57.375), rgb=True,
    trimap_divisor=255.0, **PAD)


def run_export_tool(*args: str) -> None:
    """tools/export_onnx.py in the test process, as a user calls it."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(sys, 'argv', ['export_onnx.py', *map(str, args)])
        runpy.run_path(str(REPO / 'tools' / 'export_onnx.py'),
                       run_name='__main__')


@pytest.fixture(scope='module')
def exported(checkpoint, tmp_path_factory):
    """The reference weights exported once per format by the tool:
    {'xml': path, 'onnx': path}."""
    folder = tmp_path_factory.mktemp('exported')
    run_export_tool(checkpoint, folder / 'indexnet.xml')
    run_export_tool(checkpoint, folder / 'indexnet.onnx')
    assert sorted(os.listdir(folder)) == [
        'indexnet.bin', 'indexnet.onnx', 'indexnet.xml']
    return {'xml': folder / 'indexnet.xml', 'onnx': folder / 'indexnet.onnx'}


@pytest.fixture(scope='module')
def ir_predictor(exported):
    return init_exported_predictor(exported['xml'])


def one_convolution(int8: bool = False):
    """An ``openvino.Model`` (N, 4, H, W) -> (N, 1, H, W): a 3x3
    convolution; with ``int8`` quantized as NNCF quantizes one (inputs
    through a FakeQuantize, int8 weights times a scale)."""
    from openvino import opset13 as ops
    inputs = ops.parameter([-1, 4, -1, -1], np.float32, name='inputs')
    features = inputs
    weights = ops.constant(np.full((1, 4, 3, 3), 0.01, np.float32))
    if int8:
        low, high = ops.constant(np.float32(-3)), ops.constant(np.float32(3))
        features = ops.fake_quantize(inputs, low, high, low, high, 256)
        weights = ops.multiply(
            ops.convert(ops.constant(np.ones((1, 4, 3, 3), np.int8)),
                        'f32'), ops.constant(np.float32(0.01)))
    alpha = ops.convolution(features, weights, [1, 1], [1, 1], [1, 1],
                            [1, 1])
    return ov.Model([alpha], [inputs], 'one_convolution')


def pair_folders(root, sizes):
    """images/ and trimaps/ under ``root`` with one pair per size, named
    by index; returns the pairs."""
    pairs = [make_pair(h, w, seed=i) for i, (h, w) in enumerate(sizes)]
    for folder in ('images', 'trimaps'):
        (root / folder).mkdir()
    for index, (image, trimap) in enumerate(pairs):
        cv2.imwrite(str(root / 'images' / f'{index}.png'), image)
        cv2.imwrite(str(root / 'trimaps' / f'{index}.png'), trimap)
    return pairs


def assert_hosts_alpha(predictor, host_model, reference_predictor, sizes):
    """A batch's alphas are test_step's within 1 level, and before rounding
    those of the host's network within 1e-4."""
    pairs = [make_pair(h, w, seed=i) for i, (h, w) in enumerate(sizes)]
    alphas = predictor.predict_batch(*zip(*pairs))
    for (image, trimap), alpha in zip(pairs, alphas):
        expected = host_test_step_alpha(host_model, image, trimap)
        difference = np.abs(alpha.astype(int) - expected).max()
        assert difference <= 1, difference
    image, trimap = pairs[0]
    difference = np.abs(
        predictor.predict(image, trimap, as_float=True) -
        reference_predictor.predict(image, trimap, as_float=True)).max()
    assert difference <= 1e-4, difference


@pytest.mark.parametrize('sizes', SIZES)
def test_ir_alpha_is_the_hosts_within_one_level(ir_predictor, host_model,
                                                reference_predictor, sizes):
    assert (ir_predictor.backend, ir_predictor.precision) == ('openvino',
                                                              'fp32')
    assert ir_predictor.memory_path == 'openvino'
    assert ir_predictor.settings == MattingSettings.from_model(host_model)
    assert_hosts_alpha(ir_predictor, host_model, reference_predictor, sizes)


@pytest.mark.parametrize('backend, runs', [('auto', 'openvino'),
                                           ('openvino', 'openvino'),
                                           ('onnxruntime', 'onnxruntime')])
def test_onnx_on_either_runtime(exported, host_model, reference_predictor,
                                backend, runs):
    predictor = init_exported_predictor(exported['onnx'], backend)
    assert (predictor.backend, predictor.precision) == (runs, 'fp32')
    assert predictor.memory_path == runs  # the runtime's cost per pixel
    assert predictor.settings == MattingSettings.from_model(host_model)
    assert_hosts_alpha(predictor, host_model, reference_predictor, SIZES[1])


def test_onnx_without_openvino_runs_onnxruntime_with_one_line(
        exported, monkeypatch):
    monkeypatch.setitem(sys.modules, 'openvino', None)  # import fails
    with pytest.warns(FastPathWarning) as caught:
        predictor = init_exported_predictor(exported['onnx'])
    assert predictor.backend == 'onnxruntime'
    assert len(caught) == 1
    assert str(caught[0].message).startswith(
        'model file: openvino not installed (')


def test_ir_without_openvino(exported, monkeypatch):
    monkeypatch.setitem(sys.modules, 'openvino', None)
    with pytest.raises(ImportError, match=(
            f"^model file '{exported['xml']}': runs on OpenVINO, which is "
            r'not installed \(')):
        init_exported_predictor(exported['xml'])


def test_settings_and_int8_round_trip(tmp_path):
    """Settings other than the default config's; an int8 model is run
    and reported as such, a plain one as fp32."""
    for int8, precision in ((False, 'fp32'), (True, 'int8')):
        path = save_openvino(one_convolution(int8), SETTINGS,
                             tmp_path / f'{precision}.xml')
        assert path == tmp_path / f'{precision}.xml'
        predictor = init_exported_predictor(path, max_memory=1)
        assert predictor.settings == SETTINGS
        assert (predictor.backend, predictor.precision) == ('openvino',
                                                            precision)
        alpha = predictor.predict(*make_pair(70, 90))
        assert alpha.shape == (70, 90) and alpha.dtype == np.uint8
    assert sorted(os.listdir(tmp_path)) == ['fp32.bin', 'fp32.xml',
                                            'int8.bin', 'int8.xml']


def test_int8_layers_run_in_int8_under_the_fp32_hint(tmp_path):
    """compile_config asks for fp32 arithmetic; OpenVINO still runs a
    quantized convolution in int8 (what the runtime model reports)."""
    path = save_openvino(one_convolution(int8=True), SETTINGS,
                         tmp_path / 'int8.xml')
    compiled = ov.Core().compile_model(read_model(path), DEVICE,
                                       compile_config())
    precisions = {
        op.get_rt_info()['layerType'].astype(str):
        op.get_rt_info()['runtimePrecision'].astype(str)
        for op in compiled.get_runtime_model().get_ops()
    }
    assert precisions['Convolution'] in ('i8', 'u8'), precisions


class TestAtomicWrite:
    """save_openvino's two files: no temporaries after a failure, never an
    .xml without its complete .bin."""

    @pytest.fixture
    def old(self, tmp_path):
        """A complete IR already in place."""
        save_openvino(one_convolution(), SETTINGS, tmp_path / 'm.xml')
        return {p.name: p.read_bytes() for p in tmp_path.iterdir()}

    def test_failure_while_writing_keeps_the_old_pair(self, tmp_path, old,
                                                      monkeypatch):
        save_model = ov.save_model

        def bin_written_then_full_disk(model, path, **kwargs):
            save_model(model, path, **kwargs)
            raise OSError('No space left on device')

        monkeypatch.setattr(ov, 'save_model', bin_written_then_full_disk)
        with pytest.raises(OSError, match='No space left'):
            save_openvino(one_convolution(int8=True), SETTINGS,
                          tmp_path / 'm.xml')
        assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == old

    def test_failure_between_the_renames_leaves_no_xml(self, tmp_path, old,
                                                       monkeypatch):
        replace = os.replace

        def fail_on_xml(source, target):
            if str(target).endswith('.xml'):
                raise OSError('Input/output error')
            replace(source, target)

        monkeypatch.setattr(fileio.os, 'replace', fail_on_xml)
        with pytest.raises(OSError, match='Input/output error'):
            save_openvino(one_convolution(int8=True), SETTINGS,
                          tmp_path / 'm.xml')
        # the new .bin is in place, the old .xml (which it no longer
        # matches) removed before: a reader finds no model, not a wrong one
        assert sorted(os.listdir(tmp_path)) == ['m.bin']
        assert (tmp_path / 'm.bin').read_bytes() != old['m.bin']


class TestBadInput:
    """One message naming the file and what was expected."""

    def raises(self, error_type, path, backend='auto') -> str:
        with pytest.raises(error_type) as error:
            init_exported_predictor(path, backend)
        return str(error.value)

    def test_other_suffix(self, tmp_path):
        path = tmp_path / 'indexnet.pth'
        path.write_bytes(b'weights')
        assert self.raises(ValueError, path) == (
            f"model file '{path}': expected an exported .onnx or OpenVINO "
            '.xml file')

    def test_missing_file(self, tmp_path):
        assert self.raises(FileNotFoundError, tmp_path / 'm.xml') == (
            f"model file '{tmp_path / 'm.xml'}': file not found")

    def test_missing_bin(self, tmp_path):
        path = save_openvino(one_convolution(), SETTINGS, tmp_path / 'm.xml')
        (tmp_path / 'm.bin').unlink()
        assert self.raises(FileNotFoundError, path) == (
            f"model file '{path}': its weights '{tmp_path / 'm.bin'}' are "
            'missing (an OpenVINO IR is an .xml with its .bin beside it)')

    @pytest.mark.parametrize('backend', ['torch', 'gpu'])
    def test_backend_that_runs_no_exported_file(self, exported, backend):
        assert self.raises(ValueError, exported['onnx'], backend) == (
            f"model file '{exported['onnx']}': backend must be one of "
            "('auto', 'openvino', 'onnxruntime') (an exported file runs on "
            f"OpenVINO or onnxruntime), got {backend!r}")

    def test_ir_on_onnxruntime(self, exported):
        assert self.raises(ValueError, exported['xml'], 'onnxruntime') == (
            f"model file '{exported['xml']}': onnxruntime runs .onnx files, "
            'an OpenVINO IR runs on openvino')

    def test_ir_without_settings(self, tmp_path):
        path = tmp_path / 'other.xml'
        ov.save_model(one_convolution(), str(path))
        assert self.raises(ValueError, path) == (
            f"model file '{path}': no {METADATA_KEY!r} rt_info (the settings "
            'of an exported IndexNet file); write one with '
            'tools/export_onnx.py --format openvino, tools/quantize.py or '
            'indexnet_plugin.apis.export_openvino')

    def test_onnx_without_settings(self, exported, tmp_path):
        import onnx
        graph = onnx.load(str(exported['onnx']))
        del graph.metadata_props[:]
        path = tmp_path / 'other.onnx'
        onnx.save(graph, str(path))
        for backend in ('auto', 'onnxruntime'):
            assert self.raises(ValueError, path, backend) == (
                f"model file '{path}': no {METADATA_KEY!r} metadata (the "
                'settings of an exported IndexNet file); write one with '
                'tools/export_onnx.py or indexnet_plugin.apis.export_onnx')

    def test_invalid_settings(self, tmp_path):
        model = one_convolution()
        model.set_rt_info('{"mean": [1, 2]}', [METADATA_KEY])
        path = tmp_path / 'm.xml'
        ov.save_model(model, str(path))
        message = self.raises(ValueError, path)
        assert message.startswith(f"model file '{path}': invalid "
                                  f"{METADATA_KEY!r} rt_info (not the JSON "
                                  'of MattingSettings (')

    @pytest.mark.parametrize('suffix, problem', [
        ('.onnx', 'not an ONNX file ('),
        ('.xml', 'OpenVINO cannot read it ('),
    ])
    def test_not_what_the_suffix_says(self, tmp_path, suffix, problem):
        path = tmp_path / f'm{suffix}'
        path.write_bytes(b'\x08\x07garbage, not a model')
        path.with_suffix('.bin').write_bytes(b'')
        assert self.raises(ValueError, path).startswith(
            f"model file '{path}': {problem}")

    def test_save_openvino_arguments(self, tmp_path):
        with pytest.raises(ValueError, match=(
                "^an OpenVINO IR is written to an .xml file, got '.*m.bin'$")):
            save_openvino(one_convolution(), SETTINGS, tmp_path / 'm.bin')
        with pytest.raises(TypeError, match=(
                '^settings must be MattingSettings, got dict$')):
            save_openvino(one_convolution(), {}, tmp_path / 'm.xml')
        assert not os.listdir(tmp_path)


@pytest.mark.parametrize('out, flags, problem', [
    ('m.xml', ['--format', 'onnx'], "--format onnx writes a .onnx file, got "),
    ('m.onnx', ['--format', 'openvino'],
     '--format openvino writes a .xml file, got '),
    ('m.pt', [], "cannot tell the format from "),
    ('m.xml', ['--opset', '13'], '--opset applies to --format onnx only'),
])
def test_export_tool_refuses_a_mismatch(tmp_path, checkpoint, capsys, out,
                                        flags, problem):
    with pytest.raises(SystemExit) as exit_info:
        run_export_tool(checkpoint, tmp_path / out, *flags)
    assert exit_info.value.code == 2
    assert problem in capsys.readouterr().err.splitlines()[-1]
    assert not os.listdir(tmp_path)


class TestCommandLine:
    """indexnet-predict --model-file: everything else works unchanged."""

    def run(self, capsys, *args) -> tuple:
        """(exit status, stderr lines) of indexnet-predict ARGS --quiet."""
        status = main([*map(str, args), '--quiet'])
        return status, capsys.readouterr().err.strip().splitlines()

    @pytest.mark.parametrize('kind, backend, runs', [
        ('xml', 'auto', 'openvino'), ('onnx', 'onnxruntime', 'onnxruntime')])
    def test_folder_in_batches(self, exported, host_model, tmp_path, capsys,
                               kind, backend, runs):
        """Two images of one network input size in a batch, one of another
        size; a cut-out too."""
        sizes = SIZES[1] + SIZES[0]
        pairs = pair_folders(tmp_path, sizes)
        status, lines = self.run(
            capsys, tmp_path / 'images', tmp_path / 'trimaps', '--model-file',
            exported[kind], '--backend', backend, '-o', tmp_path / 'out',
            '--batch-size', 2, '--rgba', '--verbose')
        assert status == 0, lines
        assert len(lines) == 1
        assert lines[0].startswith(
            f"info: network: model file '{exported[kind]}' on {runs} "
            '(fp32); whole images up to ')
        for index, (image, trimap) in enumerate(pairs):
            alpha = read_output(tmp_path / 'out' / f'{index}.png')
            expected = host_test_step_alpha(host_model, image, trimap)
            difference = np.abs(alpha.astype(int) - expected).max()
            assert difference <= 1, difference
            rgba = read_output(tmp_path / 'out' / f'{index}_rgba.png')
            assert np.array_equal(rgba[..., 3], alpha)

    def test_int8_file(self, tmp_path, capsys):
        path = save_openvino(one_convolution(int8=True), SETTINGS,
                             tmp_path / 'int8.xml')
        pair_folders(tmp_path, SIZES[0])
        status, lines = self.run(
            capsys, tmp_path / 'images' / '0.png',
            tmp_path / 'trimaps' / '0.png', '--model-file', path, '-o',
            tmp_path / 'out', '--verbose')
        assert status == 0, lines
        assert lines[0].startswith(
            f"info: network: model file '{path}' on openvino (int8); ")
        assert read_output(tmp_path / 'out' / '0.png').shape == SIZES[0][0]

    @pytest.mark.parametrize('flags, conflicts', [
        (['--checkpoint', 'm.pth'], '--checkpoint'),
        (['--config', 'indexnet_mobv2', '--no-fast'],
         '--config and --no-fast'),
        (['--device', 'cuda'], '--device cuda'),
        (['--backend', 'torch'], '--backend torch'),
    ])
    def test_flags_it_cannot_honour(self, exported, tmp_path, capsys, flags,
                                    conflicts):
        pair_folders(tmp_path, SIZES[0])
        status, lines = self.run(
            capsys, tmp_path / 'images', tmp_path / 'trimaps', '--model-file',
            exported['xml'], '-o', tmp_path / 'out', *flags)
        assert status == 2
        assert lines == [
            'error: --model-file runs an exported model on the CPU (auto, '
            f'openvino, onnxruntime); leave out {conflicts}']
        assert not (tmp_path / 'out').exists()

    def test_bad_model_files(self, exported, tmp_path, capsys):
        pair_folders(tmp_path, SIZES[0])
        pair = (tmp_path / 'images', tmp_path / 'trimaps', '-o',
                tmp_path / 'out')
        assert self.run(capsys, *pair) == (2, [
            'error: give --checkpoint (and --config) or --model-file'])
        missing = tmp_path / 'missing.xml'
        assert self.run(capsys, *pair, '--model-file', missing) == (2, [
            f"error: model file '{missing}': file not found"])
        assert self.run(capsys, *pair, '--model-file', exported['xml'],
                        '--backend', 'onnxruntime') == (2, [
            f"error: model file '{exported['xml']}': onnxruntime runs .onnx "
            'files, an OpenVINO IR runs on openvino'])
        assert not (tmp_path / 'out').exists()
