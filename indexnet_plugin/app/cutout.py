"""The page's backdrops for the cut-out (a checkerboard, a colour, a
picture), composited by
:func:`~indexnet_plugin.apis.cutout.visualize.composite`.

Pure numpy/OpenCV, BGR ``uint8`` in and out.
"""
import re
from typing import Optional, Tuple

import cv2
import numpy as np

from ..apis.cutout.visualize import checkerboard

# The page's backdrop choices.
BACKDROPS = ('checkerboard', 'colour', 'picture')

_HEX = re.compile(r'#([0-9a-fA-F]{2})([0-9a-fA-F]{2})([0-9a-fA-F]{2})')
_RGB = re.compile(r'rgba?\(\s*([\d.]+)\s*,\s*([\d.]+)\s*,\s*([\d.]+)')


def parse_colour(text: str) -> Tuple[int, int, int]:
    """A CSS colour (``#rrggbb``, ``rgb(r, g, b)`` or ``rgba(...)``, as
    colour pickers give them) as a BGR triple.

    Raises:
        ValueError: Any other text.
    """
    hex_match = _HEX.fullmatch(text.strip())
    rgb_match = _RGB.match(text.strip())
    if hex_match is not None:
        red, green, blue = (int(v, 16) for v in hex_match.groups())
    elif rgb_match is not None:
        red, green, blue = (min(255, round(float(v)))
                            for v in rgb_match.groups())
    else:
        raise ValueError(f'expected a colour #rrggbb or rgb(r, g, b), got '
                         f'{text!r}')
    return blue, green, red


def backdrop(kind: str,
             height: int,
             width: int,
             colour: str = '#00ff00',
             picture: Optional[np.ndarray] = None) -> np.ndarray:
    """The picture a cut-out is shown on.

    Args:
        kind: One of :data:`BACKDROPS`; ``'picture'`` without a picture
            falls back to the checkerboard.
        height: Rows of the cut-out.
        width: Columns of the cut-out.
        colour: CSS colour of the ``'colour'`` backdrop.
        picture: BGR ``uint8`` picture (h, w, 3) of any size for
            ``'picture'``, stretched to the cut-out's size.

    Returns:
        np.ndarray: BGR ``uint8`` backdrop (H, W, 3).

    Raises:
        ValueError: Unknown ``kind`` or colour.
    """
    if kind not in BACKDROPS:
        raise ValueError(f'kind must be one of {BACKDROPS}, got {kind!r}')
    if kind == 'colour':
        return np.full((height, width, 3), parse_colour(colour), np.uint8)
    if kind == 'picture' and picture is not None:
        interpolation = (cv2.INTER_AREA if picture.shape[0] > height else
                         cv2.INTER_LINEAR)
        return cv2.resize(picture, (width, height),
                          interpolation=interpolation)
    return checkerboard(height, width)
