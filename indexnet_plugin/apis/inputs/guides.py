"""Reading an image with its guide as an (image, trimap) pair.

A guide is a trimap, a mask (made a trimap by :mod:`.mask`'s rule), a
mask found by the bundled person segmenter (:mod:`.person`) or a box, with
optional strokes, around any object (:mod:`.box`); exactly one per image. The
predictor, ``indexnet-predict`` and ``indexnet-app`` read guides through one
:class:`GuideReader`, so a guide gives the same trimap everywhere.
"""
from typing import Callable, Optional, Sequence, Tuple, Union

import numpy as np

from .box import load_box_pair
from .images import ArrayOrPath, load_pair
from .mask import check_unknown_width, load_mask_pair
from .person import PersonSegmenter, check_auto_mask

Pair = Tuple[np.ndarray, np.ndarray]
# ``auto_mask``: a kind of :data:`~.person.AUTO_MASK_KINDS` or a segmenter.
AutoMask = Union[str, PersonSegmenter]


class GuideReader:
    """Reads images with their trimaps, masks or automatic masks.

    Args:
        strict_trimap: Refuse trimaps with values other than 0, 128 and 255
            (beyond a few) instead of relabelling them, see
            :func:`~.images.as_trimap`.
        relabel: Relabel other values to the nearest level (the mmedit
            protocol); False keeps them (the authors' protocol writes every
            value but 128 back into the alpha).
    """

    def __init__(self, strict_trimap: bool = False, relabel: bool = True):
        self.strict_trimap = strict_trimap
        self.relabel = relabel
        self._segmenter: Optional[PersonSegmenter] = None  # built on use

    def trimap_pair(self, image: ArrayOrPath, trimap: ArrayOrPath) -> Pair:
        """Read and validate an image and its trimap.

        Args:
            image: Image path or array, see :func:`~.images.as_image`.
            trimap: Trimap path or array, see :func:`~.images.as_trimap`.

        Returns:
            tuple[np.ndarray, np.ndarray]: BGR image (H, W, 3) and trimap
            (H, W), both ``uint8``.

        Raises:
            MattingInputError: Either input is invalid, or their sizes
                differ.
        """
        return load_pair(image, trimap, self.strict_trimap, self.relabel)

    def mask_pair(self,
                  image: ArrayOrPath,
                  mask: ArrayOrPath,
                  unknown_width: Optional[int] = None) -> Pair:
        """Read an image and make its trimap from a mask, see
        :func:`~.mask.load_mask_pair`."""
        return load_mask_pair(image, mask, unknown_width)

    def box_pair(self,
                 image: ArrayOrPath,
                 box: Sequence[int],
                 scribbles: Optional[ArrayOrPath] = None,
                 unknown_width: Optional[int] = None) -> Pair:
        """Read an image and make the trimap of the object in a box, see
        :func:`~.box.load_box_pair`."""
        return load_box_pair(image, box, scribbles, unknown_width)

    def auto_pair(self,
                  image: ArrayOrPath,
                  auto_mask: AutoMask = 'person',
                  unknown_width: Optional[int] = None) -> Pair:
        """Read an image and make its trimap from the segmenter's mask.

        Args:
            image: Image path or array, see :func:`~.images.as_image`.
            auto_mask: ``'person'`` (the default segmenter, built once:
                importing MediaPipe takes seconds) or a
                :class:`~.person.PersonSegmenter` with other options.
            unknown_width: Band width of the trimap in pixels (default: a
                fraction of the person's size).

        Returns:
            tuple[np.ndarray, np.ndarray]: BGR image (H, W, 3) and trimap
            (H, W), both ``uint8``.

        Raises:
            MattingInputError: Invalid image or no person found.
            ValueError: Unknown ``auto_mask`` or invalid ``unknown_width``.
            SegmenterNotInstalledError: No ``mediapipe``.
        """
        return self.segmenter(auto_mask).load_pair(image, unknown_width)

    def segmenter(self, auto_mask: AutoMask) -> PersonSegmenter:
        """The segmenter given, or for a kind the default one (built once:
        importing MediaPipe takes seconds).

        Raises:
            ValueError: Unknown ``auto_mask``.
            SegmenterNotInstalledError: No ``mediapipe``.
        """
        if isinstance(auto_mask, PersonSegmenter):
            return auto_mask
        check_auto_mask(auto_mask)
        if self._segmenter is None:
            self._segmenter = PersonSegmenter()
        return self._segmenter

    def batch_reader(
        self,
        count: int,
        trimaps: Optional[Sequence[ArrayOrPath]],
        masks: Optional[Sequence[ArrayOrPath]],
        auto_mask: Optional[AutoMask],
        unknown_width: Optional[int],
        boxes: Optional[Sequence[Sequence[int]]] = None,
        scribbles: Optional[Sequence[Optional[ArrayOrPath]]] = None
    ) -> Callable[[int, ArrayOrPath], Pair]:
        """Check the guides of ``count`` images and return what reads the
        i-th image with its trimap.

        Raises:
            ValueError: Not exactly one of trimaps, masks, auto_mask and
                boxes, scribbles without boxes, a number of trimaps (masks,
                boxes, scribbles) other than ``count``, an unknown
                ``auto_mask`` or an invalid ``unknown_width``.
            SegmenterNotInstalledError: ``auto_mask`` without
                ``mediapipe``.
        """
        given = [
            name for name, value in (('trimaps', trimaps), ('masks', masks),
                                     ('auto_mask', auto_mask),
                                     ('boxes', boxes)) if value is not None
        ]
        if len(given) != 1:
            raise ValueError(
                'give exactly one of trimaps, masks, auto_mask and boxes, '
                f"got {' and '.join(given) or 'none'}")
        if scribbles is not None and boxes is None:
            raise ValueError('scribbles refine boxes: give boxes with them')
        for kind, guides in (('trimaps', trimaps), ('masks', masks),
                             ('boxes', boxes), ('scribbles', scribbles)):
            if guides is not None and len(guides) != count:
                raise ValueError(f'got {count} images but {len(guides)} '
                                 f'{kind}')
        if trimaps is not None:
            return lambda i, image: self.trimap_pair(image, trimaps[i])
        check_unknown_width(unknown_width)
        if masks is not None:
            return lambda i, image: self.mask_pair(image, masks[i],
                                                   unknown_width)
        if boxes is not None:
            strokes = scribbles or [None] * count
            return lambda i, image: self.box_pair(image, boxes[i], strokes[
                i], unknown_width)
        segmenter = self.segmenter(auto_mask)
        return lambda i, image: segmenter.load_pair(image, unknown_width)
