"""Where the page's trimap comes from: the guide sources.

Each source turns what the person gave (:class:`GuideInputs`) into the pair
the predictor runs on, a BGR image and a trimap, through the library's own
readers, so a bad input raises the
:class:`~indexnet_plugin.apis.inputs.images.MattingInputError` whose message
``indexnet-predict`` prints:

* ``'draw'``: strokes painted on the image with the foreground, background
  and unknown brushes (:data:`BRUSHES`) over a starting trimap, all unknown
  or made from the uploaded mask; erased strokes give the start back;
* ``'trimap'``: an uploaded trimap, read as the predictor reads trimaps
  (relabelling warnings included);
* ``'mask'``: an uploaded mask, made a trimap by the rule of
  :mod:`indexnet_plugin.apis.inputs.mask` with the page's unknown-band width;
* ``'person'``: no upload: the bundled person segmenter's mask
  (:mod:`indexnet_plugin.apis.inputs.person`, ``indexnet_plugin[auto]``),
  made a trimap by the same rule, as ``indexnet-predict --auto-mask person``
  does;
* ``'box'``: a box painted on the canvas with the box brush (its bounding
  rectangle), refined by the white and black strokes: GrabCut's trimap of
  the object (:mod:`indexnet_plugin.apis.inputs.box`), as
  ``indexnet-predict --box X0,Y0,X1,Y1 --scribbles FILE`` makes it, with the
  grey strokes painted on it.

Drawing starts from all unknown, from the mask's trimap, from the person's
or from the box's (the page's two "fill" buttons).

Nothing here imports Gradio: the page (:mod:`.page`) lists :data:`SOURCES`
and passes their inputs; a new source (an automatic mask, say) is one more
function in :data:`SOURCES` and one more control on the page.
"""
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Dict, List, Optional, Tuple

import numpy as np

from ..apis import MattingInputError, MattingPredictor, load_image
from ..apis.inputs.box import Box
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
# The box brush (RGB): the bounding rectangle of its paint is the box.
BOX_COLOUR = (255, 0, 0)
# Box paint is where red exceeds green and blue by this much: the greys of
# the trimap brushes never do, and a stroke's anti-aliased edge, darker or
# fainter red, still does.
BOX_RED_MARGIN = 64


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
        start_box: Drawing starts from the trimap of the object in this
            box, refined by ``start_scribbles`` (before the others).
        start_scribbles: Trimap levels (H, W) of the strokes the box's
            trimap was filled with, or None.
    """
    image: Path
    trimap: Optional[Path] = None
    mask: Optional[Path] = None
    unknown_width: Optional[int] = None
    strokes: List[np.ndarray] = field(default_factory=list)
    start_from_mask: bool = False
    start_from_person: bool = False
    start_box: Optional[Box] = None
    start_scribbles: Optional[np.ndarray] = None


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
    """The image and the trimap that drawing starts from: the box's
    (``start_box``), the person's (``start_from_person``), the mask's
    (``start_from_mask``) or all unknown."""
    if inputs.start_box is not None:
        return predictor.guides.box_pair(inputs.image, inputs.start_box,
                                         inputs.start_scribbles,
                                         inputs.unknown_width)
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
        _check_layer(layer, trimap.shape)
        grey = np.round(layer[..., :3].mean(axis=2)).astype(np.uint8)
        levels, _ = quantise_trimap(grey)
        where = (layer[..., 3] >= PAINTED_FROM) & ~_box_paint(layer)
        painted[where] = levels[where]
    return painted


def _check_layer(layer: np.ndarray, shape: Tuple[int, int]) -> None:
    """Refuse a stroke layer that is not (H, W, 4) for an (H, W) image."""
    if layer.shape != shape + (4, ):
        raise MattingInputError(
            f'drawing is {layer.shape[0]}x{layer.shape[1]} (HxW) but the '
            f'image is {shape[0]}x{shape[1]}, expected the same size '
            '(upload the image again to reset the canvas)')


def _box_paint(layer: np.ndarray) -> np.ndarray:
    """Where a layer holds the box brush's paint, ``bool`` (H, W)."""
    colour = layer[..., :3].astype(np.int16)
    red = colour[..., 0] - colour[..., 1:].max(axis=2) >= BOX_RED_MARGIN
    return red & (layer[..., 3] >= PAINTED_FROM)


def box_of_strokes(strokes: List[np.ndarray],
                   shape: Tuple[int, int]) -> Box:
    """The box painted with the box brush: the bounding rectangle of its
    paint on every layer.

    Raises:
        MattingInputError: No box paint, or a layer of another size.
    """
    painted = np.zeros(shape, bool)
    for layer in strokes:
        _check_layer(layer, shape)
        painted |= _box_paint(layer)
    if not painted.any():
        raise MattingInputError(
            'draw a box: paint across the object with the box brush (red); '
            'the box is the rectangle around its paint')
    rows, columns = np.nonzero(painted.any(axis=1))[0], np.nonzero(
        painted.any(axis=0))[0]
    return (int(columns[0]), int(rows[0]), int(columns[-1]) + 1,
            int(rows[-1]) + 1)


def box_start(inputs: GuideInputs) -> Tuple[Box, np.ndarray]:
    """The box and the strokes' levels (white, black, else unknown) that
    the box guide and its fill button give GrabCut."""
    image = load_image(inputs.image)
    box = box_of_strokes(inputs.strokes, image.shape[:2])
    unknown = np.full(image.shape[:2], UNKNOWN, np.uint8)
    return box, paint(unknown, inputs.strokes)


def from_box(predictor: MattingPredictor, inputs: GuideInputs) -> Pair:
    """GrabCut's trimap of the object in the painted box, refined by the
    strokes, with the grey strokes painted on it."""
    box, scribbles = box_start(inputs)
    image, trimap = predictor.guides.box_pair(inputs.image, box, scribbles,
                                              inputs.unknown_width)
    return image, paint(trimap, inputs.strokes)


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
    'box': from_box,
}
