"""Trimaps of any object from a box and optional strokes (OpenCV's GrabCut).

A box (``X0, Y0, X1, Y1``: pixel columns ``X0 .. X1 - 1`` and rows
``Y0 .. Y1 - 1``, as in a numpy slice) says that the object lies inside it and
that what lies outside is background. Strokes (a grey *scribble image* of the
image's size, read by the trimap rule of :mod:`.trimap`: white = object,
black = background, grey = no stroke) correct what the box got wrong. Only
the ``load_*`` functions read files; nothing draws random numbers (GrabCut's
k-means is seeded) or mutates its inputs. The rule:

1. Crop: the box grown by :data:`CROP_MARGIN` of its longer side on every
   side (clipped to the image). Pixels farther out are background anyway;
   cropping leaves GrabCut's pixel budget to the object (a thin rocket keeps
   its resolution) and learns the background's colours near the object.
2. Reduce: the crop is shrunk (``INTER_AREA``) to at most
   :data:`WORK_PIXELS` pixels. GrabCut's time grows with the pixels and with
   the texture (its max-flow): on the most textured composite of the
   measurement, scaled to 1920x1280, five rounds on the whole image took
   1.25 s at 60 000 pixels, 2.53 s at 100 000 and 4.85 s at 250 000 (2
   cores, load 3.6-4.0), and no image of the measurement kept more of its
   object or leaked less at the larger sizes. Cropped, 0.96 s.
3. Label: outside the box background (``GC_BGD``), inside probably the
   object (``GC_PR_FGD``); white strokes are the object (``GC_FGD``), black
   strokes background (``GC_BGD``). :data:`ITERATIONS` rounds of GrabCut.
4. Upsample the object (0/1) bilinearly to the crop's size, threshold at
   0.5, and paste it into an image-sized mask.
5. The mask -> trimap rule of :mod:`.mask` (band of ``unknown_width`` on
   each side of the outline; by default 5 % of the object's size, at least
   one working pixel, 1 / scale, since the upsampled outline is only that
   accurate); the strokes stay what they say (white 255, black 0).

Measured (``bench/bench_box.py``; the README's table): on three
photographs with traced reference trimaps and a drawn present with its true
alpha, the box of the reference object gives a trimap keeping 94.5-100 % of
the reference foreground and calling none of the reference background
foreground; on six synthetic Comp-1k composites, whose object and
background are the same kind of random texture and whose hair reaches the
frame, 1.8-52 % of the background is called foreground; a drawn glass
(alpha 0.12 inside) is refused (no object found). Box to trimap at
1920x1280: 0.15-0.96 s on 2 cores (load 4-5). A wider band (8 % of the
object's size) lowered the leaks little (52.4 -> 49.5 %) and raised the
matte's SAD against the reference trimap's on every photograph (coffee
14.0 -> 25.7), so the band keeps :mod:`.mask`'s rule.

Strokes refine a box; they do not replace it: from three object and three
background dabs alone, GrabCut kept the labels where they started (the rest
started as probably background: 0.2-66 % of the object kept; as probably
object: 90-99.6 % of the background called object), and scikit-image's
random walker, made for strokes, did no better on the photographs (up to
96 % of the background called object, 2-8 s). Segmenters with learned
weights that take a box or clicks (SAM, MediaPipe's interactive segmenter)
need files that no installed wheel bundles.
"""
import math
from pathlib import Path
from typing import Optional, Sequence, Tuple

import cv2
import numpy as np

from .images import (ArrayOrPath, MattingInputError, check_same_size,
                     decode_file, describe_source, grey_channel, load_image,
                     to_uint8)
from .mask import check_unknown_width, default_unknown_width, mask_to_trimap
from .trimap import BACKGROUND, FOREGROUND, quantise_trimap

Box = Tuple[int, int, int, int]
CROP_MARGIN = 0.2
WORK_PIXELS = 60_000
ITERATIONS = 5
SEED = 0  # GrabCut initialises its colour models by k-means (cv::theRNG)


def format_box(box: Sequence[int]) -> str:
    """``X0,Y0,X1,Y1`` as the command line takes it."""
    return ','.join(str(value) for value in box)


def parse_box(text: str) -> Box:
    """Read ``X0,Y0,X1,Y1`` (four integers).

    Raises:
        ValueError: Not four comma-separated integers.
    """
    parts = [part.strip() for part in str(text).split(',')]
    try:
        values = tuple(int(part) for part in parts)
    except ValueError:
        values = ()
    if len(values) != 4:
        raise ValueError(f'box {text!r}: expected X0,Y0,X1,Y1 (four integers)')
    return values


def check_box(box: Sequence[int], shape: Tuple[int, int], name: str,
              background_strokes: bool = False) -> Box:
    """Refuse a box that cannot guide GrabCut on an image of ``shape``.

    Args:
        box: ``(X0, Y0, X1, Y1)``, see the module docstring.
        shape: The image's (H, W).
        name: How messages refer to the image.
        background_strokes: Black strokes give GrabCut background, so a box
            covering the whole image is accepted with them.

    Returns:
        tuple: The box as four Python ints.

    Raises:
        MattingInputError: Not four integers, empty, not inside the image, or
            covering all of it without background strokes.
    """
    if (not isinstance(box, (tuple, list, np.ndarray)) or len(box) != 4
            or any(isinstance(value, bool)
                   or not isinstance(value, (int, np.integer))
                   for value in box)):
        raise MattingInputError(
            f'{name}: box {box!r}: expected four integers X0,Y0,X1,Y1')
    x0, y0, x1, y1 = (int(value) for value in box)
    height, width = shape
    text = format_box((x0, y0, x1, y1))
    if x1 <= x0 or y1 <= y0:
        raise MattingInputError(
            f'{name}: box {text} is empty, expected X0 < X1 and Y0 < Y1')
    if x0 < 0 or y0 < 0 or x1 > width or y1 > height:
        raise MattingInputError(
            f'{name}: box {text} is not inside the image ({width}x{height}, '
            f'WxH), expected 0 <= X0 < X1 <= {width} and '
            f'0 <= Y0 < Y1 <= {height}')
    if (x0, y0, x1, y1) == (0, 0, width, height) and not background_strokes:
        raise MattingInputError(
            f'{name}: box {text} covers the whole image, which leaves no '
            'background to learn its colours from; draw a smaller box or '
            'background strokes')
    return x0, y0, x1, y1


def as_scribbles(array: np.ndarray,
                 name: str = 'scribbles array') -> np.ndarray:
    """Validate a scribble image and read its strokes.

    Args:
        array: Grey picture (H, W), or (H, W, C) with equal colour channels
            (a fourth, alpha channel is ignored), 8 or 16 bits.
        name: How error messages refer to it.

    Returns:
        np.ndarray: The strokes as trimap levels, ``uint8`` (H, W): 255 the
        object, 0 background, 128 no stroke (by :mod:`.trimap`'s rule).

    Raises:
        MattingInputError: Unsupported shape or pixel type, coloured pixels.
    """
    grey = grey_channel(array, name, 'scribble image',
                        'white, black and grey strokes')
    return quantise_trimap(to_uint8(grey, name))[0]


def load_scribbles(scribbles: ArrayOrPath) -> np.ndarray:
    """Read (if a path) and validate a scribble image, see
    :func:`as_scribbles`."""
    if isinstance(scribbles, (str, Path)):
        return as_scribbles(decode_file(scribbles, 'scribbles'),
                            f"scribbles '{scribbles}'")
    return as_scribbles(scribbles)


def crop_region(box: Box, shape: Tuple[int, int]) -> Box:
    """The box grown by :data:`CROP_MARGIN` of its longer side, clipped."""
    x0, y0, x1, y1 = box
    margin = round(CROP_MARGIN * max(x1 - x0, y1 - y0))
    return (max(0, x0 - margin), max(0, y0 - margin),
            min(shape[1], x1 + margin), min(shape[0], y1 + margin))


def grabcut_labels(small: np.ndarray, box: Box, strokes: Optional[np.ndarray],
                   scale: Tuple[float, float]) -> np.ndarray:
    """GrabCut's starting labels at the working size (see step 3)."""
    height, width = small.shape[:2]
    x0, y0, x1, y1 = box
    labels = np.full((height, width), cv2.GC_BGD, np.uint8)
    labels[math.floor(y0 * scale[1]):math.ceil(y1 * scale[1]),
           math.floor(x0 * scale[0]):math.ceil(x1 * scale[0])] = \
        cv2.GC_PR_FGD
    if strokes is not None:
        small_strokes = cv2.resize(strokes, (width, height),
                                   interpolation=cv2.INTER_NEAREST)
        labels[small_strokes == FOREGROUND] = cv2.GC_FGD
        labels[small_strokes == BACKGROUND] = cv2.GC_BGD
    return labels


def grabcut_object(image: np.ndarray, box: Box,
                   strokes: Optional[np.ndarray] = None,
                   name: str = 'image array') -> Tuple[np.ndarray, float]:
    """The object GrabCut finds in a box, steps 1-4 of the module docstring.

    Args:
        image: BGR ``uint8`` (H, W, 3).
        box: A box checked by :func:`check_box`.
        strokes: Trimap levels (H, W) of the strokes (:func:`as_scribbles`),
            or None.
        name: How error messages refer to the image.

    Returns:
        tuple[np.ndarray, float]: ``bool`` (H, W), True on the object; the
        working scale (working pixels per image pixel, at most 1).

    Raises:
        MattingInputError: Background strokes cover the box, or the box
            leaves no background pixel at the working size (GrabCut needs
            both).
    """
    cx0, cy0, cx1, cy1 = crop_region(box, image.shape[:2])
    crop = image[cy0:cy1, cx0:cx1]
    height, width = crop.shape[:2]
    scale = min(1.0, math.sqrt(WORK_PIXELS / (height * width)))
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    small = cv2.resize(crop, size, interpolation=cv2.INTER_AREA)
    in_crop = (box[0] - cx0, box[1] - cy0, box[2] - cx0, box[3] - cy0)
    labels = grabcut_labels(
        small, in_crop, None if strokes is None else
        strokes[cy0:cy1, cx0:cx1], (size[0] / width, size[1] / height))
    text = format_box(box)
    if not np.isin(labels, (cv2.GC_FGD, cv2.GC_PR_FGD)).any():
        raise MattingInputError(
            f'{name}: background strokes cover all of box {text}, expected '
            'some of the object in it')
    if not (labels == cv2.GC_BGD).any():
        raise MattingInputError(
            f'{name}: box {text} leaves no background at GrabCut\'s working '
            f'size ({size[0]}x{size[1]}); draw a smaller box or background '
            'strokes')
    cv2.setRNGSeed(SEED)
    cv2.grabCut(small, labels, None, np.zeros((1, 65)), np.zeros((1, 65)),
                ITERATIONS, cv2.GC_INIT_WITH_MASK)
    found = np.isin(labels, (cv2.GC_FGD, cv2.GC_PR_FGD)).astype(np.float32)
    found = cv2.resize(found, (width, height), interpolation=cv2.INTER_LINEAR)
    inside = np.zeros(image.shape[:2], bool)
    inside[cy0:cy1, cx0:cx1] = found >= 0.5
    return inside, scale


def box_trimap(image: np.ndarray, box: Box,
               strokes: Optional[np.ndarray] = None,
               unknown_width: Optional[int] = None,
               name: str = 'image array') -> np.ndarray:
    """The trimap of the object in a box, by the rule of the module.

    Args:
        image: BGR ``uint8`` (H, W, 3).
        box: A box checked by :func:`check_box`.
        strokes: Trimap levels (H, W) of the strokes, or None.
        unknown_width: See :func:`.mask.mask_to_trimap`; None for 5 % of
            the object's size, at least one working pixel.
        name: How error messages refer to the image.

    Returns:
        np.ndarray: ``uint8`` trimap (H, W) with 0, 128 and 255.

    Raises:
        MattingInputError: GrabCut found no object in the box, see also
            :func:`grabcut_object`.
        ValueError: Invalid ``unknown_width``.
    """
    check_unknown_width(unknown_width)
    inside, scale = grabcut_object(image, box, strokes, name)
    if not inside.any():
        raise MattingInputError(
            f'{name}: no object found in box {format_box(box)}; draw object '
            'strokes (white) on it')
    if unknown_width is None:
        unknown_width = max(default_unknown_width(inside),
                            math.ceil(1 / scale))
    trimap = mask_to_trimap(inside.astype(np.float32), unknown_width)
    if strokes is not None:
        trimap[strokes == FOREGROUND] = FOREGROUND
        trimap[strokes == BACKGROUND] = BACKGROUND
    return trimap


def load_box_pair(image: ArrayOrPath,
                  box: Sequence[int],
                  scribbles: Optional[ArrayOrPath] = None,
                  unknown_width: Optional[int] = None
                  ) -> Tuple[np.ndarray, np.ndarray]:
    """Load an image (and its scribbles) and make the trimap of the object
    in the box.

    Args:
        image: Image path or array, see :func:`.images.as_image`.
        box: ``(X0, Y0, X1, Y1)``, see :func:`check_box`.
        scribbles: Scribble image path or array of the image's size, see
            :func:`as_scribbles`, or None.
        unknown_width: See :func:`box_trimap`.

    Returns:
        tuple[np.ndarray, np.ndarray]: BGR image (H, W, 3) and trimap
        (H, W), both ``uint8``.

    Raises:
        MattingInputError: Invalid image, scribbles or box, sizes that
            differ, or no object found; named by file.
        ValueError: Invalid ``unknown_width``.
    """
    check_unknown_width(unknown_width)
    image_array = load_image(image)
    name = describe_source(image, 'image')
    strokes = None
    if scribbles is not None:
        strokes = load_scribbles(scribbles)
        check_same_size(strokes.shape, describe_source(scribbles, 'scribbles'),
                        image_array.shape[:2], name)
    box = check_box(box, image_array.shape[:2], name,
                    strokes is not None and (strokes == BACKGROUND).any())
    return image_array, box_trimap(image_array, box, strokes, unknown_width,
                                   name)
