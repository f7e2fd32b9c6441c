"""Alpha matting with a trained trimap-based mattor: build, load, predict.

Typical use::

    from indexnet_plugin.apis import init_predictor
    predictor = init_predictor('indexnet_mobv2', 'indexnet.pth')  # name or path
    alpha = predictor.predict('cat.jpg', 'cat_trimap.png')  # uint8 (H, W)

The predictor reproduces mmedit's test-time behaviour of the same model
(normalisation, resize to a multiple of ``size_divisor`` by interpolation or
reflect padding, restoring the size, clamping, writing back the trimap's known
regions, rounding to ``uint8``) and adds:

* batching: inputs whose network input size is the same are stacked (in
  ``interp`` mode every image of 100x130 to 127x159 pixels maps to 96x128),
  so a batch gives the same alphas as one-by-one prediction;
* bounded memory: a network input runs in one piece when its estimated
  peak memory fits the memory budget (:mod:`.memory`); a larger one runs in
  the fewest overlapping tiles of at most ``tile_size`` pixels a side,
  blended with squared ramps, tiles without unknown pixels skipped, with a
  :class:`~.memory.TiledInferenceWarning` per image;
* a fast network (:mod:`~indexnet_plugin.apis.runtimes.selection`): batch
  norms folded, run by OpenVINO
  (or onnxruntime, TorchScript), its clamped alpha checked against the
  plain network's before use; ``MattingPredictor.backend`` names it.

One image's failure (:func:`image_errors`: its input, the machine, the
runtime) costs only its own alpha; anything else is a bug and propagates.

With ``test_cfg=dict(protocol='original', ...)`` (the authors' model,
``configs/indexnet_mobv2_original.py``) it follows the authors' test protocol
instead (:mod:`~indexnet_plugin.models.original_protocol`): normalisation in
float64, OpenCV resizing up and back, every non-128 trimap pixel written
back, truncation to ``uint8``.
"""

import math
import warnings
from typing import Dict, Iterator, List, Optional, Sequence, Tuple

import numpy as np
import torch

from ..inputs.guides import AutoMask, GuideReader
from ..inputs.images import (READ_ERRORS, ArrayOrPath, MattingInputError,
                             describe_error, describe_source)
from ..runtimes.base import Network, runtime_errors
from . import memory
from .settings import MattingSettings
from .tiling import (DEFAULT_TILE_OVERLAP, DEFAULT_TILE_SIZE, TileGrid,
                     run_tiled, tile_grid)

# Images per network call of predict_batch (same network input size only).
DEFAULT_BATCH_SIZE = 4


def image_errors() -> Tuple[type, ...]:
    """What one image's reading, prediction or writing may raise without a
    bug being the cause:
    :data:`~indexnet_plugin.apis.inputs.images.READ_ERRORS` and :func:`~indexnet_plugin.apis.runtimes.base.runtime_errors`."""
    return READ_ERRORS + runtime_errors()


class BatchPredictionError(RuntimeError):
    """Some images of a batch failed; the alphas of the others are kept.

    Args:
        alphas: One entry per image: its alpha, or None where it failed.
        errors: The failures by image index.
        sources: The images as given (paths or arrays), to name them.
    """

    def __init__(self, alphas: List[Optional[np.ndarray]],
                 errors: Dict[int, Exception],
                 sources: Sequence[ArrayOrPath]):
        self.alphas = alphas
        self.errors = errors
        self.messages = {
            i: describe_error(error, sources[i])
            for i, error in errors.items()
        }
        super().__init__(f'{len(errors)} of {len(alphas)} images failed: ' +
                         '; '.join(self.messages.values()))


class MattingPredictor:
    """Predict alpha mattes with a network and mmedit's test-time rules
    (or the authors', ``settings.protocol='original'``).

    Args:
        network: (N, 4, H, W) normalised image + trimap -> (N, 1, H, W)
            alpha; H and W multiples of ``settings.size_divisor``.
        settings: Pre- and post-processing, see :class:`MattingSettings`.
        device: Device of the network.
        max_pixels: Largest network input (H * W) run in one piece; also the
            bound on N * H * W of a batch. None (default): the most pixels
            whose estimated peak memory fits ``max_memory``.
        tile_size: Largest tile side for larger inputs, a multiple of
            ``size_divisor``; tiles are shrunk to the smallest size that
            still covers the input with as few tiles (and, under a memory
            budget, to the largest size that fits it).
        tile_overlap: Minimum overlap of neighbouring tiles in pixels.
        batch_size: Most images per network call in :meth:`predict_batch`.
        max_memory: Memory budget of a prediction in GB, used when
            ``max_pixels`` is None; None: a share of the memory available
            now, see :func:`~.memory.default_budget`.
        memory_path: Which measured cost per pixel applies to ``network``:
            ``'openvino'``, ``'onnxruntime'`` or ``'plain'`` (PyTorch,
            also for TorchScript), see :data:`~.memory.BYTES_PER_PIXEL`.
        strict_trimap: Refuse trimaps with values other than 0, 128 and
            255 (beyond a few) instead of relabelling them, see
            :func:`~.io.as_trimap`.

    Raises:
        ValueError: Invalid tiling, batching or memory arguments, or a
            budget too small for tiles larger than ``tile_overlap``.
    """

    def __init__(self,
                 network: Network,
                 settings: MattingSettings,
                 device: str = 'cpu',
                 max_pixels: Optional[int] = None,
                 tile_size: int = DEFAULT_TILE_SIZE,
                 tile_overlap: int = DEFAULT_TILE_OVERLAP,
                 batch_size: int = DEFAULT_BATCH_SIZE,
                 max_memory: Optional[float] = None,
                 memory_path: str = 'plain',
                 strict_trimap: bool = False):
        if memory_path not in memory.BYTES_PER_PIXEL:
            raise ValueError(f'memory_path must be one of '
                             f'{tuple(memory.BYTES_PER_PIXEL)}, got '
                             f'{memory_path!r}')
        if max_pixels is not None and max_memory is not None:
            raise ValueError('give max_pixels or max_memory, not both')
        self.memory_budget = None
        if max_pixels is None:
            self.memory_budget = memory.budget_bytes(max_memory)
            max_pixels = memory.max_pixels_within(self.memory_budget,
                                                  memory_path)
            fitting = math.isqrt(max_pixels) // settings.size_divisor * (
                settings.size_divisor)
            if fitting <= tile_overlap:
                raise ValueError(
                    f'a memory budget of {self.memory_budget / memory.GB:.2f}'
                    f' GB leaves room for tiles of {fitting}x{fitting} '
                    f'pixels at most, not more than tile_overlap='
                    f'{tile_overlap}; raise max_memory')
            tile_size = min(tile_size, fitting)
        if tile_size <= 0 or tile_size % settings.size_divisor:
            raise ValueError('tile_size must be a positive multiple of '
                             f'{settings.size_divisor}, got {tile_size}')
        if not 0 <= tile_overlap < tile_size:
            raise ValueError(f'tile_overlap must be in [0, {tile_size}), got '
                             f'{tile_overlap}')
        if max_pixels < tile_size * tile_size:
            raise ValueError(f'max_pixels must be at least tile_size**2 = '
                             f'{tile_size * tile_size}, got {max_pixels}')
        if batch_size < 1:
            raise ValueError(f'batch_size must be >= 1, got {batch_size}')
        self.network = network
        memory.limit_dynamic_pixels(network, self.memory_budget or (
            memory.estimated_peak(max_pixels, memory_path)))
        self.settings = settings
        self.device = torch.device(device)
        self.max_pixels = max_pixels
        self.tile_size = tile_size
        self.tile_overlap = tile_overlap
        self.batch_size = batch_size
        self.memory_path = memory_path
        # What runs the network, e.g. 'openvino' (see .fast.FastNetwork),
        # and 'int8' for a quantized exported file (see .exported).
        self.backend = getattr(network, 'backend', 'plain')
        self.precision = getattr(network, 'precision', 'fp32')
        self.guides = GuideReader(strict_trimap,
                                  not settings.uses_original_protocol)

    # ------------------------------------------------------------ public API
    def predict(self,
                image: ArrayOrPath,
                trimap: Optional[ArrayOrPath] = None,
                as_float: bool = False,
                *,
                mask: Optional[ArrayOrPath] = None,
                auto_mask: Optional[AutoMask] = None,
                box: Optional[Sequence[int]] = None,
                scribbles: Optional[ArrayOrPath] = None,
                unknown_width: Optional[int] = None) -> np.ndarray:
        """Predict the alpha matte of one image.

        Args:
            image: BGR image path or array (H, W, 3), see
                :func:`~indexnet_plugin.apis.inputs.images.as_image`.
            trimap: Trimap path or array (H, W) with 0/128/255.
            as_float: Return float32 in [0, 1] instead of uint8 (the value
                before rounding, for comparisons).
            mask: Instead of a trimap: a binary or soft mask path or array
                (H, W), made a trimap by
                :func:`~indexnet_plugin.apis.inputs.mask.mask_to_trimap`.
            auto_mask: Instead of a trimap: ``'person'`` finds the person
                with the bundled segmenter (default model and threshold,
                built on first use; needs ``indexnet_plugin[auto]``), a
                :class:`~indexnet_plugin.apis.inputs.person.PersonSegmenter`
                with other options;
                its mask is made a trimap as ``mask`` is.
            box: Instead of a trimap: ``(X0, Y0, X1, Y1)`` around any object,
                found by GrabCut, see :mod:`~indexnet_plugin.apis.inputs.box`.
            scribbles: With ``box``: a grey image (H, W) of strokes
                correcting it, white the object and black background.
            unknown_width: Band width of that trimap in pixels (default: a
                fraction of the object's size).

        Returns:
            np.ndarray: Alpha (H, W), uint8 (or float32), known trimap
            regions set to 0 / 255 exactly (original protocol: every pixel
            whose trimap is not 128 set to the trimap's value).

        Raises:
            MattingInputError: Invalid input, named by file; no person
                found; a bad box or no object in it.
            ValueError: Not exactly one of trimap, mask, auto_mask and box.
            SegmenterNotInstalledError: ``auto_mask`` without
                ``mediapipe``.
        """
        try:
            return self.predict_batch(
                [image],
                None if trimap is None else [trimap],
                as_float,
                masks=None if mask is None else [mask],
                auto_mask=auto_mask,
                boxes=None if box is None else [box],
                scribbles=None if scribbles is None else [scribbles],
                unknown_width=unknown_width)[0]
        except BatchPredictionError as failed:
            raise failed.errors[0]

    def predict_batch(self,
                      images: Sequence[ArrayOrPath],
                      trimaps: Optional[Sequence[ArrayOrPath]] = None,
                      as_float: bool = False,
                      *,
                      masks: Optional[Sequence[ArrayOrPath]] = None,
                      auto_mask: Optional[AutoMask] = None,
                      boxes: Optional[Sequence[Sequence[int]]] = None,
                      scribbles: Optional[Sequence[ArrayOrPath]] = None,
                      unknown_width: Optional[int] = None
                      ) -> List[np.ndarray]:
        """Predict the alpha mattes of images of any sizes.

        Images with the same network input size share network calls of up to
        ``batch_size`` images and ``max_pixels`` pixels; the results equal
        :meth:`predict` on each image. Each image that runs in tiles gets a
        :class:`~.memory.TiledInferenceWarning` (see :meth:`tiling_note`).

        Args:
            images: Image paths or arrays.
            trimaps: Trimap paths or arrays, one per image.
            as_float: See :meth:`predict`.
            masks: Instead of trimaps: mask paths or arrays, one per image.
            auto_mask: Instead of trimaps: see :meth:`predict`.
            boxes: Instead of trimaps: one box per image, see :meth:`predict`.
            scribbles: With ``boxes``: one scribble image (or None) each.
            unknown_width: See :meth:`predict`.

        Returns:
            list[np.ndarray]: One alpha (H, W) per image, in input order.

        Raises:
            ValueError, SegmenterNotInstalledError: Guides that do not fit,
                see :meth:`~.guides.GuideReader.batch_reader`.
            BatchPredictionError: Some images failed (invalid input, no
                person found, or an error while predicting them); it holds
                the alphas of the others and each failure.
        """
        load = self.guides.batch_reader(len(images), trimaps, masks, auto_mask,
                                        unknown_width, boxes, scribbles)
        pairs: Dict[int, Tuple[np.ndarray, np.ndarray]] = {}
        errors: Dict[int, Exception] = {}
        for i, image in enumerate(images):
            try:
                pairs[i] = load(i, image)
                self.check_size(pairs[i][0].shape[:2], image)
            except READ_ERRORS as error:  # reported per image, the rest runs
                errors[i] = error
                pairs.pop(i, None)
        for i, (image, _) in pairs.items():
            note = self.tiling_note(image.shape[:2], images[i])
            if note is not None:
                warnings.warn(memory.TiledInferenceWarning(note))
        alphas: List[Optional[np.ndarray]] = [None] * len(images)
        sizes = {i: image.shape[:2] for i, (image, _) in pairs.items()}
        for indices in self._groups(sizes):
            self._predict_group(indices, pairs, as_float, alphas, errors)
        if errors:
            raise BatchPredictionError(alphas, errors, images)
        return alphas

    # ------------------------------------------------------------- internals
    def check_size(self, size: Tuple[int, int], source: ArrayOrPath) -> None:
        """Refuse an image smaller than the size divisor (the original
        protocol resizes any image up).

        Args:
            size: (H, W) of the image.
            source: The image's path or array, to name it in the message.

        Raises:
            MattingInputError: A side is below ``settings.size_divisor``.
        """
        d = self.settings.size_divisor
        if min(size) < d and not self.settings.uses_original_protocol:
            raise MattingInputError(
                f"{describe_source(source, 'image')} is {size[0]}x{size[1]} "
                f'(HxW), the network needs at least {d}x{d}')

    def tiling_note(self, size: Tuple[int, int],
                    source: ArrayOrPath) -> Optional[str]:
        """The line saying that an image runs in tiles and why, or None.

        Args:
            size: (H, W) of the image.
            source: The image's path or array, to name it.

        Returns:
            str | None: See :func:`~.memory.tiling_note`; None for an image
            that runs whole.
        """
        height, width = self.settings.network_size(*size)
        if height * width <= self.max_pixels:
            return None
        grid = self._tile_grid(height, width)
        return memory.tiling_note(
            describe_source(source, 'image'), height, width, grid.count,
            grid.height, grid.width, self.memory_path, self.memory_budget)

    def _groups(self,
                sizes: Dict[int, Tuple[int, int]]) -> Iterator[List[int]]:
        """Indices of images sharing network calls, in order of first use.

        Args:
            sizes: (H, W) of each image to predict, by index.
        """
        by_size = {}
        for i, (h, w) in sizes.items():
            by_size.setdefault(self.settings.network_size(h, w), []).append(i)
        for (h, w), indices in by_size.items():
            per_call = max(1, min(self.batch_size, self.max_pixels // (h * w)))
            for start in range(0, len(indices), per_call):
                yield indices[start:start + per_call]

    def _predict_group(self, indices: List[int], pairs: Dict[int, Tuple],
                       as_float: bool, alphas: List[Optional[np.ndarray]],
                       errors: Dict[int, Exception]) -> None:
        """Predict images sharing one network call into ``alphas``.

        When the call fails (out of memory, a runtime error), each image is
        tried alone, so that one bad image costs only its own result, which
        goes into ``errors``.
        """
        try:
            inputs = torch.cat([
                self.settings.to_network_input(*pairs[i], self.device)
                for i in indices
            ])
            predictions = self._run(inputs)
            for i, prediction in zip(indices, predictions):
                alphas[i] = self.settings.to_alpha(prediction, pairs[i][1],
                                                   as_float)
        except runtime_errors() as error:  # per image, the rest runs
            if len(indices) == 1:
                errors[indices[0]] = error
                return
            for i in indices:
                self._predict_group([i], pairs, as_float, alphas, errors)

    @torch.inference_mode()
    def _run(self, inputs: torch.Tensor) -> torch.Tensor:
        """Run the network, tiled when the input exceeds ``max_pixels``."""
        if inputs.shape[-2] * inputs.shape[-1] <= self.max_pixels:
            return self.network(inputs)
        grid = self._tile_grid(*inputs.shape[-2:])
        foreground = 255.0 / self.settings.trimap_divisor
        return torch.cat([
            run_tiled(self.network, x[None], grid, self.tile_overlap,
                      foreground) for x in inputs
        ])

    def _tile_grid(self, height: int, width: int) -> TileGrid:
        """The tiles of a network input of (height, width)."""
        return tile_grid(height, width, self.tile_size, self.tile_overlap,
                         self.settings.size_divisor)
