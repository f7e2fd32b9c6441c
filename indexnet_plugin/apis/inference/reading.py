"""One image read with its guide as ``indexnet-predict`` and the app read it:
the pair, its size checked against the network, and the notes to show.

The notes are what the user is told about this image before it runs: each
:class:`~indexnet_plugin.apis.inputs.images.InputWarning` raised while
reading (a relabelled trimap) and the tiling note when it runs in tiles.
Other warnings raised meanwhile go on to Python's warning machinery.
"""
import threading
import warnings
from typing import Callable, List, NamedTuple, Tuple

import numpy as np

from ..inputs.images import ArrayOrPath, InputWarning
from .predictor import MattingPredictor

# Recording warnings changes the process-wide warnings state, which threads
# (the app's concurrent requests) share: one reading at a time.
_RECORDING = threading.Lock()


class ReadPair(NamedTuple):
    """An image ready to predict.

    Attributes:
        image: BGR ``uint8`` (H, W, 3).
        trimap: ``uint8`` (H, W).
        notes: What the user is told (relabelled values, tiles), one line
            each, without a ``warning:`` prefix.
    """
    image: np.ndarray
    trimap: np.ndarray
    notes: List[str]


def read_pair(predictor: MattingPredictor,
              read: Callable[[], Tuple[np.ndarray, np.ndarray]],
              source: ArrayOrPath) -> ReadPair:
    """Read one image with its guide and check it fits the network.

    Args:
        predictor: The predictor that will run the image.
        read: Reads the (image, trimap) pair, e.g. a
            :class:`~indexnet_plugin.apis.inputs.guides.GuideReader` method
            bound to its arguments.
        source: The image's path (or array), to name it in messages.

    Returns:
        ReadPair: The pair and its notes.

    Raises:
        MattingInputError: Whatever ``read`` raises, or an image smaller
            than the network's size divisor.
    """
    with _RECORDING, warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter('always')
        image, trimap = read()
    notes = []
    for warning in caught:
        if issubclass(warning.category, InputWarning):
            notes.append(str(warning.message))
        else:
            warnings.warn_explicit(warning.message, warning.category,
                                   warning.filename, warning.lineno)
    predictor.check_size(image.shape[:2], source)
    tiling = predictor.tiling_note(image.shape[:2], source)
    if tiling is not None:
        notes.append(tiling)
    return ReadPair(image, trimap, notes)
