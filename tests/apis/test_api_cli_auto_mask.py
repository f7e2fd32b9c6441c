"""Portraits without a trimap: ``predictor.predict(image, auto_mask=...)`` and
``indexnet-predict IMAGE --auto-mask person`` on scikit-image's astronaut,
with an image without a person and an unreadable one beside it."""
import cv2
import helpers.images
import numpy as np
import pytest
from helpers.cli import read_output as read
from helpers.cli import run_cli as run
from helpers.images import sky

from indexnet_plugin.apis import (BatchPredictionError, MattingPredictor,
                                  MattingSettings, PersonSegmenter)

SIZE = 256  # the 512x512 photo halved: a quick network pass
NO_PERSON = ("no person found (the segmenter's confidence is below 0.5 "
             'everywhere, at most 0.00)')
@pytest.fixture(scope='module')
def astronaut() -> np.ndarray:
    return helpers.images.astronaut(SIZE)


@pytest.fixture
def portraits(tmp_path, astronaut):
    """A folder: the astronaut, a sky without a person, a broken file."""
    folder = tmp_path / 'portraits'
    folder.mkdir()
    cv2.imwrite(str(folder / 'astronaut.png'), astronaut)
    cv2.imwrite(str(folder / 'sky.png'), sky(120, 160))
    (folder / 'broken.jpg').write_bytes(b'not an image')
    return folder


class TestPredictor:

    def test_auto_mask_is_the_segmenters_trimap(self, reference_predictor,
                                                 person_segmenter, astronaut):
        alpha = reference_predictor.predict(astronaut, auto_mask='person')
        trimap = person_segmenter.trimap(astronaut)
        assert np.array_equal(alpha,
                              reference_predictor.predict(astronaut, trimap))
        assert (alpha[trimap == 0] == 0).all()
        assert (alpha[trimap == 255] == 255).all()

    def test_load_auto_pair_gives_the_trimap_to_edit(
            self, reference_predictor, person_segmenter, astronaut):
        image, trimap = reference_predictor.guides.auto_pair(
            astronaut, unknown_width=6)
        assert np.array_equal(image, astronaut)
        assert np.array_equal(trimap, person_segmenter.trimap(astronaut, 6))

    def test_a_segmenter_with_other_options(self, reference_predictor,
                                            astronaut):
        with PersonSegmenter('landscape', 0.7) as landscape:
            alpha = reference_predictor.predict(
                astronaut, auto_mask=landscape, unknown_width=4)
            trimap = landscape.trimap(astronaut, 4)
        assert np.array_equal(alpha,
                              reference_predictor.predict(astronaut, trimap))

    def test_batch_keeps_the_person_and_names_the_image_without(
            self, reference_predictor, astronaut):
        with pytest.raises(BatchPredictionError) as failed:
            reference_predictor.predict_batch([astronaut, sky()],
                                              auto_mask='person')
        assert np.array_equal(
            failed.value.alphas[0],
            reference_predictor.predict(astronaut, auto_mask='person'))
        assert failed.value.alphas[1] is None
        assert failed.value.messages == {1: f'image array: {NO_PERSON}'}

    @pytest.mark.parametrize('kwargs, message', [
        (dict(trimap=np.zeros((SIZE, SIZE), np.uint8), auto_mask='person'),
         'give exactly one of trimaps, masks, auto_mask and boxes, got '
         'trimaps and '
         'auto_mask'),
        (dict(mask=np.zeros((SIZE, SIZE), np.uint8), auto_mask='person'),
         'give exactly one of trimaps, masks, auto_mask and boxes, got '
         'masks and '
         'auto_mask'),
        (dict(auto_mask='cat'), "auto_mask must be one of ('person',), got "
         "'cat'"),
        (dict(auto_mask='person', unknown_width=0),
         'unknown_width must be a positive int (pixels) or None, got 0'),
    ])
    def test_refused(self, reference_predictor, astronaut, kwargs, message):
        with pytest.raises(ValueError) as error:
            reference_predictor.predict(astronaut, **kwargs)
        assert str(error.value) == message

    def test_missing_mediapipe_names_the_extra(self, host_model, astronaut,
                                               without_mediapipe):
        predictor = MattingPredictor(host_model.backbone,
                                     MattingSettings.from_model(host_model))
        with pytest.raises(ImportError, match=r'pip install '
                           r'"indexnet_plugin\[auto\]"$'):
            predictor.predict(astronaut, auto_mask='person')


class TestCommandLine:

    def test_folder_writes_matte_and_trimap_and_reports_the_others(
            self, portraits, checkpoint, reference_predictor, person_segmenter,
            astronaut, tmp_path, capsys):
        out = tmp_path / 'out'
        status = run([portraits, '--auto-mask', 'person'], checkpoint, out,
                     '--save-trimap')
        assert status == 1
        assert capsys.readouterr().err.splitlines() == [
            f"error: image '{portraits / 'broken.jpg'}': cannot be decoded "
            'as an image',
            f"error: image '{portraits / 'sky.png'}': {NO_PERSON}",
        ]
        assert sorted(p.name for p in out.iterdir()) == [
            'astronaut.png', 'astronaut_trimap.png'
        ]
        trimap = read(out / 'astronaut_trimap.png')
        assert np.array_equal(trimap, person_segmenter.trimap(astronaut))
        alpha = read(out / 'astronaut.png')
        # Our network and the host's agree to 1e-5 before rounding.
        expected = reference_predictor.predict(astronaut, trimap)
        assert np.abs(alpha.astype(int) - expected).max() <= 1
        assert (alpha[trimap == 0] == 0).all()
        assert (alpha[trimap == 255] == 255).all()

    def test_an_animal_is_refused_and_the_portrait_written(
            self, portraits, checkpoint, person_segmenter, tmp_path, capsys):
        cat = helpers.images.chelsea()
        cv2.imwrite(str(portraits / 'cat.png'), cat)
        (portraits / 'broken.jpg').unlink()
        (portraits / 'sky.png').unlink()
        out = tmp_path / 'out'
        assert run([portraits, '--auto-mask', 'person'], checkpoint,
                   out) == 1
        area = np.mean(person_segmenter.confidence(cat) >= 0.5)
        assert capsys.readouterr().err.splitlines() == [
            f"error: image '{portraits / 'cat.png'}': no person found (no "
            f"face on the segmenter's mask, which covers {100 * area:.1f} % "
            'of the image); for another object, or a person seen from '
            'behind, give a box: --box X0,Y0,X1,Y1'
        ]
        assert [p.name for p in out.iterdir()] == ['astronaut.png']

    def test_one_file_with_the_segmenters_options(self, portraits,
                                                  checkpoint, astronaut,
                                                  tmp_path):
        out = tmp_path / 'out'
        assert run([portraits / 'astronaut.png', '--auto-mask', 'person'],
                   checkpoint, out, '--auto-mask-model', 'landscape',
                   '--auto-mask-threshold', '0.7', '--unknown-width', '4',
                   '--save-trimap') == 0
        with PersonSegmenter('landscape', 0.7) as landscape:
            expected = landscape.trimap(astronaut, 4)
        assert np.array_equal(read(out / 'astronaut_trimap.png'), expected)

    def test_image_without_a_person_alone(self, portraits, checkpoint,
                                          tmp_path, capsys):
        status = run([portraits / 'sky.png', '--auto-mask', 'person'],
                     checkpoint, tmp_path / 'out')
        assert status == 1
        assert capsys.readouterr().err.strip() == (
            f"error: image '{portraits / 'sky.png'}': {NO_PERSON}")
        assert not any((tmp_path / 'out').iterdir())

    @pytest.mark.parametrize('extra, message', [
        (['trimap.png', '--auto-mask', 'person'],
         'give one of a trimap, --mask, --auto-mask and --box, got a '
         'trimap and --auto-mask'),
        (['--mask', 'mask.png', '--auto-mask', 'person'],
         'give one of a trimap, --mask, --auto-mask and --box, got --mask '
         'and --auto-mask'),
        (['trimap.png', '--auto-mask-model', 'landscape'],
         '--auto-mask-model applies to --auto-mask only'),
        (['--mask', 'mask.png', '--auto-mask-threshold', '0.3'],
         '--auto-mask-threshold applies to --auto-mask only'),
    ])
    def test_refused_before_any_prediction(self, portraits, checkpoint,
                                           tmp_path, capsys, extra, message):
        status = run([portraits / 'astronaut.png', *extra], checkpoint,
                     tmp_path / 'out')
        assert status == 2
        assert capsys.readouterr().err.strip() == f'error: {message}'
        assert not (tmp_path / 'out').exists()

    @pytest.mark.parametrize('flag, value, message', [
        ('--auto-mask', 'cat', "argument --auto-mask: invalid choice: 'cat' "
         "(choose from 'person')"),
        ('--auto-mask-model', 'portrait', 'argument --auto-mask-model: '
         "invalid choice: 'portrait' (choose from 'general', 'landscape')"),
        ('--auto-mask-threshold', '1', 'argument --auto-mask-threshold: '
         "expected a number between 0 and 1 (exclusive), got '1'"),
    ])
    def test_bad_option_values(self, portraits, checkpoint, tmp_path, capsys,
                               flag, value, message):
        extra = [] if flag == '--auto-mask' else ['--auto-mask', 'person']
        with pytest.raises(SystemExit) as exit_info:
            run([portraits, *extra, flag, value], checkpoint,
                tmp_path / 'out')
        assert exit_info.value.code == 2
        assert capsys.readouterr().err.strip().endswith(f'error: {message}')

    def test_missing_mediapipe_is_one_line_before_the_model(
            self, portraits, tmp_path, capsys, without_mediapipe):
        # The checkpoint does not exist: the segmenter is checked first.
        status = run([portraits, '--auto-mask', 'person'],
                     tmp_path / 'missing.pth', tmp_path / 'out')
        assert status == 2
        lines = capsys.readouterr().err.splitlines()
        assert len(lines) == 1
        assert lines[0].startswith(
            'error: the automatic person mask needs MediaPipe, which cannot '
            'be imported (')
        assert lines[0].endswith(
            '; install it with: pip install "indexnet_plugin[auto]"')
