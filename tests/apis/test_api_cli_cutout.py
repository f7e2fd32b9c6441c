"""indexnet-predict: cut-out colours (--foreground, --rgba, --preview,
--no-fg-estimation) and masks instead of trimaps (--mask, --unknown-width,
--save-trimap)."""
import cv2
import numpy as np
import pytest
from helpers.cli import read_output as read
from helpers.cli import run_cli as run
from helpers.images import make_pair

from indexnet_plugin.apis import estimate_foreground
from indexnet_plugin.apis.inputs.mask import as_mask, mask_to_trimap
from indexnet_plugin.apis.cutout.visualize import preview


def disc_mask(height: int, width: int) -> np.ndarray:
    mask = np.zeros((height, width), np.uint8)
    cv2.circle(mask, (width // 2, height // 2),
               min(height, width) // 3, 255, -1, cv2.LINE_AA)
    return mask


@pytest.fixture
def folders(tmp_path):
    """Images a, b with masks; image c with a mask of another size."""
    for folder in ('images', 'masks', 'trimaps'):
        (tmp_path / folder).mkdir()
    for stem, size in [('a', (100, 130)), ('b', (70, 90)), ('c', (64, 64))]:
        image, trimap = make_pair(*size)
        cv2.imwrite(str(tmp_path / 'images' / f'{stem}.png'), image)
        cv2.imwrite(str(tmp_path / 'trimaps' / f'{stem}.png'), trimap)
        mask = disc_mask(*size)
        cv2.imwrite(
            str(tmp_path / 'masks' / f'{stem}.png'),
            mask if stem != 'c' else mask[:40])
    return tmp_path


def run_pair_a(folders, checkpoint, out, *extra):
    """Predict image a with its trimap; return the image and the alpha."""
    image_path = folders / 'images' / 'a.png'
    assert run([image_path, folders / 'trimaps' / 'a.png'], checkpoint, out,
               *extra) == 0
    return read(image_path), read(out / 'a.png')


def test_cut_out_colours_are_estimated(folders, checkpoint, tmp_path):
    out = tmp_path / 'out'
    image, alpha = run_pair_a(folders, checkpoint, out, '--rgba',
                              '--foreground', '--preview')
    estimate = estimate_foreground(image, alpha)
    partial = (alpha > 0) & (alpha < 255)
    assert partial.any()
    # The estimate is not the raw colours where the background shows.
    assert not np.array_equal(estimate[partial], image[partial])
    assert np.array_equal(read(out / 'a_fg.png'), estimate)
    assert np.array_equal(
        read(out / 'a_rgba.png'), np.dstack((estimate, alpha)))
    trimap = read(folders / 'trimaps' / 'a.png')
    assert np.array_equal(
        read(out / 'a_preview.png'), preview(image, trimap, alpha, estimate))


def test_no_fg_estimation_keeps_the_raw_colours(folders, checkpoint, tmp_path):
    out = tmp_path / 'out'
    image, alpha = run_pair_a(folders, checkpoint, out, '--rgba',
                              '--foreground', '--no-fg-estimation')
    assert np.array_equal(read(out / 'a_fg.png'), image)
    assert np.array_equal(read(out / 'a_rgba.png'), np.dstack((image, alpha)))


def test_mask_file_with_unknown_width_and_saved_trimap(folders, checkpoint,
                                                       tmp_path,
                                                       reference_predictor):
    image_path = folders / 'images' / 'a.png'
    mask_path = folders / 'masks' / 'a.png'
    out = tmp_path / 'out'
    assert run([image_path, '--mask', mask_path], checkpoint, out,
               '--unknown-width', '7', '--save-trimap') == 0
    trimap = mask_to_trimap(as_mask(read(mask_path)), 7)
    assert np.array_equal(read(out / 'a_trimap.png'), trimap)
    expected = reference_predictor.predict(read(image_path), trimap)
    assert np.abs(read(out / 'a.png').astype(int) - expected).max() <= 1


def test_mask_folder_reports_bad_masks_and_finishes_the_rest(
        folders, checkpoint, tmp_path, capsys):
    (folders / 'masks' / 'b.png').unlink()
    out = tmp_path / 'out'
    status = run([folders / 'images', '--mask', folders / 'masks'], checkpoint,
                 out)
    errors = capsys.readouterr().err.strip().splitlines()
    assert status == 1
    assert errors == [
        f"error: image '{folders / 'images' / 'b.png'}': no mask named "
        f"'b.*' in '{folders / 'masks'}'",
        f"error: mask '{folders / 'masks' / 'c.png'}' is 40x64 (HxW) but "
        f"image '{folders / 'images' / 'c.png'}' is 64x64, expected the same "
        'size',
    ]
    assert sorted(p.name for p in out.iterdir()) == ['a.png']


def test_empty_mask_is_reported(folders, checkpoint, tmp_path, capsys):
    mask_path = folders / 'masks' / 'a.png'
    cv2.imwrite(str(mask_path), np.zeros((100, 130), np.uint8))
    status = run([folders / 'images' / 'a.png', '--mask', mask_path],
                 checkpoint, tmp_path / 'out')
    assert status == 1
    assert capsys.readouterr().err.strip() == (
        f"error: mask '{mask_path}': no object (every pixel is below 0.5 of "
        'full coverage), expected an object and background')


@pytest.mark.parametrize('extra, message', [
    (['trimaps/a.png', '--mask', 'masks/a.png'],
     'give one of a trimap, --mask, --auto-mask and --box, got a trimap '
     'and --mask'),
    ([], 'give a trimap, --mask MASK, --auto-mask person or --box '
     'X0,Y0,X1,Y1'),
    (['trimaps/a.png', '--unknown-width', '5'],
     '--unknown-width applies to --mask, --auto-mask and --box only'),
    (['--mask', 'masks'], "image '{image}' and mask '{folders}/masks' must "
     'both be files or both be folders'),
])
def test_trimap_or_mask_errors_are_fatal(folders, checkpoint, tmp_path, capsys,
                                         extra, message):
    image = folders / 'images' / 'a.png'
    extra = [
        str(folders / e) if '/' in e or e == 'masks' else e for e in extra
    ]
    status = run([image, *extra], checkpoint, tmp_path / 'out')
    assert status == 2
    assert capsys.readouterr().err.strip() == 'error: ' + message.format(
        image=image, folders=folders)


def test_unknown_width_must_be_positive(folders, checkpoint, tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_info:
        run([
            folders / 'images' / 'a.png', '--mask', folders / 'masks' / 'a.png'
        ], checkpoint, tmp_path / 'out', '--unknown-width', '0')
    assert exit_info.value.code == 2
    assert capsys.readouterr().err.strip().endswith(
        "error: argument --unknown-width: expected a positive number of "
        "pixels, got '0'")
