"""Masks instead of trimaps: the mask -> trimap rule, the API, bad masks."""
import cv2
import numpy as np
import pytest
from helpers.images import SIZE, make_pair

from indexnet_plugin.apis import MattingInputError
from indexnet_plugin.apis.inputs.mask import (MIN_UNKNOWN_WIDTH, as_mask,
                                              default_unknown_width, load_mask,
                                              load_mask_pair, mask_to_trimap)



def square_mask(top=30, left=40, side=40, value=255, dtype=np.uint8):
    mask = np.zeros(SIZE, dtype)
    mask[top:top + side, left:left + side] = value
    return mask


def raises(function, *args) -> str:
    with pytest.raises(MattingInputError) as error:
        function(*args)
    return str(error.value)


class TestMaskToTrimap:

    def test_band_of_the_given_width_on_both_sides(self):
        trimap = mask_to_trimap(as_mask(square_mask()), unknown_width=5)
        # The row through the centre: object columns 40..79.
        row = trimap[50]
        assert (row[:35] == 0).all() and (row[95:] == 0).all()
        assert (row[35:45] == 128).all() and (row[75:85] == 128).all()
        assert (row[45:75] == 255).all()
        assert set(np.unique(trimap)) == {0, 128, 255}
        # Euclidean distance: the square's corner is rounded outside.
        assert trimap[30 - 4, 40 - 4] == 0 and trimap[30 - 3, 40 - 3] == 128

    def test_default_width_is_a_fraction_of_the_object_size(self):
        for side, width in [(40, MIN_UNKNOWN_WIDTH), (100, 5)]:
            mask = np.zeros((120, 120), np.uint8)
            mask[10:10 + side, 10:10 + side] = 255
            assert default_unknown_width(mask > 0) == width
            assert np.array_equal(
                mask_to_trimap(as_mask(mask)),
                mask_to_trimap(as_mask(mask), unknown_width=width))

    def test_threshold_at_half_coverage(self):
        """The object (and so its band) includes 128 / 255, not 127 / 255."""
        for value, column_81 in [(128, 128), (127, 0)]:
            mask = square_mask()
            mask[:, 79] = np.where(mask[:, 79] > 0, value, 0)
            trimap = mask_to_trimap(as_mask(mask), unknown_width=2)
            assert trimap[50, 81] == column_81, value
            assert trimap[50, 79] == 128  # unsure either way

    def test_soft_mask_uncertain_pixels_are_unknown(self):
        """A soft ramp: only its unsure part is unknown, whatever the band."""
        ramp = np.tile(np.linspace(0, 1, 130, dtype=np.float32), (100, 1))
        trimap = mask_to_trimap(as_mask(ramp), unknown_width=1)
        unsure = (ramp > 0.05) & (ramp < 0.95)
        assert (trimap[unsure] == 128).all()
        assert (trimap[ramp <= 0.05] == 0).all()
        assert (trimap[ramp >= 0.95] == 255).all()

    def test_mask_types_give_the_same_trimap(self):
        reference = mask_to_trimap(as_mask(square_mask()), 4)
        for mask in [
                square_mask(dtype=bool, value=True),
                square_mask(dtype=np.float32, value=1.0),
                square_mask(dtype=np.uint16, value=65535),
                np.dstack([square_mask()] * 3),
                square_mask()[..., None]
        ]:
            assert np.array_equal(mask_to_trimap(as_mask(mask), 4), reference)

    @pytest.mark.parametrize('width', [0, -2, 2.5, True])
    def test_unknown_width_validated(self, width):
        with pytest.raises(ValueError) as error:
            mask_to_trimap(as_mask(square_mask()), width)
        assert str(error.value) == (
            'unknown_width must be a positive int (pixels) or None, got '
            f'{width!r}')


class TestBadMasks:

    @pytest.fixture
    def files(self, tmp_path, pair):
        cv2.imwrite(str(tmp_path / 'i.png'), pair[0])
        return tmp_path

    def test_empty_mask(self, files):
        cv2.imwrite(str(files / 'm.png'), square_mask(value=100))
        assert raises(load_mask, files / 'm.png') == (
            f"mask '{files / 'm.png'}': no object (every pixel is below 0.5 "
            'of full coverage), expected an object and background')

    def test_full_mask(self, files):
        cv2.imwrite(str(files / 'm.png'), np.full(SIZE, 200, np.uint8))
        assert raises(load_mask, files / 'm.png') == (
            f"mask '{files / 'm.png'}': no background (every pixel is at "
            'least 0.5 of full coverage), expected an object and background')

    def test_mask_of_another_size(self, files):
        cv2.imwrite(str(files / 'm.png'), square_mask()[:60])
        assert raises(load_mask_pair, files / 'i.png', files / 'm.png') == (
            f"mask '{files / 'm.png'}' is 60x130 (HxW) but image "
            f"'{files / 'i.png'}' is 100x130, expected the same size")

    def test_coloured_mask(self, files):
        mask = np.dstack([square_mask()] * 3)
        mask[0, 0] = (0, 0, 255)
        cv2.imwrite(str(files / 'm.png'), mask)
        assert raises(load_mask, files / 'm.png') == (
            f"mask '{files / 'm.png'}': mask has coloured pixels, expected "
            'a grayscale mask')

    def test_missing_mask_file(self, files):
        assert raises(
            load_mask, files /
            'nope.png') == (f"mask '{files / 'nope.png'}': file not found")

    def test_float_outside_zero_one(self):
        assert raises(load_mask, square_mask(dtype=np.float32, value=255)) == (
            'mask array: float values must be in [0, 1], got [0, 255]')

    def test_unsupported_type(self):
        assert raises(load_mask, square_mask(dtype=np.int32)) == (
            'mask array: unsupported pixel type int32, expected bool, 8- or '
            '16-bit unsigned integers or floats in [0, 1]')


class TestPredictWithMask:

    def test_mask_equals_its_trimap(self, reference_predictor, pair):
        image = pair[0]
        mask = square_mask()
        trimap = mask_to_trimap(as_mask(mask), 6)
        from_mask = reference_predictor.predict(
            image, mask=mask, unknown_width=6, as_float=True)
        assert np.array_equal(
            from_mask,
            reference_predictor.predict(image, trimap, as_float=True))
        assert (from_mask[trimap == 255] == 1).all()
        assert (from_mask[trimap == 0] == 0).all()

    def test_batch_of_masks_from_files(self, reference_predictor, tmp_path):
        images, masks = [], []
        for index, size in enumerate([(100, 130), (70, 90)]):
            image = make_pair(*size, seed=index)[0]
            mask = np.zeros(size, np.uint8)
            cv2.circle(mask, (size[1] // 2, size[0] // 2), 25, 255, -1)
            cv2.imwrite(str(tmp_path / f'{index}.png'), mask)
            images.append(image)
            masks.append(tmp_path / f'{index}.png')
        alphas = reference_predictor.predict_batch(images, masks=masks)
        for image, mask, alpha in zip(images, masks, alphas):
            assert np.array_equal(
                alpha, reference_predictor.predict(image, mask=mask))

    @pytest.mark.parametrize('kind', ['trimaps and masks', 'none'])
    def test_exactly_one_of_trimap_and_mask(self, reference_predictor, pair,
                                            kind):
        extra = ((pair[1], ) if kind != 'none' else ())
        mask = square_mask() if kind != 'none' else None
        with pytest.raises(ValueError) as error:
            reference_predictor.predict(pair[0], *extra, mask=mask)
        assert str(error.value) == (
            'give exactly one of trimaps, masks, auto_mask and boxes, got '
            f'{kind}')
