"""Bad input: one clear message naming the file and the problem."""
import cv2
import numpy as np
import pytest
import torch
from helpers.images import make_pair

from indexnet_plugin.apis import (CheckpointError, MattingInputError,
                                  find_pairs, init_model, load_image,
                                  load_pair, load_trimap)


@pytest.fixture
def files(tmp_path, pair):
    image, trimap = pair
    cv2.imwrite(str(tmp_path / 'i.png'), image)
    cv2.imwrite(str(tmp_path / 'i.jpg'), image)
    cv2.imwrite(str(tmp_path / 't.png'), trimap)
    return tmp_path


def raises(function, *args) -> str:
    with pytest.raises(MattingInputError) as error:
        function(*args)
    return str(error.value)


def test_missing_file(files):
    assert raises(load_image, files / 'nope.png') == (
        f"image '{files / 'nope.png'}': file not found")


@pytest.mark.parametrize('name', ['i.png', 'i.jpg'])
def test_truncated_file(files, name):
    data = (files / name).read_bytes()
    (files / name).write_bytes(data[:len(data) // 2])
    assert raises(load_image, files / name) == (
        f"image '{files / name}': file is truncated (no end-of-image marker)")


def test_not_an_image(files):
    (files / 'x.png').write_bytes(b'hello, not an image')
    assert raises(load_trimap, files / 'x.png') == (
        f"trimap '{files / 'x.png'}': cannot be decoded as an image")


def test_empty_file(files):
    (files / 'e.png').write_bytes(b'')
    assert raises(load_image, files / 'e.png') == (
        f"image '{files / 'e.png'}': file is empty")


def test_trimap_of_another_size(files):
    cv2.imwrite(str(files / 'small.png'), np.zeros((50, 60), np.uint8))
    assert raises(load_pair, files / 'i.png', files / 'small.png') == (
        f"trimap '{files / 'small.png'}' is 50x60 (HxW) but image "
        f"'{files / 'i.png'}' is 100x130, expected the same size")


def test_grayscale_photo_is_not_a_trimap(files, pair):
    gray = cv2.cvtColor(pair[0], cv2.COLOR_BGR2GRAY)
    cv2.imwrite(str(files / 'gray.png'), gray)
    off = 1 - np.isin(gray, (0, 128, 255)).mean()
    assert raises(load_trimap, files / 'gray.png') == (
        f"trimap '{files / 'gray.png'}': {off:.1%} of the pixels are not 0, "
        '128 or 255, this does not look like a trimap')


def test_coloured_trimap(pair):
    trimap = np.dstack([pair[1]] * 3)
    trimap[0, 0] = (0, 0, 255)
    assert raises(load_trimap, trimap) == (
        'trimap array: trimap has coloured pixels, expected a grayscale image '
        'with values 0, 128 and 255')


def test_16_bit_and_rgba_files_are_converted(files, pair):
    image, trimap = pair
    cv2.imwrite(str(files / 'i16.png'), image.astype(np.uint16) * 257)
    cv2.imwrite(str(files / 'rgba.png'), np.dstack((image, trimap)))
    cv2.imwrite(str(files / 't16.png'), trimap.astype(np.uint16) * 257)
    assert np.array_equal(load_image(files / 'i16.png'), image)
    assert np.array_equal(load_image(files / 'rgba.png'), image)
    assert np.array_equal(load_trimap(files / 't16.png'), trimap)


def test_float_arrays_are_refused(pair):
    assert raises(load_image, pair[0].astype(np.float32)) == (
        'image array: unsupported pixel type float32, expected 8- or 16-bit '
        'unsigned integers')


def test_image_smaller_than_the_size_divisor(reference_predictor):
    image, trimap = make_pair(20, 100)
    assert raises(reference_predictor.predict, image, trimap) == (
        'image array is 20x100 (HxW), the network needs at least 32x32')


def test_empty_folder(tmp_path):
    (tmp_path / 'images').mkdir()
    (tmp_path / 'trimaps').mkdir()
    assert raises(find_pairs, tmp_path / 'images', tmp_path / 'trimaps') == (
        f"image folder '{tmp_path / 'images'}': contains no images (.png, "
        '.jpg, .jpeg, .bmp, .tif, .tiff, .webp)')


def test_folder_pairs_by_stem(tmp_path, pair):
    for folder in ('images', 'trimaps'):
        (tmp_path / folder).mkdir()
    for stem in ('a', 'b', 'c'):
        cv2.imwrite(str(tmp_path / 'images' / f'{stem}.jpg'), pair[0])
    for name in ('a.png', 'c.png', 'c.bmp', 'z.png'):
        cv2.imwrite(str(tmp_path / 'trimaps' / name), pair[1])
    pairs, problems = find_pairs(tmp_path / 'images', tmp_path / 'trimaps')
    assert [(i.name, t.name) for i, t in pairs] == [('a.jpg', 'a.png')]
    trimaps = tmp_path / 'trimaps'
    assert problems == [
        f"image '{tmp_path / 'images' / 'b.jpg'}': no trimap named 'b.*' in "
        f"'{trimaps}'",
        f"image '{tmp_path / 'images' / 'c.jpg'}': several trimaps match "
        f"(c.bmp, c.png) in '{trimaps}'",
    ]


def checkpoint_error(path) -> str:
    with pytest.raises(CheckpointError) as error:
        init_model(None, path)
    return str(error.value)


def test_checkpoint_missing(tmp_path):
    assert checkpoint_error(tmp_path / 'x.pth') == (
        f"checkpoint '{tmp_path / 'x.pth'}': file not found")


def test_checkpoint_not_a_checkpoint(tmp_path):
    (tmp_path / 'x.pth').write_bytes(b'garbage')
    with pytest.raises(CheckpointError) as error:
        init_model(None, tmp_path / 'x.pth')
    assert str(error.value).startswith(
        f"checkpoint '{tmp_path / 'x.pth'}': cannot be read (")
    assert error.value.__cause__ is not None  # torch's error, for a traceback


def test_checkpoint_download_failure_keeps_its_cause(tmp_path, monkeypatch):
    monkeypatch.setattr(torch.hub, 'get_dir', lambda: str(tmp_path))
    url = 'http://127.0.0.1:1/indexnet.pth'  # port 1: connection refused
    with pytest.raises(CheckpointError, match='download failed') as error:
        init_model(None, url)
    assert isinstance(error.value.__cause__, OSError)
    assert not (tmp_path / 'checkpoints' / 'indexnet.pth').exists()


def test_checkpoint_of_another_architecture(tmp_path, host_model):
    state = dict(host_model.state_dict())
    state.pop('backbone.decoder.pred.1.weight')
    state['backbone.extra.weight'] = torch.zeros(1)
    state['backbone.encoder.layers.0.conv.weight'] = torch.zeros(32, 3, 3, 3)
    torch.save({'meta': {}, 'state_dict': state}, tmp_path / 'x.pth')
    assert checkpoint_error(tmp_path / 'x.pth') == (
        f"checkpoint '{tmp_path / 'x.pth'}': does not fit the model IndexNet "
        '(1 missing keys (backbone.decoder.pred.1.weight); 1 unexpected keys '
        '(backbone.extra.weight); 1 shape mismatches (checkpoint vs model) '
        '(backbone.encoder.layers.0.conv.weight (32, 3, 3, 3) vs '
        '(32, 4, 3, 3))); is it a checkpoint of this config?')


def test_checkpoint_formats_load(tmp_path, host_model):
    """Bare state dicts and DataParallel 'module.' prefixes load too."""
    state = host_model.state_dict()
    torch.save({f'module.{k}': v for k, v in state.items()}, tmp_path / 'p.pth')
    model = init_model(None, tmp_path / 'p.pth')
    for key, value in model.state_dict().items():
        assert torch.equal(value, state[key]), key
