"""Random crop centred on an unknown pixel of the alpha matte or trimap."""
import logging
from typing import Sequence, Tuple, Union

import numpy as np
from mmcv.transforms import BaseTransform
from mmcv.transforms.utils import cache_randomness
from mmengine.logging import print_log

from indexnet_plugin.registry import TRANSFORMS
from .functional import (INTERPOLATIONS, alpha_2d, centre_candidates,
                         check_same_size, check_trimap, crop_top_left,
                         nth_nonzero, resize, select_keys, size_covering_crop,
                         unknown_mask)

CropSize = Tuple[int, int]


def _crop_size(value: Union[int, Sequence[int]]) -> CropSize:
    """Read a crop size: an int or an (h, w) pair of positive ints."""
    pair = (value, value) if isinstance(value, int) else value
    if not (isinstance(pair, (tuple, list)) and len(pair) == 2 and all(
            isinstance(v, int) and not isinstance(v, bool) and v > 0
            for v in pair)):
        raise ValueError('crop_sizes must hold positive ints or (h, w) pairs '
                         f'of them, but got {value!r}')
    return tuple(pair)


@TRANSFORMS.register_module()
class CropAroundUnknown(BaseTransform):
    """Crop all ``keys`` with a random size, centred on a random unknown
    pixel.

    The size is drawn from ``crop_sizes``. An image smaller than it is first
    upscaled with its aspect ratio kept, each key with its own interpolation
    (so a trimap can stay nearest-neighbour). The centre is drawn uniformly
    among the unknown pixels at least half a crop from the border, or among
    all unknown pixels if none is, and the crop is then moved inside the
    image. Without any unknown pixel the crop is the top-left corner and a
    warning names the sample. Given the same size and centre index the
    output equals MMEditing's ``CropAroundUnknown`` (same ``np.random``
    draws in the same order, so a seed gives the same crop).

    Required Keys:

    - the ``keys``, all of the same height and width; "alpha" (single
      channel, uint8 or float in [0, 255]) or "trimap" (values in
      {0, 128, 255}) as ``unknown_source``.

    Modified Keys:

    - the ``keys``: (crop_h, crop_w, ...) views of the (rescaled) arrays.

    Added Keys:

    - crop_bbox: (left, top, right, bottom) in the (rescaled) image.

    Args:
        keys: Keys of the arrays to crop; must contain ``unknown_source``.
        crop_sizes: Crop sizes, each an int or an (h, w) pair.
        unknown_source: "alpha" (unknown is ``0 < alpha < 255``) or "trimap"
            (unknown is 128). Defaults to "alpha".
        interpolations: Interpolation to upscale images smaller than the
            crop: one of "nearest", "bilinear", "bicubic", "area",
            "lanczos" for all keys, or a list of them aligned with ``keys``.
            Defaults to "bilinear".

    Raises:
        ValueError: If an argument is out of its choices, ``keys`` lacks
            ``unknown_source`` or ``interpolations`` does not match ``keys``.
    """

    def __init__(
            self,
            keys: Sequence[str],
            crop_sizes: Sequence[Union[int, Sequence[int]]],
            unknown_source: str = 'alpha',
            interpolations: Union[str, Sequence[str]] = 'bilinear') -> None:
        if unknown_source not in ('alpha', 'trimap'):
            raise ValueError('unknown_source must be "alpha" or "trimap", '
                             f'but got {unknown_source!r}')
        if isinstance(keys, str) or unknown_source not in keys:
            raise ValueError(f'keys must be a list containing '
                             f'"{unknown_source}" (the unknown_source), but '
                             f'got {keys!r}')
        if not isinstance(crop_sizes, (tuple, list)) or not crop_sizes:
            raise ValueError('crop_sizes must be a non-empty list, but got '
                             f'{crop_sizes!r}')
        if isinstance(interpolations, str):
            interpolations = [interpolations] * len(keys)
        if (not isinstance(interpolations,
                           (tuple, list)) or len(interpolations) != len(keys)
                or not set(interpolations) <= set(INTERPOLATIONS)):
            raise ValueError(
                f'interpolations must be one of {sorted(INTERPOLATIONS)} or a '
                f'list of them as long as keys ({len(keys)}), but got '
                f'{interpolations!r}')
        self.keys = list(keys)
        self.crop_sizes = [_crop_size(size) for size in crop_sizes]
        self.unknown_source = unknown_source
        self.interpolations = list(interpolations)

    def _unknown(self, source: np.ndarray) -> np.ndarray:
        """Unknown mask (H, W) of the ``unknown_source`` array."""
        if self.unknown_source == 'alpha':
            return unknown_mask(alpha_2d(source))
        # cv2 counts uint8, not bool, masks
        return (source.reshape(source.shape[:2]) == 128).view(np.uint8)

    @cache_randomness
    def _sample(self, results: dict) -> Tuple[CropSize, Tuple[int, int]]:
        """Draw the crop size, then its centre from the unknown pixels of
        the source rescaled for that size.

        Returns:
            tuple: The crop (h, w) and the centre (row, column) in the
            rescaled image.
        """
        crop_size = self.crop_sizes[np.random.randint(len(self.crop_sizes))]
        source = results[self.unknown_source]
        size = size_covering_crop(source.shape[:2], crop_size)
        if size != source.shape[:2]:
            source = resize(
                source, size,
                self.interpolations[self.keys.index(self.unknown_source)])
        candidates, row0, col0 = centre_candidates(
            self._unknown(source), crop_size)
        if candidates is None:
            print_log(
                f'No unknown pixel in "{self.unknown_source}" of '
                f'{results.get(self.unknown_source + "_path", "the sample")}'
                '; cropping its top-left corner.',
                logger='current',
                level=logging.WARNING)
            return crop_size, (crop_size[0] // 2, crop_size[1] // 2)
        row, col = nth_nonzero(candidates,
                               np.random.randint(np.count_nonzero(candidates)))
        return crop_size, (row0 + row, col0 + col)

    def transform(self, results: dict) -> dict:
        """Crop the ``keys`` of ``results``.

        Args:
            results: The sample.

        Returns:
            dict: The sample with cropped ``keys`` and "crop_bbox".

        Raises:
            KeyError: If a key is missing.
            ValueError: If the keys differ in height or width, the alpha is
                not a valid matte or the trimap has values other than 0,
                128 and 255.
        """
        arrays = select_keys(results, self.keys)
        check_same_size(arrays)
        if self.unknown_source == 'trimap':
            check_trimap(arrays['trimap'])
        crop_size, centre = self._sample(results)
        size = size_covering_crop(arrays[self.keys[0]].shape[:2], crop_size)
        top, left = crop_top_left(centre, crop_size, size)
        bottom, right = top + crop_size[0], left + crop_size[1]
        for key, interpolation in zip(self.keys, self.interpolations):
            array = arrays[key]
            if array.shape[:2] != size:
                array = resize(array, size, interpolation)
            results[key] = array[top:bottom, left:right]
        results['crop_bbox'] = (left, top, right, bottom)
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(keys={self.keys}, '
                f'crop_sizes={self.crop_sizes}, '
                f'unknown_source={self.unknown_source!r}, '
                f'interpolations={self.interpolations})')
