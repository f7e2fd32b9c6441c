"""The page's parts without a browser: strokes to trimap, backdrops, the
messages' file names, ``--concurrency auto``."""
from pathlib import Path

import cv2
import numpy as np
import pytest
from helpers.images import BOX, DECOY, astronaut, object_scene, sky

from indexnet_plugin.apis import (MattingInputError, MattingPredictor,
                                  MattingSettings, init_predictor)
from indexnet_plugin.apis.inputs.person import INSTALL_COMMAND
from indexnet_plugin.apis.inference.memory import GB
from indexnet_plugin.apis.cutout.visualize import composite
from indexnet_plugin.app import cutout
from indexnet_plugin.app import cli as app_cli
from indexnet_plugin.app.cli import (MAX_AUTO_CONCURRENCY, concurrency_within,
                                     parse_args, patient_local_check)
from indexnet_plugin.apis.inputs.box import box_trimap
from indexnet_plugin.app.guides import (BOX_COLOUR, BRUSHES, GuideInputs,
                                        box_of_strokes, box_start, paint)
from indexnet_plugin.app.matting import RequestError, named, run


def layer(height, width, grey, alpha, rows, cols):
    """An RGBA layer painted with ``grey`` at ``alpha`` over a box."""
    strokes = np.zeros((height, width, 4), np.uint8)
    strokes[rows, cols] = (grey, grey, grey, alpha)
    return strokes


class TestPaint:

    def test_each_brush_paints_its_label_over_the_start(self):
        start = np.full((20, 30), 128, np.uint8)
        start[15:] = 0  # a mask's background
        strokes = [
            layer(20, 30, BRUSHES['foreground'], 255, slice(0, 5),
                  slice(0, 10)),
            layer(20, 30, BRUSHES['background'], 255, slice(5, 10),
                  slice(0, 10)),
            layer(20, 30, BRUSHES['unknown'], 255, slice(15, 20),
                  slice(0, 10)),
        ]
        trimap = paint(start, strokes)
        assert (trimap[:5, :10] == 255).all()
        assert (trimap[5:10, :10] == 0).all()
        assert (trimap[15:, :10] == 128).all()
        # Unpainted pixels keep the start; the start is not modified.
        assert (trimap[:15, 10:] == 128).all() and (trimap[15:, 10:] == 0).all()
        assert (start[:15] == 128).all()

    def test_faint_and_erased_pixels_keep_the_start(self):
        start = np.full((8, 8), 128, np.uint8)
        faint = layer(8, 8, 255, 127, slice(0, 4), slice(None))  # edge
        erased = layer(8, 8, 0, 0, slice(4, 8), slice(None))
        assert (paint(start, [faint, erased]) == 128).all()

    def test_anti_aliased_greys_take_the_nearest_level(self):
        start = np.full((1, 3), 128, np.uint8)
        strokes = np.array([[[250, 250, 250, 255], [60, 60, 60, 255],
                             [150, 150, 150, 255]]], np.uint8)
        assert paint(start, [strokes]).tolist() == [[255, 0, 128]]

    def test_a_drawing_of_another_size_is_refused(self):
        with pytest.raises(MattingInputError) as error:
            paint(np.zeros((10, 12), np.uint8),
                  [np.zeros((10, 11, 4), np.uint8)])
        assert str(error.value) == (
            'drawing is 10x11 (HxW) but the image is 10x12, expected the '
            'same size (upload the image again to reset the canvas)')


class TestCutout:

    @pytest.mark.parametrize('text', ['#336699', 'rgb(51, 102, 153)',
                                      'rgba(51, 102, 153, 1)'])
    def test_colours_as_pickers_give_them(self, text):
        assert cutout.parse_colour(text) == (153, 102, 51)

    def test_unknown_colour_is_refused(self):
        with pytest.raises(ValueError, match="got 'green'"):
            cutout.parse_colour('green')

    def test_composite_over_a_colour(self):
        colours = np.full((2, 2, 3), 200, np.uint8)
        alpha = np.array([[0, 255], [128, 51]], np.uint8)
        behind = cutout.backdrop('colour', 2, 2, '#000000')
        result = composite(colours, alpha, behind)
        assert result[..., 0].tolist() == [[0, 200], [100, 40]]

    def test_picture_is_stretched_and_checkerboard_is_the_fallback(self):
        picture = np.zeros((5, 7, 3), np.uint8)
        assert cutout.backdrop('picture', 10, 12, picture=picture).shape == (
            10, 12, 3)
        assert (cutout.backdrop('picture', 10, 12) == cutout.backdrop(
            'checkerboard', 10, 12)).all()


def test_messages_name_uploads_by_file_name():
    upload = Path('/tmp/gradio/0a1b/cat trimap.png')
    message = f"trimap '{upload}' is 2x2 (HxW)"
    assert named(message, [None, upload]) == "trimap 'cat trimap.png' is 2x2 (HxW)"


def test_auto_concurrency_follows_the_budget():
    assert concurrency_within(1 * GB) == 1
    assert concurrency_within(1000 * GB) == MAX_AUTO_CONCURRENCY
    assert parse_args(['--checkpoint', 'c', '--concurrency', 'auto']
                      ).concurrency == 'auto'
    assert parse_args(['--checkpoint', 'c']).host == '127.0.0.1'
    with pytest.raises(SystemExit):
        parse_args(['--checkpoint', 'c', '--concurrency', '0'])


def test_failed_prediction_is_the_commands_error_line(inputs, tmp_path):
    predictor = init_predictor(fast=False)

    def failing_network(batch):
        raise RuntimeError('simulated failure')

    predictor.network = failing_network
    with pytest.raises(RequestError) as error:
        run(predictor, 'trimap',
            GuideInputs(inputs / 'image.png', trimap=inputs / 'trimap.png'),
            tmp_path)
    assert str(error.value) == (
        "error: image 'image.png': RuntimeError: simulated failure")


@pytest.mark.parametrize('answers_after', [3, None])
def test_local_check_waits_between_tries(monkeypatch, answers_after):
    from gradio import networking
    tries = []

    def refused_at_first(url):
        tries.append(url)
        return answers_after is not None and len(tries) >= answers_after

    monkeypatch.setattr(networking, 'url_ok', refused_at_first)
    monkeypatch.setattr(app_cli, 'LOCAL_CHECK_TIMEOUT', 1.0)
    monkeypatch.setattr(app_cli, 'LOCAL_CHECK_INTERVAL', 0.25)
    patient_local_check()
    assert networking.url_ok('http://127.0.0.1:1/') is (
        answers_after is not None)
    # Without the pause a refused server is asked thousands of times a
    # second; with it, at most once per interval (fewer on a slow machine).
    if answers_after is None:
        assert 2 <= len(tries) <= 4
    else:
        assert len(tries) == answers_after


class TestPersonGuide:
    """The automatic person mask as the guide and as the drawing's start,
    on scikit-image's astronaut (a person) and a sky (none)."""

    @pytest.fixture(scope='class')
    def predictor(self):
        return init_predictor(fast=False)  # random weights: trimaps only

    @pytest.fixture(scope='class')
    def files(self, tmp_path_factory):
        folder = tmp_path_factory.mktemp('person_inputs')
        cv2.imwrite(str(folder / 'astronaut.png'), astronaut(128))
        cv2.imwrite(str(folder / 'sky.png'), sky(96, 128))
        return folder

    def test_person_guide_is_the_commands_auto_mask(self, predictor, files,
                                                    person_segmenter,
                                                    tmp_path):
        result = run(predictor, 'person',
                     GuideInputs(files / 'astronaut.png', unknown_width=4),
                     tmp_path)
        assert np.array_equal(result.trimap,
                              person_segmenter.trimap(astronaut(128), 4))
        assert np.array_equal(
            result.alpha,
            predictor.predict(astronaut(128), auto_mask='person',
                              unknown_width=4))

    def test_drawing_starts_from_the_person(self, predictor, files,
                                            person_segmenter, tmp_path):
        inputs = GuideInputs(files / 'astronaut.png', start_from_person=True)
        expected = person_segmenter.trimap(astronaut(128))
        assert np.array_equal(
            run(predictor, 'draw', inputs, tmp_path).trimap, expected)
        # A stroke paints over that start.
        inputs.strokes = [
            layer(128, 128, BRUSHES['background'], 255, slice(0, 10),
                  slice(None))
        ]
        painted = run(predictor, 'draw', inputs, tmp_path).trimap
        assert (painted[:10] == 0).all()
        assert np.array_equal(painted[10:], expected[10:])

    def test_no_person_is_the_commands_error_line(self, predictor, files,
                                                  tmp_path):
        with pytest.raises(RequestError) as error:
            run(predictor, 'person', GuideInputs(files / 'sky.png'), tmp_path)
        assert str(error.value) == (
            "error: image 'sky.png': no person found (the segmenter's "
            'confidence is below 0.5 everywhere, at most 0.00)')

    def test_missing_mediapipe_names_the_extra(self, host_model, files,
                                               tmp_path, without_mediapipe):
        predictor = MattingPredictor(host_model.backbone,
                                     MattingSettings.from_model(host_model))
        with pytest.raises(RequestError) as error:
            run(predictor, 'person', GuideInputs(files / 'astronaut.png'),
                tmp_path)
        assert str(error.value).startswith(
            'error: the automatic person mask needs MediaPipe')
        assert str(error.value).endswith(INSTALL_COMMAND)


def box_layer(height, width, box):
    """An RGBA layer with the box brush's paint along a box's diagonal
    (as a drag from corner to corner), anti-aliased."""
    strokes = np.zeros((height, width, 4), np.uint8)
    cv2.line(strokes, box[:2], (box[2] - 1, box[3] - 1), (*BOX_COLOUR, 255),
             3, cv2.LINE_AA)
    return strokes


class TestBoxGuide:
    """A box painted on the canvas (its paint's bounding rectangle, nudged
    by the anti-aliased edges) and strokes: GrabCut's trimap, as
    ``indexnet-predict --box --scribbles`` makes it."""

    @pytest.fixture(scope='class')
    def predictor(self):
        return init_predictor(fast=False)  # random weights: trimaps only

    @pytest.fixture(scope='class')
    def scene_file(self, tmp_path_factory):
        path = tmp_path_factory.mktemp('box_inputs') / 'scene.png'
        cv2.imwrite(str(path), object_scene(decoy=True)[0])
        return path

    def test_the_box_is_the_rectangle_around_its_paint(self):
        layers = [box_layer(200, 260, BOX),
                  layer(200, 260, BRUSHES['foreground'], 255, slice(0, 5),
                        slice(0, 5))]
        x0, y0, x1, y1 = box_of_strokes(layers, (200, 260))
        assert abs(x0 - BOX[0]) <= 2 and abs(y0 - BOX[1]) <= 2
        assert abs(x1 - BOX[2]) <= 2 and abs(y1 - BOX[3]) <= 2
        # The box paint is no trimap label.
        assert (paint(np.full((200, 260), 7, np.uint8), layers[:1]) ==
                7).all()
        with pytest.raises(MattingInputError) as error:
            box_of_strokes(layers[1:], (200, 260))
        assert str(error.value) == (
            'draw a box: paint across the object with the box brush (red); '
            'the box is the rectangle around its paint')

    def test_box_guide_is_the_commands_box(self, predictor, scene_file,
                                           tmp_path):
        strokes = [box_layer(200, 260, BOX)]
        black = np.zeros((200, 260, 4), np.uint8)
        cv2.circle(black, DECOY, 5, (0, 0, 0, 255), -1)
        strokes.append(black)
        inputs = GuideInputs(scene_file, strokes=strokes)
        box, scribbles = box_start(inputs)
        result = run(predictor, 'box', inputs, tmp_path)
        expected = box_trimap(object_scene(decoy=True)[0], box, scribbles)
        assert np.array_equal(result.trimap, expected)
        assert result.trimap[DECOY[::-1]] == 0
        # Filled, the drawing starts from it; later strokes paint over it.
        filled = GuideInputs(scene_file, start_box=box,
                             start_scribbles=scribbles, strokes=[
                                 layer(200, 260, BRUSHES['unknown'], 255,
                                       slice(0, 10), slice(None))])
        painted = run(predictor, 'draw', filled, tmp_path).trimap
        assert (painted[:10] == 128).all()
        assert np.array_equal(painted[10:], expected[10:])

    def test_without_a_box_is_an_error_line(self, predictor, scene_file,
                                            tmp_path):
        with pytest.raises(RequestError) as error:
            run(predictor, 'box', GuideInputs(scene_file), tmp_path)
        assert str(error.value) == (
            'error: draw a box: paint across the object with the box brush '
            '(red); the box is the rectangle around its paint')
