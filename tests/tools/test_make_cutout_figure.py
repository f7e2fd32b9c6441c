"""tools/make_cutout_figure.py: the README's cut-out figure."""
import importlib.util
import os.path as osp

import cv2
import numpy as np
import pytest
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


def test_portrait_figure_shows_the_automatic_trimap_alpha_and_cut_out():
    """The astronaut with a plain random-weight network: every panel's known
    regions are the segmenter's (the face is foreground, the backdrop
    background), whatever the weights do in the band."""
    from indexnet_plugin.apis import init_predictor
    from indexnet_plugin.apis.cutout.visualize import (CHECKER_SHADES,
                                                       PREVIEW_HEIGHT)
    tool = load_tool()
    figure = tool.make_portrait_figure(init_predictor(fast=False))
    side = PREVIEW_HEIGHT  # the 512x512 photo scaled to 480 rows
    assert figure.shape == (side, 4 * side, 3)
    image, trimap, alpha, cutout = (figure[:, i * side:(i + 1) * side]
                                    for i in range(4))
    scale = side / 512
    face = tuple(slice(round(a * scale), round(b * scale))
                 for a, b in ((70, 110), (200, 250)))  # inside the band
    backdrop = tuple(slice(round(a * scale), round(b * scale))
                     for a, b in ((20, 120), (330, 370)))
    assert (trimap[face] == 255).all() and (trimap[backdrop] == 0).all()
    assert (alpha[face] == 255).all() and (alpha[backdrop] == 0).all()
    assert (np.abs(trimap.astype(int) - 128) < 2).mean() > 0.1  # the band
    assert np.isin(cutout[backdrop], CHECKER_SHADES).all()
    assert np.abs(cutout[face].astype(int) - image[face]).max() <= 1
    for panel, text in zip((image, trimap, alpha, cutout),
                           tool.PORTRAIT_LABELS):
        assert (panel[2, :8 + 11 * len(text)] == 255).all(), text


def test_portrait_options_are_checked(capsys):
    tool = load_tool()
    for argv, message in [(['x.png', '--portrait'],
                           '--portrait needs --checkpoint'),
                          (['x.png', '--config', 'indexnet_demo'],
                           '--checkpoint and --config apply to --portrait '
                           'only')]:
        with pytest.raises(SystemExit) as error:
            tool.main(argv)
        assert error.value.code == 2
        assert capsys.readouterr().err.endswith(f'error: {message}\n')
