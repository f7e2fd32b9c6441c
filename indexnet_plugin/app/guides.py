"""Where the page's trimap comes from: the guide sources.

Each source turns what the person gave (:class:`GuideInputs`) into the pair
the predictor runs on, a BGR image and a trimap, through the library's own
readers, so a bad input raises the
:class:`~indexnet_plugin.apis.inputs.images.MattingInputError` whose message ``indexnet-predict`` prints:

* ``'draw'``: strokes painted on the image with the foreground, background
  and unknown brushes (:data:`BRUSHES`) over a starting trimap, all unknown
  or made from the uploaded mask; erased strokes give the start back;
* ``'trimap'``: an uploaded trimap, read as the predictor reads trimaps
  (relabelling warnings included);
* ``'mask'``: an uploaded mask, made a trimap by the rule of
  :mod:`indexnet_plugin.apis.inputs.mask` with the page's unknown-band width;
* ``'person'``: no upload: the bundled person segmenter's mask
  (:mod:`indexnet_plugin.apis.inputs.person`, ``indexnet_plugin[auto]``),
  made a trimap by the same rule, as ``indexnet-predict --auto-mask person`` does.

Drawing starts from all unknown, from the mask's trimap or from the
person's (the page's "fill" button).

Nothing here imports Gradio: the page (:mod:`.page`) lists :data:`SOURCES`
and passes their inputs; a new source (an automatic mask, say) is one more
function in :data:`SOURCES` and one more control on the page.
"""
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Dict, List, Optional, Tuple

import numpy as np

from ..apis import MattingInputError, MattingPredictor, load_image
from ..apis.inputs.trimap import (BACKGROUND, FOREGROUND, UNKNOWN,
                                  quantise_trimap)

# Brush name -> its colour on the canvas. The colours are the trimap levels
# themselves (white, black, grey), as in a trimap file; a painted pixel is
# read back with the trimap rule, so any anti-aliased edge of a stroke takes
# the nearest level.
BRUSHES = {
    'foreground': FOREGROUND,
    'background': BACKGROUND,
    'unknown': UNKNOWN,
}
# A canvas pixel is painted where its stroke covers at least half of it.
PAINTED_FROM = 128


def brush_colour(level: int) -> str:
    """The CSS colour of a brush painting ``level``."""
    return f'rgb({level}, {level}, {level})'


@dataclass
class GuideInputs:
    """What the page holds when the button is pressed.

    Args:
        image: Path of the uploaded image.
        trimap: Path of the uploaded trimap, if any.
        mask: Path of the uploaded mask, if any.
        unknown_width: The mask rule's band width in pixels; None for its
            default (a share of the object's size).
        strokes: RGBA layers painted on the canvas, each (H, W, 4) ``uint8``
            at the image's size, bottom first.
        start_from_mask: Drawing starts from the mask's trimap instead of
            all unknown.
        start_from_person: Drawing starts from the automatic person
            mask's trimap (before ``start_from_mask``).
    """
    image: Path
    trimap: Optional[Path] = None
    mask: Optional[Path] = None
    unknown_width: Optional[int] = None
    strokes: List[np.ndarray] = field(default_factory=list)
    start_from_mask: bool = False
    start_from_person: bool = False


Pair = Tuple[np.ndarray, np.ndarray]


def _needs(path: Optional[Path], what: str, source: str) -> Path:
    """The uploaded file a source needs, or the message that it is
    missing."""
    if path is None:
        raise MattingInputError(f'upload a {what} to use the {source} guide')
    return path


def from_trimap(predictor: MattingPredictor, inputs: GuideInputs) -> Pair:
    """The uploaded trimap, read as ``indexnet-predict`` reads it."""
    return predictor.guides.trimap_pair(
        inputs.image, _needs(inputs.trimap, 'trimap', 'trimap'))


def from_mask(predictor: MattingPredictor, inputs: GuideInputs) -> Pair:
    """The mask rule's trimap of the uploaded mask."""
    return predictor.guides.mask_pair(inputs.image,
                                      _needs(inputs.mask, 'mask', 'mask'),
                                      inputs.unknown_width)


def from_person(predictor: MattingPredictor, inputs: GuideInputs) -> Pair:
    """The trimap of the person the bundled segmenter finds."""
    return predictor.guides.auto_pair(inputs.image, 'person',
                                      inputs.unknown_width)


def start_trimap(predictor: MattingPredictor, inputs: GuideInputs) -> Pair:
    """The image and the trimap that drawing starts from: the person's
    (``start_from_person``), the mask's (``start_from_mask``) or all
    unknown."""
    if inputs.start_from_person:
        return from_person(predictor, inputs)
    if inputs.start_from_mask:
        return predictor.guides.mask_pair(
            inputs.image, _needs(inputs.mask, 'mask', 'mask start'),
            inputs.unknown_width)
    image = load_image(inputs.image)
    return image, np.full(image.shape[:2], UNKNOWN, np.uint8)


def paint(trimap: np.ndarray, strokes: List[np.ndarray]) -> np.ndarray:
    """Paint stroke layers onto a trimap.

    Args:
        trimap: ``uint8`` trimap (H, W) to start from.
        strokes: RGBA ``uint8`` layers (H, W, 4), bottom first; a pixel
            whose alpha is at least :data:`PAINTED_FROM` takes the level of
            its grey (the mean of R, G and B) by the trimap rule.

    Returns:
        np.ndarray: A new ``uint8`` trimap (H, W).

    Raises:
        MattingInputError: A layer is not (H, W, 4).
    """
    painted = trimap.copy()
    for layer in strokes:
        if layer.shape != trimap.shape + (4, ):
            raise MattingInputError(
                f'drawing is {layer.shape[0]}x{layer.shape[1]} (HxW) but the '
                f'image is {trimap.shape[0]}x{trimap.shape[1]}, expected the '
                'same size (upload the image again to reset the canvas)')
        grey = np.round(layer[..., :3].mean(axis=2)).astype(np.uint8)
        levels, _ = quantise_trimap(grey)
        where = layer[..., 3] >= PAINTED_FROM
        painted[where] = levels[where]
    return painted


def from_drawing(predictor: MattingPredictor, inputs: GuideInputs) -> Pair:
    """The starting trimap with the strokes painted on it."""
    image, trimap = start_trimap(predictor, inputs)
    return image, paint(trimap, inputs.strokes)


# The page's guide choices, in the order it shows them.
SOURCES: Dict[str, Callable[[MattingPredictor, GuideInputs], Pair]] = {
    'draw': from_drawing,
    'trimap': from_trimap,
    'mask': from_mask,
    'person': from_person,
}
