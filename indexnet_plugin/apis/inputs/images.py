"""Reading and validating the inputs of inference: images and trimaps.

Conventions (the same for files and for arrays handed to the API):

* Images are BGR ``uint8`` arrays of shape (H, W, 3), as ``mmcv.imread``
  returns them. Grayscale images are replicated to three channels, a fourth
  (alpha) channel is dropped -- both exactly as ``mmcv.imread(flag='color')``
  does -- and JPEG EXIF orientation is applied like OpenCV does.
* 16-bit images and trimaps are converted with ``round(v / 257)``, which maps
  0 -> 0, 32896 -> 128 and 65535 -> 255 exactly.
* Trimaps are single-channel ``uint8`` arrays of shape (H, W) with 0 for
  background, 128 for unknown and 255 for foreground. A trimap stored with
  three equal colour channels is accepted; one with differing channels is
  refused. Other values (JPEG noise, soft brushes) are relabelled to the
  nearest level (:mod:`.trimap`) with a :class:`TrimapRelabelledWarning`
  naming the file and the count; a map with more than
  :data:`MAX_RELABELLED_FRACTION` of such values is not a trimap (a photo, a
  uniform grey picture) and is refused. With ``strict=True`` the values are
  kept as they are (mmedit's reading: anything but 0 and 255 is predicted),
  and more than :data:`MAX_NON_TRIMAP_FRACTION` of them is refused. With
  ``relabel=False`` they are kept without that bound: the authors' test
  protocol gives every value a meaning (anything but 128 is written back).

Every problem raises :class:`MattingInputError` whose message names the file
(or ``image array``/``trimap array``) and what was expected.
"""
import warnings
from pathlib import Path
from typing import Tuple, Union

import cv2
import numpy as np

from .trimap import (BACKGROUND, FOREGROUND, RULE, UNKNOWN,
                     quantise_trimap)

ArrayOrPath = Union[np.ndarray, str, Path]

TRIMAP_VALUES = (BACKGROUND, UNKNOWN, FOREGROUND)
MAX_NON_TRIMAP_FRACTION = 0.01  # strict reading
# Relabelling touches region borders (JPEG ringing, soft brush edges); when
# most of the picture is off the three levels, it is not a trimap.
MAX_RELABELLED_FRACTION = 0.5

# ANYDEPTH keeps 16 bits, ANYCOLOR keeps gray as gray; unlike IMREAD_UNCHANGED
# this applies EXIF orientation (as mmcv's 'color' and 'grayscale' flags do)
# and drops a fourth channel.
_IMREAD_FLAGS = cv2.IMREAD_ANYDEPTH | cv2.IMREAD_ANYCOLOR


class MattingInputError(ValueError):
    """An input file or array that cannot be used for matting."""


class InputWarning(UserWarning):
    """An input was used, but not as given; reported per image."""


class TrimapRelabelledWarning(InputWarning):
    """A trimap had values other than 0, 128 and 255 and was relabelled."""


# What reading one input may raise that is the input's fault or the
# machine's, not a bug: reported per image while the others go on.
# (RuntimeError: MediaPipe's segmenter.)
READ_ERRORS = (MattingInputError, OSError, MemoryError, RuntimeError,
               cv2.error)


def _is_truncated(data: bytes) -> bool:
    """Return whether a PNG or JPEG byte string lacks its end marker.

    OpenCV decodes a truncated JPEG without error (the missing part comes out
    grey), so the end-of-image marker is checked explicitly. In JPEG entropy
    coded data every 0xFF byte is stuffed, so ``FF D9`` only occurs as a
    marker.
    """
    if data.startswith(b'\x89PNG\r\n\x1a\n'):
        return b'IEND' not in data[-32:]
    if data.startswith(b'\xff\xd8'):
        return b'\xff\xd9' not in data[-1024:]
    return False


def decode_file(path: Union[str, Path], what: str) -> np.ndarray:
    """Read and decode an image file, refusing missing or damaged files."""
    path = Path(path)
    if not path.is_file():
        raise MattingInputError(f"{what} '{path}': file not found")
    data = path.read_bytes()
    if not data:
        raise MattingInputError(f"{what} '{path}': file is empty")
    if _is_truncated(data):
        raise MattingInputError(
            f"{what} '{path}': file is truncated (no end-of-image marker)")
    array = cv2.imdecode(np.frombuffer(data, np.uint8), _IMREAD_FLAGS)
    if array is None:
        raise MattingInputError(
            f"{what} '{path}': cannot be decoded as an image")
    return array


def to_uint8(array: np.ndarray, name: str) -> np.ndarray:
    """Convert 8- or 16-bit pixels to ``uint8`` (``round(v / 257)``)."""
    if array.dtype == np.uint8:
        return array
    if array.dtype == np.uint16:
        return ((array.astype(np.uint32) + 128) // 257).astype(np.uint8)
    raise MattingInputError(
        f'{name}: unsupported pixel type {array.dtype}, expected 8- or 16-bit '
        'unsigned integers')


def channel_count(array: np.ndarray, name: str) -> int:
    """Return the channel count of an (H, W) or (H, W, C) array."""
    if not isinstance(array, np.ndarray):
        raise MattingInputError(
            f'{name}: expected a numpy array or a file path, got '
            f'{type(array).__name__}')
    if array.ndim == 2:
        return 1
    if array.ndim == 3 and array.shape[2] in (1, 3, 4):
        return array.shape[2]
    raise MattingInputError(
        f'{name}: expected shape (H, W), (H, W, 1), (H, W, 3) or (H, W, 4), '
        f'got {array.shape}')


def grey_channel(array: np.ndarray, name: str, kind: str,
                 expected: str) -> np.ndarray:
    """The one channel (H, W) of a grey picture stored as (H, W) or with
    equal colour channels (a fourth, alpha channel is ignored).

    Args:
        array: (H, W) or (H, W, C) array, C in {1, 3, 4}.
        name: How the error message refers to the array.
        kind: What the picture is (``'trimap'``, ``'mask'``).
        expected: What the error message says was expected.

    Returns:
        np.ndarray: The (H, W) channel, a view of ``array``.

    Raises:
        MattingInputError: The colour channels differ.
    """
    if channel_count(array, name) > 1:
        colour = array[..., :3]
        if not (np.array_equal(colour[..., 0], colour[..., 1])
                and np.array_equal(colour[..., 0], colour[..., 2])):
            raise MattingInputError(
                f'{name}: {kind} has coloured pixels, expected {expected}')
    return array.reshape(array.shape[:2] + (-1, ))[..., 0]


def as_image(array: np.ndarray, name: str = 'image array') -> np.ndarray:
    """Validate and convert an image array to BGR ``uint8`` (H, W, 3).

    Args:
        array: Image of shape (H, W) or (H, W, C) with C in {1, 3, 4}, 8 or
            16 bits, BGR(A) channel order.
        name: How error messages refer to the image.

    Returns:
        np.ndarray: BGR ``uint8`` image of shape (H, W, 3) (the input itself
        when it already is one).

    Raises:
        MattingInputError: Unsupported shape or pixel type, or empty image.
    """
    channels = channel_count(array, name)
    if array.shape[0] == 0 or array.shape[1] == 0:
        raise MattingInputError(f'{name}: image is empty ({array.shape})')
    array = to_uint8(array, name)
    if channels == 1:
        return np.repeat(array.reshape(array.shape[:2] + (1, )), 3, axis=2)
    if channels == 4:
        return np.ascontiguousarray(array[..., :3])
    return array


def as_trimap(array: np.ndarray,
              name: str = 'trimap array',
              strict: bool = False,
              relabel: bool = True) -> np.ndarray:
    """Validate and convert a trimap array to ``uint8`` (H, W).

    Args:
        array: Trimap of shape (H, W) or (H, W, C), 8 or 16 bits; colour
            channels must be equal.
        name: How error and warning messages refer to the trimap.
        strict: Keep values other than 0, 128 and 255 instead of
            relabelling them, and refuse more than
            :data:`MAX_NON_TRIMAP_FRACTION` of them.
        relabel: Relabel values other than 0, 128 and 255 (when not
            ``strict``); False keeps them as they are.

    Returns:
        np.ndarray: ``uint8`` trimap of shape (H, W), holding only 0, 128
        and 255 unless ``strict`` or not ``relabel``.

    Raises:
        MattingInputError: Unsupported shape or pixel type, coloured pixels,
            or more than :data:`MAX_RELABELLED_FRACTION` (``strict``:
            :data:`MAX_NON_TRIMAP_FRACTION`) of the pixels outside
            {0, 128, 255}.

    Warns:
        TrimapRelabelledWarning: Pixels were relabelled.
    """
    channel_count(array, name)
    array = to_uint8(array, name)
    array = np.ascontiguousarray(
        grey_channel(array, name, 'trimap',
                     'a grayscale image with values 0, 128 and 255'))
    if array.size == 0:
        raise MattingInputError(f'{name}: trimap is empty ({array.shape})')
    off = 1.0 - np.isin(array, TRIMAP_VALUES).mean()
    if off > (MAX_NON_TRIMAP_FRACTION if strict else MAX_RELABELLED_FRACTION):
        raise MattingInputError(
            f'{name}: {off:.1%} of the pixels are not 0, 128 or 255, this '
            'does not look like a trimap')
    if strict or not relabel or not off:
        return array
    levels, relabelled = quantise_trimap(array)
    warnings.warn(
        TrimapRelabelledWarning(
            f'{name}: relabelled {relabelled} of {array.size} pixels '
            f'({relabelled / array.size:.2%}) that were not 0, 128 or 255 '
            f'({RULE})'))
    return levels


def load_image(image: ArrayOrPath) -> np.ndarray:
    """Read (if a path) and validate an image, see :func:`as_image`."""
    if isinstance(image, (str, Path)):
        return as_image(decode_file(image, 'image'), f"image '{image}'")
    return as_image(image)


def load_trimap(trimap: ArrayOrPath,
                strict: bool = False,
                relabel: bool = True) -> np.ndarray:
    """Read (if a path) and validate a trimap, see :func:`as_trimap`."""
    if isinstance(trimap, (str, Path)):
        return as_trimap(
            decode_file(trimap, 'trimap'), f"trimap '{trimap}'", strict,
            relabel)
    return as_trimap(trimap, strict=strict, relabel=relabel)


def load_pair(image: ArrayOrPath,
              trimap: ArrayOrPath,
              strict_trimap: bool = False,
              relabel_trimap: bool = True) -> Tuple[np.ndarray, np.ndarray]:
    """Load an image and its trimap and check that their sizes agree.

    Args:
        image: Image path or array, see :func:`as_image`.
        trimap: Trimap path or array, see :func:`as_trimap`.
        strict_trimap: See ``strict`` of :func:`as_trimap`.
        relabel_trimap: See ``relabel`` of :func:`as_trimap`.

    Returns:
        tuple[np.ndarray, np.ndarray]: BGR image (H, W, 3) and trimap (H, W),
        both ``uint8``.

    Raises:
        MattingInputError: Either input is invalid, or their sizes differ.
    """
    image_array = load_image(image)
    trimap_array = load_trimap(trimap, strict_trimap, relabel_trimap)
    check_same_size(trimap_array.shape, describe_source(trimap, 'trimap'),
                    image_array.shape[:2], describe_source(image, 'image'))
    return image_array, trimap_array


def check_same_size(guide: Tuple[int, int], guide_name: str,
                    image: Tuple[int, int], image_name: str) -> None:
    """Refuse a guide (trimap, mask, scribbles) of another (H, W) than its
    image, naming both."""
    if guide != image:
        raise MattingInputError(
            f'{guide_name} is {guide[0]}x{guide[1]} (HxW) but {image_name} '
            f'is {image[0]}x{image[1]}, expected the same size')


def describe_source(source: ArrayOrPath, what: str) -> str:
    """Name a path or array source in messages."""
    if isinstance(source, (str, Path)):
        return f"{what} '{source}'"
    return f'{what} array'


def describe_error(error: Exception, source: ArrayOrPath) -> str:
    """One line saying what went wrong with one input, naming it.

    Args:
        error: The failure; a :class:`MattingInputError` names its file
            already and is kept as it is.
        source: The image's path or array.

    Returns:
        str: ``image '<path>': <cause>``.
    """
    if isinstance(error, MattingInputError):
        return str(error)
    if isinstance(error, MemoryError):
        cause = f'out of memory ({error})' if str(error) else 'out of memory'
    elif isinstance(error, OSError):
        cause = str(error)
    else:
        cause = f'{type(error).__name__}: {error}'
    return f"{describe_source(source, 'image')}: {cause}"
