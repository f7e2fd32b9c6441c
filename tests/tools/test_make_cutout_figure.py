"""tools/make_cutout_figure.py: the README's cut-out figure."""
import importlib.util
import os.path as osp

import cv2
import numpy as np
from helpers.paths import REPO



def load_tool():
    spec = importlib.util.spec_from_file_location(
        'tools_make_cutout_figure',
        osp.join(REPO, 'tools', 'make_cutout_figure.py'))
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    return tool


def test_figure_is_the_committed_one_and_shows_the_estimate_helps(
        tmp_path, capsys):
    tool = load_tool()
    out = tmp_path / 'figure.png'
    assert tool.main([str(out)]) == 0
    figure = cv2.imread(str(out))
    rows = tool.ZOOM * (tool.CROP[0].stop - tool.CROP[0].start)
    cols = tool.ZOOM * (tool.CROP[1].stop - tool.CROP[1].start)
    assert figure.shape == (rows, 4 * cols + 3 * tool.GAP, 3)
    assert capsys.readouterr().out.startswith(f'{out}: ')
    committed = cv2.imread(osp.join(REPO, 'docs', 'cutout_composite.png'))
    assert np.array_equal(figure, committed)
    # Below the labels: the estimated panel is closer to the true
    # foreground's than the raw colours' panel is.
    image, raw, estimated, true = (
        figure[30:,
               i * (cols + tool.GAP):i * (cols + tool.GAP) + cols].astype(int)
        for i in range(4))
    assert np.abs(estimated - true).mean() < 0.75 * np.abs(raw - true).mean()
