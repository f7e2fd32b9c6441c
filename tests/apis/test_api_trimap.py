"""Trimaps as users have them: soft and lossy values relabelled to three
levels with one warning per trimap, ``strict`` keeping today's refusal,
non-trimaps refused with a message naming the file."""
import re

import cv2
import numpy as np
import pytest
from helpers.images import make_pair

from indexnet_plugin.apis import MattingInputError, load_pair, load_trimap
from indexnet_plugin.apis.cli.predict import main
from indexnet_plugin.apis.inputs.images import TrimapRelabelledWarning
from indexnet_plugin.apis.inputs.trimap import quantise_trimap

RULE = 'below 64 -> 0, 192 and above -> 255, the rest -> 128'


def relabel_message(name, count, total):
    return (f'{name}: relabelled {count} of {total} pixels '
            f'({count / total:.2%}) that were not 0, 128 or 255 ({RULE})')


def soft_trimap(height=100, width=130):
    """The test trimap painted with a soft brush: borders blurred."""
    trimap = make_pair(height, width)[1]
    return cv2.GaussianBlur(trimap, (9, 9), 3)


def test_rule_is_the_nearest_level_with_ties_to_unknown():
    values = np.arange(256, dtype=np.uint8)
    levels, changed = quantise_trimap(values)
    assert levels.dtype == np.uint8
    assert (levels[:64] == 0).all() and (levels[64:192] == 128).all()
    assert (levels[192:] == 255).all()
    assert changed == 253
    with pytest.raises(ValueError, match='trimap must be uint8, got int64'):
        quantise_trimap(values.astype(np.int64))


@pytest.mark.parametrize('quality', [75, 90])
def test_jpeg_trimap_gives_back_the_original(tmp_path, quality):
    """The documented claim: JPEG at quality >= 75 is recovered exactly."""
    trimap = make_pair(200, 260)[1]
    path = tmp_path / 't.jpg'
    cv2.imwrite(str(path), trimap, [cv2.IMWRITE_JPEG_QUALITY, quality])
    stored = cv2.imread(str(path), cv2.IMREAD_GRAYSCALE)
    changed = int((stored != trimap).sum())
    assert changed > 0
    with pytest.warns(TrimapRelabelledWarning) as caught:
        loaded = load_trimap(path)
    assert [str(w.message) for w in caught] == [
        relabel_message(f"trimap '{path}'", changed, trimap.size)
    ]
    assert np.array_equal(loaded, trimap)


def test_soft_trimap_predicts_as_its_quantised_trimap(reference_predictor,
                                                     pair):
    image = pair[0]
    soft = soft_trimap()
    quantised, changed = quantise_trimap(soft)
    assert 0 < changed
    with pytest.warns(TrimapRelabelledWarning,
                      match=re.escape(
                          relabel_message('trimap array', changed,
                                          soft.size))):
        alpha = reference_predictor.predict(image, soft)
    assert np.array_equal(alpha, reference_predictor.predict(image, quantised))


def test_strict_keeps_few_stray_values_and_refuses_many(pair, recwarn):
    trimap = pair[1].copy()
    trimap[0, :50] = 7  # 0.4% of the pixels
    assert np.array_equal(load_trimap(trimap, strict=True), trimap)
    relabelled = trimap.copy()
    relabelled[0, :50] = 0
    assert not recwarn.list
    with pytest.warns(TrimapRelabelledWarning):
        assert np.array_equal(load_trimap(trimap), relabelled)
    soft = soft_trimap()
    off = 1 - np.isin(soft, (0, 128, 255)).mean()
    assert off > 0.01
    with pytest.raises(MattingInputError) as error:
        load_trimap(soft, strict=True)
    assert str(error.value) == (
        f'trimap array: {off:.1%} of the pixels are not 0, 128 or 255, this '
        'does not look like a trimap')


def test_kept_values_without_relabelling(pair, recwarn):
    """The authors' protocol reads every value (relabel=False): a soft
    trimap is kept as it is, silently; a non-trimap is still refused."""
    soft = soft_trimap()
    assert np.array_equal(load_trimap(soft, relabel=False), soft)
    assert not recwarn.list
    grey = np.full(soft.shape, 100, np.uint8)
    with pytest.raises(MattingInputError, match='does not look like a trimap'):
        load_trimap(grey, relabel=False)


@pytest.mark.parametrize('kind', ['grey', 'photo'])
def test_non_trimaps_are_refused(tmp_path, pair, kind):
    """A uniform grey map and a grayscale photo; an RGB photo (coloured
    pixels) and a trimap of another size are refused in
    test_api_bad_input.py."""
    picture = (np.full(pair[1].shape, 100, np.uint8) if kind == 'grey' else
               cv2.cvtColor(pair[0], cv2.COLOR_BGR2GRAY))
    path = tmp_path / f'{kind}.png'
    cv2.imwrite(str(path), picture)
    off = 1 - np.isin(picture, (0, 128, 255)).mean()
    with pytest.raises(MattingInputError) as error:
        load_pair(pair[0], path)
    assert str(error.value) == (
        f"trimap '{path}': {off:.1%} of the pixels are not 0, 128 or 255, "
        'this does not look like a trimap')


@pytest.fixture
def jpeg_pair(tmp_path):
    """An image with a soft trimap stored as JPEG."""
    image = make_pair(100, 130)[0]
    cv2.imwrite(str(tmp_path / 'i.png'), image)
    cv2.imwrite(str(tmp_path / 't.jpg'), soft_trimap(),
                [cv2.IMWRITE_JPEG_QUALITY, 80])
    return tmp_path


def test_cli_relabels_with_one_warning_line(jpeg_pair, checkpoint, capsys,
                                            reference_predictor):
    trimap_path = jpeg_pair / 't.jpg'
    stored = cv2.imread(str(trimap_path), cv2.IMREAD_GRAYSCALE)
    quantised, changed = quantise_trimap(stored)
    status = main([
        str(jpeg_pair / 'i.png'),
        str(trimap_path), '--checkpoint',
        str(checkpoint), '-o',
        str(jpeg_pair / 'out'), '--no-fast', '--quiet'
    ])
    assert status == 0
    assert capsys.readouterr().err.splitlines() == [
        'warning: ' +
        relabel_message(f"trimap '{trimap_path}'", changed, stored.size)
    ]
    alpha = cv2.imread(str(jpeg_pair / 'out' / 'i.png'), cv2.IMREAD_UNCHANGED)
    image = cv2.imread(str(jpeg_pair / 'i.png'))
    expected = reference_predictor.predict(image, quantised)
    assert np.abs(alpha.astype(int) - expected).max() <= 1


def test_cli_strict_trimap_refuses(jpeg_pair, checkpoint, capsys):
    trimap_path = jpeg_pair / 't.jpg'
    stored = cv2.imread(str(trimap_path), cv2.IMREAD_GRAYSCALE)
    off = 1 - np.isin(stored, (0, 128, 255)).mean()
    status = main([
        str(jpeg_pair / 'i.png'),
        str(trimap_path), '--checkpoint',
        str(checkpoint), '-o',
        str(jpeg_pair / 'out'), '--no-fast', '--quiet', '--strict-trimap'
    ])
    assert status == 1
    assert capsys.readouterr().err.splitlines() == [
        f"error: trimap '{trimap_path}': {off:.1%} of the pixels are not 0, "
        '128 or 255, this does not look like a trimap'
    ]
    assert not (jpeg_pair / 'out' / 'i.png').exists()
