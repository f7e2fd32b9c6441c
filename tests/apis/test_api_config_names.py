"""Config names (``'indexnet_mobv2'``) wherever a config path works: the API,
indexnet-predict and tools/export_onnx.py."""
import runpy
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest
from helpers.paths import REPO

from indexnet_plugin.apis import (init_exported_predictor, init_model,
                                  init_predictor)
from indexnet_plugin.apis.cli.predict import main

# Derived from the folder, not from the module under test.
KNOWN_NAMES = ', '.join(
    sorted(path.stem for path in (REPO / 'configs').glob('*.py')))


def test_config_name_is_the_config_file(checkpoint, pair):
    by_name = init_predictor('indexnet_mobv2', checkpoint, fast=False)
    by_path = init_predictor(
        REPO / 'configs' / 'indexnet_mobv2.py', checkpoint, fast=False)
    default = init_predictor(None, checkpoint, fast=False)
    alpha = by_name.predict(*pair, as_float=True)
    assert np.array_equal(alpha, by_path.predict(*pair, as_float=True))
    assert np.array_equal(alpha, default.predict(*pair, as_float=True))
    assert by_name.settings == by_path.settings == default.settings
    assert by_name.settings.resize_method == 'interp'


def test_config_name_with_py_suffix_and_another_config(checkpoint):
    dimaug = init_predictor('indexnet_mobv2_dimaug.py', checkpoint, fast=False)
    assert (dimaug.settings.resize_method,
            dimaug.settings.resize_mode) == ('pad', 'reflect')


def test_unknown_config_name_lists_known_names():
    assert 'indexnet_mobv2' in KNOWN_NAMES.split(', ')
    with pytest.raises(FileNotFoundError) as error:
        init_model('indexnet_mobv3')
    assert str(error.value) == (
        "config 'indexnet_mobv3': no such file or config name; known names: "
        f'{KNOWN_NAMES}')


def test_missing_config_path_is_not_taken_for_a_name(tmp_path):
    with pytest.raises(FileNotFoundError) as error:
        init_model(tmp_path / 'indexnet_mobv2.py')
    assert str(error.value) == (
        f"config '{tmp_path / 'indexnet_mobv2.py'}': file not found")


def test_cli_config_name(tmp_path, checkpoint, pair, reference_predictor):
    image, trimap = pair
    cv2.imwrite(str(tmp_path / 'a.png'), image)
    cv2.imwrite(str(tmp_path / 'a_trimap.png'), trimap)
    status = main([
        str(tmp_path / 'a.png'), str(tmp_path / 'a_trimap.png'),
        '--checkpoint', str(checkpoint), '--config', 'indexnet_mobv2', '-o',
        str(tmp_path / 'out'), '--no-fast', '--quiet'
    ])
    assert status == 0
    alpha = cv2.imread(str(tmp_path / 'out' / 'a.png'), cv2.IMREAD_UNCHANGED)
    expected = reference_predictor.predict(image, trimap)  # mmedit network
    assert np.abs(alpha.astype(int) - expected).max() <= 1


def test_cli_unknown_config_name_is_fatal(tmp_path, checkpoint, capsys):
    status = main([
        str(tmp_path / 'a.png'), str(tmp_path / 'a_trimap.png'),
        '--checkpoint', str(checkpoint), '--config', 'nope', '--quiet'
    ])
    assert status == 2
    assert capsys.readouterr().err.strip() == (
        "error: config 'nope': no such file or config name; known names: "
        f'{KNOWN_NAMES}')


def run_export_tool(monkeypatch, *args: str) -> None:
    monkeypatch.setattr(sys, 'argv', ['export_onnx.py', *args])
    runpy.run_path(str(REPO / 'tools' / 'export_onnx.py'), run_name='__main__')


@pytest.mark.slow
def test_export_tool_config_name(monkeypatch, tmp_path, checkpoint, pair,
                                 reference_predictor):
    run_export_tool(monkeypatch, str(checkpoint), str(tmp_path / 'i.onnx'),
                    '--config', 'indexnet_mobv2')
    predictor = init_exported_predictor(tmp_path / 'i.onnx')
    difference = np.abs(
        predictor.predict(*pair, as_float=True) -
        reference_predictor.predict(*pair, as_float=True)).max()
    assert difference <= 1e-4, difference


def test_export_tool_unknown_config_name(monkeypatch, tmp_path, checkpoint,
                                         capsys):
    with pytest.raises(SystemExit) as exit_info:
        run_export_tool(monkeypatch, str(checkpoint),
                        str(tmp_path / 'i.onnx'), '--config', 'nope')
    assert exit_info.value.code == 2
    assert capsys.readouterr().err.splitlines()[-1] == (
        "export_onnx.py: error: config 'nope': no such file or config name; "
        f'known names: {KNOWN_NAMES}')
    assert not (tmp_path / 'i.onnx').exists()
