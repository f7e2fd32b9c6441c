"""From the converted authors' file to mattes and metrics, as a user runs
it: indexnet-predict, tools/export_onnx.py and mim test with
configs/indexnet_mobv2_original.py."""
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest
from helpers.comp1k import tiny_comp1k
from helpers.paths import BIN, REPO
from host_reference import HOST
from original_fixtures import CASES, FIXTURES, assert_authors_alpha, load_case
# pytest fixtures
from original_fixtures import (  # noqa: F401
    converted_file, original_file, original_state)

from indexnet_plugin.apis import init_exported_predictor, init_predictor

pytestmark = pytest.mark.slow

CONFIG = 'configs/indexnet_mobv2_original.py'


def run(args: list, **kwargs) -> subprocess.CompletedProcess:
    """A command from the repository, one thread, the session's ONNX cache
    (inherited through the environment)."""
    result = subprocess.run(args,
                            cwd=REPO,
                            capture_output=True,
                            text=True,
                            timeout=900,
                            env=dict(os.environ, OMP_NUM_THREADS='1'),
                            **kwargs)
    assert result.returncode == 0, (
        f'{" ".join(map(str, args))} failed:\n{result.stdout[-3000:]}\n'
        f'{result.stderr[-5000:]}')
    return result


def test_predict_and_export(converted_file, tmp_path):
    """The README's commands after the conversion (whose tool
    test_original_checkpoint.py runs): the mattes equal the authors'."""
    images, trimaps = tmp_path / 'images', tmp_path / 'trimaps'
    for folder, kind in ((images, 'image'), (trimaps, 'trimap')):
        folder.mkdir()
        for case in CASES:  # paired by file stem
            shutil.copy(FIXTURES / f'{case}_{kind}.png',
                        folder / f'{case}.png')
    out = tmp_path / 'alphas'
    run([
        BIN / 'indexnet-predict', images, trimaps, '--config', CONFIG,
        '--checkpoint', converted_file, '-o', out, '--quiet'
    ])
    for case in CASES:
        alpha = cv2.imread(str(out / f'{case}.png'), cv2.IMREAD_UNCHANGED)
        assert_authors_alpha(alpha, load_case(case)['alpha'])

    onnx_file = tmp_path / 'indexnet_original.onnx'
    run([
        sys.executable, 'tools/export_onnx.py', converted_file, onnx_file,
        '--config', CONFIG
    ])
    onnx_predictor = init_exported_predictor(onnx_file)
    assert onnx_predictor.settings.protocol == 'original'
    for case in CASES:
        fixture = load_case(case)
        assert_authors_alpha(
            onnx_predictor.predict(fixture['image'], fixture['trimap']),
            fixture['alpha'])


SAD = re.compile(r'Iter\(test\) \[\d+/\d+\]\s+SAD: (\S+)')


def test_mim_test_evaluates_with_the_authors_protocol(converted_file,
                                                      tmp_path):
    """mim test (batches of two) reports the SAD of the predictor's
    original-protocol alphas on the synthetic test set."""
    root = tiny_comp1k(str(tmp_path / 'comp1k'))
    log = run([
        BIN / 'mim', 'test', HOST, CONFIG, '--checkpoint', converted_file,
        '--work-dir', tmp_path / 'work', '--cfg-options',
        f'test_dataloader.dataset.data_root={root}',
        'test_dataloader.num_workers=0', 'test_dataloader.batch_size=2'
    ]).stdout
    reported = float(SAD.search(log).group(1))

    predictor = init_predictor(CONFIG, converted_file, fast=False)
    samples = json.loads(Path(root, 'test_list.json').read_text())
    sads = []
    for sample in samples:
        path = {
            k: str(Path(root, sample[f'{k}_path']))
            for k in ('merged', 'trimap', 'alpha')
        }
        alpha = predictor.predict(path['merged'], path['trimap'])
        truth = cv2.imread(path['alpha'], cv2.IMREAD_GRAYSCALE)
        sads.append(np.abs(alpha / 255 - truth / 255).sum() / 1000)
    assert len(sads) == 2
    assert reported == pytest.approx(np.mean(sads), abs=2e-3), (reported, sads)
