"""The bundled person segmenter on scikit-image's astronaut photo: mask,
trimap, options and errors."""
import os
from concurrent.futures import ThreadPoolExecutor

import cv2
import helpers.images
import numpy as np
import pytest
from helpers.images import sky

from indexnet_plugin.apis import MattingInputError
from indexnet_plugin.apis.inputs.person import (DEFAULT_MODEL,
                                                DEFAULT_THRESHOLD,
                                                INSTALL_COMMAND, MODELS,
                                                PersonSegmenter,
                                                SegmenterNotInstalledError,
                                                _without_start_up_notes,
                                                check_face, person_mask)
from indexnet_plugin.apis.inputs.mask import default_unknown_width

# Regions of the 512x512 photo (rows, columns), read off the picture: her face
# and her orange suit; the studio backdrop above her, between her head and
# the model shuttle, the flag's stripes at the left edge and the shuttle.
PERSON = {
    'face': (slice(60, 130), slice(180, 270)),
    'suit': (slice(300, 480), slice(60, 260)),
}
NOT_PERSON = {
    'backdrop above': (slice(0, 12), slice(0, 512)),
    'backdrop beside the head': (slice(10, 140), slice(300, 370)),
    'flag': (slice(0, 250), slice(0, 40)),
    'shuttle': (slice(0, 260), slice(380, 460)),
}


@pytest.fixture(scope='module')
def astronaut() -> np.ndarray:
    return helpers.images.astronaut()


@pytest.mark.parametrize('model', list(MODELS))
def test_mask_covers_the_person_and_not_the_backdrop(astronaut, model):
    with PersonSegmenter(model) as segmenter:
        mask = segmenter.mask(astronaut)
    assert mask.shape == astronaut.shape[:2] and mask.dtype == np.bool_
    coverage = {name: mask[region].mean()
                for name, region in {**PERSON, **NOT_PERSON}.items()}
    for name in PERSON:
        assert coverage[name] >= 0.99, coverage
    for name in NOT_PERSON:
        assert coverage[name] <= 0.01, coverage
    # The person (with the helmet she holds) is about half the frame.
    assert 0.45 < mask.mean() < 0.6, mask.mean()


def test_confidence_is_in_0_1_and_independent_of_earlier_images(
        person_segmenter, astronaut):
    first = person_segmenter.confidence(astronaut)
    person_segmenter.confidence(sky())
    again = person_segmenter.confidence(astronaut)
    assert first.dtype == np.float32 and first.shape == (512, 512)
    assert first.min() >= 0 and first.max() <= 1
    assert np.array_equal(first, again)
    # Colour order matters to the segmenter: it must get the RGB it expects.
    swapped = person_segmenter.confidence(
        np.ascontiguousarray(astronaut[..., ::-1]))
    assert np.abs(swapped - first).max() > 0.1


def test_threads_share_a_segmenter(person_segmenter, astronaut):
    """MediaPipe's graph takes one input at a time (unlocked, parallel calls
    fail with a packet timestamp mismatch); results are the serial ones."""
    images = [np.ascontiguousarray(np.rot90(astronaut[::2, ::2], k % 4))
              for k in range(8)]
    serial = [person_segmenter.confidence(image) for image in images]
    with ThreadPoolExecutor(4) as pool:
        parallel = list(pool.map(person_segmenter.confidence, images))
    for one, other in zip(serial, parallel):
        assert np.array_equal(one, other)


def test_threshold_moves_the_outline(astronaut):
    with PersonSegmenter(threshold=0.2) as loose, PersonSegmenter(
            threshold=0.8) as tight:
        wide, narrow = loose.mask(astronaut), tight.mask(astronaut)
    assert (narrow <= wide).all()
    assert wide.sum() > narrow.sum()


def test_trimap_has_an_unknown_band_along_the_outline(person_segmenter,
                                                      astronaut):
    mask = person_segmenter.mask(astronaut)
    trimap = person_segmenter.trimap(astronaut)
    assert set(np.unique(trimap)) == {0, 128, 255}
    # Outline: person pixels with a background pixel among their 4 neighbours.
    inside = mask.astype(np.uint8)
    outline = inside.astype(bool) & ~cv2.erode(
        inside, cv2.getStructuringElement(cv2.MORPH_CROSS, (3, 3)),
        borderType=cv2.BORDER_REPLICATE
    ).astype(bool)
    assert outline.sum() > 1000  # a person-sized outline
    assert (trimap[outline] == 128).all()
    # The band is the default width on each side, no more: beyond it, known
    # pixels are the mask's side.
    width = default_unknown_width(mask)
    assert width == 19  # 5 % of sqrt(0.545 * 512 * 512) = 378
    to_outline = cv2.distanceTransform((~outline).astype(np.uint8),
                                       cv2.DIST_L2, cv2.DIST_MASK_PRECISE)
    assert (trimap[to_outline > width + 1] != 128).all()
    assert (trimap[to_outline <= width - 1] == 128).all()
    assert ((trimap == 255) <= mask).all() and ((trimap == 0) <= ~mask).all()
    narrow = person_segmenter.trimap(astronaut, unknown_width=3)
    assert (narrow == 128).sum() < 0.3 * (trimap == 128).sum()


def test_no_person_is_named_by_file(person_segmenter, tmp_path):
    with pytest.raises(MattingInputError) as error:
        person_segmenter.mask(sky())
    assert str(error.value) == (
        "image array: no person found (the segmenter's confidence is below "
        '0.5 everywhere, at most 0.00)')
    path = tmp_path / 'sky.png'
    cv2.imwrite(str(path), sky())
    with pytest.raises(MattingInputError) as error:
        person_segmenter.load_pair(path)
    assert str(error.value) == (
        f"image '{path}': no person found (the segmenter's confidence is "
        'below 0.5 everywhere, at most 0.00)')


def test_an_object_without_a_face_is_no_person(person_segmenter):
    """The segmenter takes Chelsea the cat for a person (91 % of the photo);
    no face is on its mask, so she is refused, naming the box guide."""
    cat = helpers.images.chelsea()
    area = np.mean(person_segmenter.confidence(cat) >= 0.5)
    assert area > 0.5
    with pytest.raises(MattingInputError) as error:
        person_segmenter.mask(cat, "image 'cat.png'")
    assert str(error.value) == (
        "image 'cat.png': no person found (no face on the segmenter's mask, "
        f'which covers {100 * area:.1f} % of the image); for another '
        'object, or a person seen from behind, give a box: --box '
        'X0,Y0,X1,Y1')
    with PersonSegmenter(require_face=False) as unchecked:
        assert np.mean(unchecked.mask(cat)) == area


def test_the_face_must_lie_on_the_mask(person_segmenter, astronaut):
    faces = person_segmenter.face_boxes(astronaut)
    assert len(faces) == 1
    x0, y0, x1, y1 = faces[0]
    rows, columns = PERSON['face']  # the region read off the picture
    assert x0 < columns.stop and columns.start < x1
    assert y0 < rows.stop and rows.start < y1
    inside = np.zeros(astronaut.shape[:2], bool)
    half = x0 + (x1 - x0 + 1) // 2
    inside[y0:y1, x0:half] = True  # half of the face's box
    check_face(faces, inside)
    inside[y0:y1 - 2] = False  # a sliver below it
    with pytest.raises(MattingInputError, match='no face on the segmenter'):
        check_face(faces, inside)


def test_person_without_background_is_refused():
    with pytest.raises(MattingInputError) as error:
        person_mask(np.full((4, 5), 0.7, np.float32), 0.6, "image 'x.png'")
    assert str(error.value) == (
        "image 'x.png': no background (the segmenter's confidence is at "
        'least 0.6 everywhere), expected a person and background')


def test_load_pair_reads_the_image_and_refuses_an_unreadable_one(
        person_segmenter, astronaut, tmp_path):
    path = tmp_path / 'astronaut.png'
    cv2.imwrite(str(path), astronaut)
    image, trimap = person_segmenter.load_pair(path, unknown_width=5)
    assert np.array_equal(image, astronaut)
    assert np.array_equal(trimap, person_segmenter.trimap(astronaut, 5))
    broken = tmp_path / 'broken.jpg'
    broken.write_bytes(b'not an image')
    with pytest.raises(MattingInputError) as error:
        person_segmenter.load_pair(broken)
    assert str(error.value) == (
        f"image '{broken}': cannot be decoded as an image")


@pytest.mark.parametrize('kwargs, message', [
    (dict(model='portrait'), "auto-mask model must be one of ('general', "
     "'landscape'), got 'portrait'"),
    (dict(threshold=1.0), 'auto-mask threshold must be a number in (0, 1), '
     'got 1.0'),
    (dict(threshold=0), 'auto-mask threshold must be a number in (0, 1), '
     'got 0'),
    (dict(threshold='0.5'), 'auto-mask threshold must be a number in (0, 1), '
     "got '0.5'"),
])
def test_bad_options_are_refused(kwargs, message):
    with pytest.raises(ValueError) as error:
        PersonSegmenter(**kwargs)
    assert str(error.value) == message


def test_bad_unknown_width_is_refused(person_segmenter, astronaut):
    with pytest.raises(ValueError, match='unknown_width must be a positive'):
        person_segmenter.trimap(astronaut, unknown_width=0)


def test_defaults_and_repr(person_segmenter):
    assert (DEFAULT_MODEL, DEFAULT_THRESHOLD) == ('general', 0.5)
    assert repr(person_segmenter) == (
        "PersonSegmenter(model='general', threshold=0.5, require_face=True)")


def test_missing_mediapipe_names_the_extra(without_mediapipe):
    with pytest.raises(SegmenterNotInstalledError) as error:
        PersonSegmenter()
    message = str(error.value)
    assert message.startswith('the automatic person mask needs MediaPipe, '
                              'which cannot be imported (')
    assert message.endswith(
        '; install it with: pip install "indexnet_plugin[auto]"')
    assert INSTALL_COMMAND == 'pip install "indexnet_plugin[auto]"'


def test_no_start_up_notes_on_stderr(astronaut, capfd):
    """MediaPipe's native start-up notes would sit between the CLI's error
    lines; the segmenter keeps them off stderr (and nothing else)."""
    with PersonSegmenter('landscape') as segmenter:
        segmenter.mask(astronaut)
    assert capfd.readouterr().err == ''
    with _without_start_up_notes():
        os.write(2, b'INFO: Created TensorFlow Lite XNNPACK delegate for '
                 b'CPU.\nanother line\n')
    assert capfd.readouterr().err == 'another line\n'
