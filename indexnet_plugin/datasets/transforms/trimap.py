"""Trimap generation from the alpha matte, for both augmentation schemes."""
from typing import Callable, Sequence, Tuple, Union

import numpy as np
from mmcv.transforms import BaseTransform
from mmcv.transforms.utils import cache_randomness

from indexnet_plugin.registry import TRANSFORMS
from .functional import trimap_by_distance, trimap_by_morphology


def _int_pair(name: str, value: Union[int, Sequence[int]],
              random: bool) -> Tuple[int, int]:
    """Read an int or a pair of ints >= 1; an int ``k`` means the fixed
    value ``k`` (the range ``[k, k + 1)`` when sampling, ``(k, k)``
    otherwise). A range must be non-empty."""
    if isinstance(value, int) and not isinstance(value, bool):
        value = (value, value + 1) if random else (value, value)
    if not (isinstance(value, (tuple, list)) and len(value) == 2 and all(
            isinstance(v, int) and not isinstance(v, bool)
            for v in value) and min(value) >= 1):
        raise ValueError(f'{name} must be an int >= 1 or a pair of ints >= '
                         f'1, but got {value!r}')
    if random and value[1] <= value[0]:
        raise ValueError(f'{name} must be a range (min, max) with min < max '
                         f'when random=True, but got {value!r}')
    return tuple(value)


class _TrimapFromAlpha(BaseTransform):
    """Base of the transforms adding ``_make(alpha, *sampled choices)`` as
    "trimap"; subclasses set ``_make`` and the sampling method ``_sample``
    (which returns a tuple)."""

    _make: Callable[..., np.ndarray]

    def transform(self, results: dict) -> dict:
        """Add the trimap of ``results['alpha']``.

        Args:
            results: The sample.

        Returns:
            dict: The sample with "trimap".
        """
        results['trimap'] = self._make(results['alpha'], *self._sample())
        return results


@TRANSFORMS.register_module()
class GenerateTrimap(_TrimapFromAlpha):
    """Trimap by eroding and dilating the alpha matte (DIM augmentation).

    Foreground is what survives the erosion of the alpha, background what
    stays 0 after its dilation, the rest is unknown. Kernels are ellipses.
    Given the same kernel sizes and iterations, the trimap equals that of
    MMEditing's ``GenerateTrimap``; with ``random=True`` the samples are drawn
    from ``np.random`` in the same order, so a seed gives the same trimap too.

    Required Keys:

    - alpha: (H, W, 1) or (H, W), uint8 or float in [0, 255].

    Added Keys:

    - trimap: uint8 of the shape of alpha, values in {0, 128, 255}.

    Args:
        kernel_size: With ``random=True``, the range ``[min, max)`` the
            erosion and dilation kernel sizes are drawn from independently;
            otherwise the pair (erosion size, dilation size). An int ``k``
            fixes both sizes to ``k``.
        iterations: Iterations of erosion and dilation, in the same form as
            ``kernel_size``. Defaults to 1.
        random: Whether to draw kernel sizes and iterations. Defaults to
            True.

    Note:
        With ``random=False`` an int ``k`` means erosion and dilation with
        ``k``; MMEditing instead dilates with ``k + 1`` (its int-to-range
        conversion leaking into the fixed mode). Pass ``(k, k + 1)`` for its
        behaviour.

    Raises:
        ValueError: If ``kernel_size`` or ``iterations`` is not an int >= 1
            or a pair of them, or an empty range when ``random=True``.
    """

    _make = staticmethod(trimap_by_morphology)

    def __init__(self,
                 kernel_size: Union[int, Sequence[int]],
                 iterations: Union[int, Sequence[int]] = 1,
                 random: bool = True) -> None:
        self.random = bool(random)
        self.kernel_size = _int_pair('kernel_size', kernel_size, self.random)
        self.iterations = _int_pair('iterations', iterations, self.random)

    @cache_randomness
    def _sample(self) -> Tuple[int, int, int, int]:
        """Draw (erode size, dilate size, erode iterations, dilate
        iterations)."""
        if not self.random:
            return self.kernel_size + self.iterations
        (min_size, max_size), (min_iter, max_iter) = (self.kernel_size,
                                                      self.iterations)
        erode_size = min_size + np.random.randint(max_size - min_size)
        dilate_size = min_size + np.random.randint(max_size - min_size)
        erode_iters = np.random.randint(min_iter, max_iter)
        dilate_iters = np.random.randint(min_iter, max_iter)
        return erode_size, dilate_size, erode_iters, dilate_iters

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(kernel_size={self.kernel_size}, '
                f'iterations={self.iterations}, random={self.random})')


@TRANSFORMS.register_module()
class GenerateTrimapWithDistTransform(_TrimapFromAlpha):
    """Trimap whose unknown band surrounds the fractional alpha pixels up to
    a distance threshold (IndexNet augmentation).

    Unknown are the pixels within Euclidean distance ``thr`` of a pixel with
    ``0 < alpha < 255``; foreground where ``alpha == 255``, background
    elsewhere. ``thr`` is drawn from ``[1, dist_thr)`` with ``random=True``
    and is ``dist_thr`` otherwise. Given the same ``thr`` the trimap equals
    that of MMEditing's ``GenerateTrimapWithDistTransform`` (and a seed
    gives the same ``thr``) except at pixels at distance exactly ``thr``,
    which are always unknown here and unknown or not in MMEditing depending
    on OpenCV's float noise. The distance transform here is restricted to
    the region it can change, which makes it faster.

    Required Keys:

    - alpha: (H, W, 1) or (H, W), uint8 or float in [0, 255].

    Added Keys:

    - trimap: uint8 of the shape of alpha, values in {0, 128, 255}. An alpha
      without fractional pixels gives a trimap without unknown pixels.

    Args:
        dist_thr: Distance threshold in pixels (exclusive upper bound of
            the drawn threshold when ``random=True``). Defaults to 20.
        random: Whether to draw the threshold. Defaults to True.

    Raises:
        ValueError: If ``dist_thr`` is not an int >= 1 (>= 2 when
            ``random=True``, so that the range is not empty).
    """

    _make = staticmethod(trimap_by_distance)

    def __init__(self, dist_thr: int = 20, random: bool = True) -> None:
        smallest = 2 if random else 1
        if not (isinstance(dist_thr, int) and not isinstance(dist_thr, bool)
                and dist_thr >= smallest):
            raise ValueError(f'dist_thr must be an int >= {smallest} when '
                             f'random={bool(random)}, but got {dist_thr!r}')
        self.dist_thr = dist_thr
        self.random = bool(random)

    @cache_randomness
    def _sample(self) -> Tuple[int]:
        """Draw (the distance threshold,)."""
        if not self.random:
            return (self.dist_thr, )
        return (np.random.randint(1, self.dist_thr), )

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(dist_thr={self.dist_thr}, '
                f'random={self.random})')
