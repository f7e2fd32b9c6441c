"""Trimaps from a box and strokes (GrabCut): on a generated scene with a
known object, every bad input's message, the predictor and
``indexnet-predict IMAGE --box`` / ``FOLDER --box FILE``."""
import json

import cv2
import numpy as np
import pytest
from helpers.cli import read_output as read
from helpers.cli import run_cli as run
from helpers.images import BOX, DECOY
from helpers.images import object_scene as scene

from indexnet_plugin.apis import MattingInputError
from indexnet_plugin.apis.inputs.box import (box_trimap, check_box,
                                             load_box_pair, parse_box)


def kept_and_leaked(trimap, inside):
    """Share of the object not called background, share of the background
    called object."""
    kept = 1 - np.count_nonzero(inside & (trimap == 0)) / inside.sum()
    leaked = np.count_nonzero(~inside & (trimap == 255)) / (~inside).sum()
    return kept, leaked


class TestGrabCut:

    @pytest.mark.parametrize('scale', [1, 2])  # 2: GrabCut at 0.54x
    def test_box_finds_the_object(self, scale):
        image, inside = scene(scale=scale)
        box = tuple(scale * value for value in BOX)
        trimap = box_trimap(image, box)
        kept, leaked = kept_and_leaked(trimap, inside)
        # Measured: 100 % kept, 0 % leaked at both scales.
        assert kept >= 0.99 and leaked <= 0.005, (kept, leaked)
        assert set(np.unique(trimap)) == {0, 128, 255}
        assert np.array_equal(trimap, box_trimap(image, box))  # seeded

    def test_background_strokes_remove_what_the_box_took(self):
        image, inside = scene(decoy=True)
        assert box_trimap(image, BOX)[DECOY[::-1]] == 255
        strokes = np.full(inside.shape, 128, np.uint8)
        cv2.circle(strokes, DECOY, 5, 0, -1)
        trimap = box_trimap(image, BOX, strokes)
        assert trimap[DECOY[::-1]] == 0
        kept, leaked = kept_and_leaked(trimap, inside)
        assert kept >= 0.99 and leaked <= 0.005, (kept, leaked)

    def test_unknown_width_is_the_band(self):
        image, inside = scene()
        trimap = box_trimap(image, BOX, unknown_width=4)
        wide = box_trimap(image, BOX, unknown_width=12)
        assert 0 < np.mean(trimap == 128) < np.mean(wide == 128)


class TestBadInput:

    @pytest.mark.parametrize('box, message', [
        ((0, 0, 300, 150), "image 'x.png': box 0,0,300,150 is not inside "
         'the image (260x200, WxH), expected 0 <= X0 < X1 <= 260 and '
         '0 <= Y0 < Y1 <= 200'),
        ((-1, 0, 100, 100), "image 'x.png': box -1,0,100,100 is not inside "
         'the image (260x200, WxH), expected 0 <= X0 < X1 <= 260 and '
         '0 <= Y0 < Y1 <= 200'),
        ((50, 50, 50, 90), "image 'x.png': box 50,50,50,90 is empty, "
         'expected X0 < X1 and Y0 < Y1'),
        ((0, 0, 260, 200), "image 'x.png': box 0,0,260,200 covers the "
         'whole image, which leaves no background to learn its colours '
         'from; draw a smaller box or background strokes'),
        ((1.5, 0, 9, 9), "image 'x.png': box (1.5, 0, 9, 9): expected four "
         'integers X0,Y0,X1,Y1'),
        (None, "image 'x.png': box None: expected four integers X0,Y0,X1,Y1"),
    ])
    def test_box(self, box, message):
        with pytest.raises(MattingInputError) as error:
            check_box(box, (200, 260), "image 'x.png'")
        assert str(error.value) == message

    @pytest.mark.parametrize('text', ['1,2,3', '1,2,3,x', '', '1;2;3;4'])
    def test_box_text(self, text):
        with pytest.raises(ValueError) as error:
            parse_box(text)
        assert str(error.value) == (
            f'box {text!r}: expected X0,Y0,X1,Y1 (four integers)')

    def test_scribbles_of_another_size(self, tmp_path):
        image, _ = scene()
        path = tmp_path / 's.png'
        cv2.imwrite(str(path), np.full((100, 130), 128, np.uint8))
        with pytest.raises(MattingInputError) as error:
            load_box_pair(image, BOX, path)
        assert str(error.value) == (
            f"scribbles '{path}' is 100x130 (HxW) but image array is "
            '200x260, expected the same size')

    def test_whole_image_box_with_background_strokes(self):
        image, inside = scene()
        strokes = np.full(inside.shape, 128, np.uint8)
        strokes[:8] = 0
        trimap = box_trimap(image, (0, 0, 260, 200), strokes)
        assert (trimap[:8] == 0).all() and (trimap == 255).any()


class TestPredictor:

    def test_box_is_the_trimap_of_box_trimap(self, reference_predictor):
        image, _ = scene(decoy=True)
        strokes = np.full(image.shape[:2], 128, np.uint8)
        cv2.circle(strokes, DECOY, 5, 0, -1)
        trimap = box_trimap(image, BOX, strokes)
        alphas = reference_predictor.predict_batch([image, image],
                                                   boxes=[BOX, BOX],
                                                   scribbles=[strokes, None])
        assert np.array_equal(alphas[0],
                              reference_predictor.predict(image, trimap))
        assert np.array_equal(
            alphas[1], reference_predictor.predict(image, box=BOX))
        assert np.array_equal(
            reference_predictor.predict(image, box=BOX, scribbles=strokes),
            alphas[0])

    @pytest.mark.parametrize('kwargs, message', [
        (dict(mask=np.ones((200, 260), bool), box=BOX),
         'give exactly one of trimaps, masks, auto_mask and boxes, got '
         'masks and boxes'),
        (dict(scribbles=np.zeros((200, 260), np.uint8)),
         'give exactly one of trimaps, masks, auto_mask and boxes, got none'),
        (dict(trimap=np.zeros((200, 260), np.uint8),
              scribbles=np.zeros((200, 260), np.uint8)),
         'scribbles refine boxes: give boxes with them'),
    ])
    def test_one_guide(self, reference_predictor, kwargs, message):
        image, _ = scene()
        with pytest.raises(ValueError) as error:
            reference_predictor.predict(image, **kwargs)
        assert str(error.value) == message


@pytest.fixture
def products(tmp_path):
    """A folder of scenes: a, b (object-coloured decoy), c, d, e."""
    folder = tmp_path / 'products'
    folder.mkdir()
    for name, decoy in (('a', False), ('b', True), ('c', False),
                        ('d', False), ('e', False)):
        cv2.imwrite(str(folder / f'{name}.png'), scene(decoy)[0])
    return folder


BOXES = {
    'csv': 'stem,x0,y0,x1,y1\na,40,40,235,185\nb,40,40,235,185\n'
           'd,40,40,235\ne,40,40,300,185\n',
    'json': json.dumps({'a': list(BOX), 'b': list(BOX), 'd': [40, 40, 235],
                        'e': [40, 40, 300, 185]}),
}
MALFORMED = {
    'csv': "line 4: expected stem,X0,Y0,X1,Y1 with four integers, got "
           "'d,40,40,235'",
    'json': "key 'd': expected [X0, Y0, X1, Y1] with four integers, got "
            '[40, 40, 235]',
}


class TestCommandLine:

    def test_one_image_with_a_box_and_scribbles(self, products, checkpoint,
                                                reference_predictor,
                                                tmp_path):
        image = cv2.imread(str(products / 'b.png'))
        strokes = np.full(image.shape[:2], 128, np.uint8)
        cv2.circle(strokes, DECOY, 5, 0, -1)
        cv2.imwrite(str(tmp_path / 'strokes.png'), strokes)
        out = tmp_path / 'out'
        assert run([products / 'b.png', '--box', '40,40,235,185',
                    '--scribbles', tmp_path / 'strokes.png'], checkpoint,
                   out, '--save-trimap') == 0
        trimap = read(out / 'b_trimap.png')
        assert np.array_equal(trimap, box_trimap(image, BOX, strokes))
        expected = reference_predictor.predict(image, trimap)
        assert np.abs(read(out / 'b.png').astype(int) - expected).max() <= 1

    @pytest.mark.parametrize('suffix', ['csv', 'json'])
    def test_folder_with_a_boxes_file(self, products, checkpoint, tmp_path,
                                      capsys, suffix):
        boxes = tmp_path / f'boxes.{suffix}'
        boxes.write_text(BOXES[suffix])
        out = tmp_path / 'out'
        status = run([products, '--box', boxes], checkpoint, out,
                     '--save-trimap')
        assert status == 1
        assert capsys.readouterr().err.splitlines() == [
            f"error: image '{products / 'c.png'}': no box for stem 'c' in "
            f"boxes file '{boxes}'",
            f"error: image '{products / 'd.png'}': boxes file '{boxes}' "
            f'{MALFORMED[suffix]}',
            f"error: image '{products / 'e.png'}': box 40,40,300,185 is not "
            'inside the image (260x200, WxH), expected 0 <= X0 < X1 <= 260 '
            'and 0 <= Y0 < Y1 <= 200',
        ]
        assert sorted(p.name for p in out.iterdir()) == [
            'a.png', 'a_trimap.png', 'b.png', 'b_trimap.png']
        image = cv2.imread(str(products / 'a.png'))
        assert np.array_equal(read(out / 'a_trimap.png'),
                              box_trimap(image, BOX))

    def test_scribbles_of_another_size(self, products, checkpoint, tmp_path,
                                       capsys):
        strokes = tmp_path / 'strokes.png'
        cv2.imwrite(str(strokes), np.full((100, 130), 128, np.uint8))
        status = run([products / 'a.png', '--box', '40,40,235,185',
                      '--scribbles', strokes], checkpoint, tmp_path / 'out')
        assert status == 1
        assert capsys.readouterr().err.strip() == (
            f"error: scribbles '{strokes}' is 100x130 (HxW) but image "
            f"'{products / 'a.png'}' is 200x260, expected the same size")

    @pytest.mark.parametrize('extra, message', [
        (['--box', '1,2,3'],
         "box '1,2,3': expected X0,Y0,X1,Y1 (four integers)"),
        (['trimap.png', '--box', '1,2,3,4'],
         'give one of a trimap, --mask, --auto-mask and --box, got a trimap '
         'and --box'),
        (['--mask', 'm.png', '--scribbles', 's.png'],
         '--scribbles applies to --box only'),
        (['--box', 'boxes.json'], "boxes file 'boxes.json': not valid JSON "
         '(Expecting value: line 1 column 1 (char 0))'),
        (['--box', 'boxes.csv'], "boxes file 'boxes.csv' line 3: stem 'a' "
         'already has a box on line 1'),
    ])
    def test_refused_before_any_prediction(self, products, checkpoint,
                                           tmp_path, capsys, monkeypatch,
                                           extra, message):
        monkeypatch.chdir(tmp_path)
        (tmp_path / 'boxes.json').write_text('not json')
        (tmp_path / 'boxes.csv').write_text('a,1,2,3,4\n\na,1,2,3,4\n')
        status = run([products / 'a.png', *extra], checkpoint,
                     tmp_path / 'out')
        assert status == 2
        assert capsys.readouterr().err.strip() == f'error: {message}'
        assert not (tmp_path / 'out').exists()
