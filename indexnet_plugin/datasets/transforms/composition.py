"""On-the-fly composition of training samples (DIM paper pipeline)."""
import os.path as osp
from typing import List, Optional, Sequence, Tuple, Union

import mmcv
import numpy as np
from mmcv.image.io import imread_flags
from mmcv.transforms import BaseTransform
from mmcv.transforms.utils import cache_randomness
from mmengine.fileio import get_file_backend

from indexnet_plugin.registry import TRANSFORMS
from .functional import (INTERPOLATIONS, add_noise, adjust_gamma,
                         check_same_size, composite_foregrounds, merge, resize,
                         select_keys)

IMAGE_EXTENSIONS = ('.jpg', '.jpeg', '.png', '.bmp', '.tif', '.tiff', '.webp')


def _list_images(backend, directory: str) -> List[str]:
    """Sorted paths of the image files in ``directory`` (sorted so that an
    index means the same file on every machine)."""
    names = sorted(
        name for name in backend.list_dir_or_file(directory, list_dir=False)
        if name.lower().endswith(IMAGE_EXTENSIONS))
    if not names:
        raise ValueError(f'no image file ({", ".join(IMAGE_EXTENSIONS)}) in '
                         f'{directory!r}')
    return [backend.join_path(directory, name) for name in names]


def _load(backend,
          path: str,
          flag: str = 'color',
          channel_order: str = 'bgr') -> np.ndarray:
    """Decode the image at ``path``, naming it if that fails."""
    img = mmcv.imfrombytes(
        backend.get(path), flag=flag, channel_order=channel_order)
    if img is None:
        raise ValueError(f'cannot decode {path!r} as an image')
    return img


@TRANSFORMS.register_module()
class CompositeFg(BaseTransform):
    """Composite the foreground with a random second foreground.

    With probability ``prob`` a foreground and its alpha are loaded from
    ``fg_dirs``/``alpha_dirs``, resized to the sample and put behind it
    (see :func:`~.functional.composite_foregrounds`). Given the same file
    the output equals MMEditing's ``CompositeFg``; the draws from
    ``np.random`` are the same, but the file lists here are sorted in each
    directory and restricted to images.

    Required Keys:

    - fg: (H, W, C).
    - alpha: (H, W, 1) or (H, W), in [0, 255].

    Modified Keys:

    - fg: float64 when composited, unchanged otherwise.
    - alpha: float64 in [0, 255], always (so its type does not depend on
      the draw).

    Args:
        fg_dirs: Directory or directories of foreground images.
        alpha_dirs: Directories of the alpha mattes, aligned with
            ``fg_dirs``; the files must pair up by name (extension aside).
        interpolation: Interpolation to resize the loaded pair to the
            sample. Defaults to "nearest".
        prob: Probability to composite. Defaults to 0.5.

    Raises:
        ValueError: If the directories do not pair up (count, names), one
            holds no image, or an argument is out of its choices.
    """

    def __init__(self,
                 fg_dirs: Union[str, Sequence[str]],
                 alpha_dirs: Union[str, Sequence[str]],
                 interpolation: str = 'nearest',
                 prob: float = 0.5) -> None:
        self.fg_dirs = [fg_dirs] if isinstance(fg_dirs, str) else list(fg_dirs)
        self.alpha_dirs = [alpha_dirs] if isinstance(alpha_dirs,
                                                     str) else list(alpha_dirs)
        if len(self.fg_dirs) != len(self.alpha_dirs) or not self.fg_dirs:
            raise ValueError('fg_dirs and alpha_dirs must be as many '
                             f'directories, but got {self.fg_dirs!r} and '
                             f'{self.alpha_dirs!r}')
        if interpolation not in INTERPOLATIONS:
            raise ValueError(f'interpolation must be one of '
                             f'{sorted(INTERPOLATIONS)}, but got '
                             f'{interpolation!r}')
        if not 0 <= prob <= 1:
            raise ValueError(f'prob must be in [0, 1], but got {prob!r}')
        self.interpolation = interpolation
        self.prob = prob
        self.backend = get_file_backend(uri=self.fg_dirs[0])
        self.fg_paths, self.alpha_paths = [], []
        for fg_dir, alpha_dir in zip(self.fg_dirs, self.alpha_dirs):
            fgs = _list_images(self.backend, fg_dir)
            alphas = _list_images(self.backend, alpha_dir)
            stems = [[osp.splitext(osp.basename(p))[0] for p in paths]
                     for paths in (fgs, alphas)]
            if stems[0] != stems[1]:
                unpaired = sorted(set(stems[0]) ^ set(stems[1]))[:5]
                raise ValueError(
                    f'{fg_dir!r} ({len(fgs)} images) and {alpha_dir!r} '
                    f'({len(alphas)} images) must hold the same file names, '
                    f'but these are unpaired: {unpaired}')
            self.fg_paths += fgs
            self.alpha_paths += alphas

    @cache_randomness
    def _sample(self) -> Optional[int]:
        """Draw the index of the second foreground, or None for no
        composition."""
        if np.random.rand() < self.prob:
            return np.random.randint(len(self.fg_paths))
        return None

    def transform(self, results: dict) -> dict:
        """Composite ``results['fg']`` with a random foreground.

        Args:
            results: The sample.

        Returns:
            dict: The sample with new "fg" and "alpha".

        Raises:
            ValueError: If the loaded foreground and alpha differ in size or
                cannot be decoded.
        """
        index = self._sample()
        if index is None:
            results['alpha'] = results['alpha'].astype(np.float64)
            return results
        fg_path, alpha_path = self.fg_paths[index], self.alpha_paths[index]
        fg2 = _load(self.backend, fg_path)
        alpha2 = _load(self.backend, alpha_path, flag='grayscale')
        check_same_size({fg_path: fg2, alpha_path: alpha2})
        size = results['fg'].shape[:2]
        results['fg'], results['alpha'] = composite_foregrounds(
            results['fg'], results['alpha'],
            resize(fg2, size, self.interpolation),
            resize(alpha2.astype(np.float64), size, self.interpolation))
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(fg_dirs={self.fg_dirs!r}, '
                f'alpha_dirs={self.alpha_dirs!r}, '
                f'interpolation={self.interpolation!r}, prob={self.prob})')


@TRANSFORMS.register_module()
class MergeFgAndBg(BaseTransform):
    """Composite the foreground over the background with the alpha matte:
    ``merged = alpha * fg + (1 - alpha) * bg`` (alpha scaled to [0, 1]),
    equal to MMEditing's ``MergeFgAndBg``.

    Required Keys:

    - alpha: (H, W, 1) or (H, W), in [0, 255].
    - fg: (H, W, C).
    - bg: (H, W, C).

    Added Keys:

    - merged: float32 (H, W, C).
    """

    def transform(self, results: dict) -> dict:
        """Add "merged" to ``results``.

        Args:
            results: The sample.

        Returns:
            dict: The sample with "merged".

        Raises:
            KeyError: If a key is missing.
            ValueError: If the shapes of alpha, fg and bg do not fit.
        """
        arrays = select_keys(results, ('alpha', 'fg', 'bg'))
        check_same_size(arrays)
        if arrays['fg'].shape != arrays['bg'].shape:
            raise ValueError(f'"fg" and "bg" must have the same shape, but '
                             f'got {arrays["fg"].shape} and '
                             f'{arrays["bg"].shape}')
        results['merged'] = merge(arrays['fg'], arrays['bg'], arrays['alpha'])
        return results

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}()'


@TRANSFORMS.register_module()
class PerturbBg(BaseTransform):
    """Perturb the background with gaussian noise or a gamma change.

    With probability ``gamma_ratio`` the gamma is drawn from N(1, 0.12),
    otherwise noise N(mu, sigma) with integer mu in [-7, 7) and sigma in
    [2, 6) is added and clipped to [0, 255]. Given the same draws the output
    equals MMEditing's ``PerturbBg`` for uint8 backgrounds (which it receives
    from the loading and resizing steps); a float background is taken in
    [0, 255] too, where MMEditing would take it in [0, 1].

    Required Keys:

    - bg: (H, W, C), uint8 or float in [0, 255].

    Added Keys:

    - noisy_bg: float64 with noise, or of the type of bg with gamma.

    Args:
        gamma_ratio: Probability of a gamma change instead of noise.
            Defaults to 0.6.

    Raises:
        ValueError: If ``gamma_ratio`` is not in [0, 1].
    """

    def __init__(self, gamma_ratio: float = 0.6) -> None:
        if not 0 <= gamma_ratio <= 1:
            raise ValueError('gamma_ratio must be in [0, 1], but got '
                             f'{gamma_ratio!r}')
        self.gamma_ratio = gamma_ratio

    @cache_randomness
    def _sample(self, shape: Tuple[int, ...]) -> Tuple[str, object]:
        """Draw ("noise", array of ``shape``) or ("gamma", float)."""
        if np.random.rand() >= self.gamma_ratio:
            mu = np.random.randint(-7, 7)
            sigma = np.random.randint(2, 6)
            return 'noise', np.random.normal(mu, sigma, shape)
        return 'gamma', np.random.normal(1, 0.12)

    def transform(self, results: dict) -> dict:
        """Add "noisy_bg" to ``results``.

        Args:
            results: The sample.

        Returns:
            dict: The sample with "noisy_bg".
        """
        bg = results['bg']
        kind, value = self._sample(bg.shape)
        if kind == 'noise':
            results['noisy_bg'] = add_noise(bg, value)
        else:
            # a negative gamma has probability 1e-16; treat it as 0
            results['noisy_bg'] = adjust_gamma(bg, max(value, 0.))
        return results

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}(gamma_ratio={self.gamma_ratio})'


@TRANSFORMS.register_module()
class RandomLoadResizeBg(BaseTransform):
    """Load a random background and resize it (bicubic) to the foreground.

    Given the same file the output equals MMEditing's
    ``RandomLoadResizeBg``; its file list is in directory order, the one here
    sorted (reproducible across machines) and restricted to images.

    Required Keys:

    - fg: (H, W, C).

    Added Keys:

    - bg: uint8 (H, W, C).

    Args:
        bg_dir: Directory of background images.
        flag: Loading flag of ``mmcv.imfrombytes``. Defaults to "color".
        channel_order: "bgr" or "rgb". Defaults to "bgr".

    Raises:
        ValueError: If ``bg_dir`` holds no image or an argument is out of its
            choices.
    """

    def __init__(self,
                 bg_dir: str,
                 flag: str = 'color',
                 channel_order: str = 'bgr') -> None:
        if flag not in imread_flags:
            raise ValueError(f'flag must be one of {sorted(imread_flags)}, '
                             f'but got {flag!r}')
        if channel_order not in ('bgr', 'rgb'):
            raise ValueError('channel_order must be "bgr" or "rgb", but got '
                             f'{channel_order!r}')
        self.bg_dir = bg_dir
        self.flag = flag
        self.channel_order = channel_order
        self.backend = get_file_backend(uri=bg_dir)
        self.bg_paths = _list_images(self.backend, bg_dir)

    @cache_randomness
    def _sample(self) -> int:
        """Draw the index of the background."""
        return np.random.randint(len(self.bg_paths))

    def transform(self, results: dict) -> dict:
        """Add a random "bg" of the size of ``results['fg']``.

        Args:
            results: The sample.

        Returns:
            dict: The sample with "bg".

        Raises:
            ValueError: If the background cannot be decoded.
        """
        bg = _load(self.backend, self.bg_paths[self._sample()], self.flag,
                   self.channel_order)
        results['bg'] = resize(bg, results['fg'].shape[:2], 'bicubic')
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(bg_dir={self.bg_dir!r}, '
                f'flag={self.flag!r}, channel_order={self.channel_order!r})')
