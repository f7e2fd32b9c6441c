"""Clips given as folders of numbered frames (``frame_0001.png``, ...).

The rule: every image in the folder (by :data:`IMAGE_SUFFIXES`) is a frame,
its number is the last run of digits in its stem, and frames play in the
order of their numbers. Numbers need not start at 0 or 1 nor be contiguous
(a clip cut from a longer one), but each must be there once, so a folder
with an unnumbered image or two images of one number is refused, naming
them. A folder has no frame rate of its own: the caller gives one
(``--fps``, default :data:`DEFAULT_RATE`); timestamps count frames.
"""
import re
from fractions import Fraction
from pathlib import Path
from typing import Dict, Iterator, List, Union

import numpy as np

from ..inputs.folders import IMAGE_SUFFIXES
from ..inputs.images import as_image, decode_file
from .containers import ClipInfo, Frame, VideoInputError
from .formats import DEFAULT_RATE

_NUMBER = re.compile(r'(\d+)\D*$')


def numbered_frames(folder: Union[str, Path],
                    what: str = 'clip') -> List[Path]:
    """The frames of a folder in playing order, see the module docstring.

    Raises:
        VideoInputError: Not a folder, no image in it, an image without a
            number or two images with one number.
    """
    folder = Path(folder)
    name = f"{what} '{folder}'"
    if not folder.is_dir():
        raise VideoInputError(f'{name}: not a folder of frames')
    images = sorted(path for path in folder.iterdir()
                    if path.suffix.lower() in IMAGE_SUFFIXES)
    if not images:
        raise VideoInputError(
            f"{name}: no frames (files ending in {', '.join(IMAGE_SUFFIXES)})")
    by_number: Dict[int, Path] = {}
    for path in images:
        match = _NUMBER.search(path.stem)
        if match is None:
            raise VideoInputError(
                f"{name}: '{path.name}' has no number in its name, expected "
                'numbered frames such as frame_0001.png')
        number = int(match.group(1))
        if number in by_number:
            raise VideoInputError(
                f"{name}: '{by_number[number].name}' and '{path.name}' are "
                f'both frame {number}')
        by_number[number] = path
    return [by_number[number] for number in sorted(by_number)]


def probe_frames(folder: Union[str, Path],
                 rate: Fraction = DEFAULT_RATE,
                 what: str = 'clip') -> ClipInfo:
    """Describe a folder of frames (the first frame gives the size).

    Raises:
        VideoInputError: See :func:`numbered_frames`; an unreadable first
            frame; a rate that is not positive.
    """
    if rate <= 0:
        raise ValueError(f'the frame rate must be positive, got {rate}')
    files = numbered_frames(folder, what)
    first = decode_file(files[0], f'{what} frame')
    return ClipInfo(Path(folder), len(files), first.shape[0], first.shape[1],
                    Fraction(rate), 1 / Fraction(rate), False, what)


def read_frames(info: ClipInfo, grey: bool = False) -> Iterator[Frame]:
    """Read a probed folder's frames one at a time.

    Args:
        info: From :func:`probe_frames`.
        grey: Return each frame as it is stored (a trimap or mask frame,
            validated by its reader) instead of as a BGR image.

    Yields:
        Frame: Each frame, timestamps counting frames.

    Raises:
        MattingInputError: An unreadable frame, or one of another size than
            the first, naming it.
    """
    files = numbered_frames(info.path, info.what)
    if len(files) != info.frames:
        raise VideoInputError(f'{info.name}: holds {len(files)} frames now, '
                              f'{info.frames} when it was probed')
    for index, path in enumerate(files):
        array = decode_file(path, f'{info.what} frame')
        if not grey:
            array = as_image(array, f"{info.what} frame '{path}'")
        if array.shape[:2] != (info.height, info.width):
            raise VideoInputError(
                f"{info.what} frame '{path}' is {array.shape[0]}x"
                f'{array.shape[1]} (HxW), expected {info.height}x'
                f'{info.width} like the first frame')
        yield Frame(index, index, array)
