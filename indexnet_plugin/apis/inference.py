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
* a fast network (:mod:`.fast`): batch norms folded, run by onnxruntime
  (or TorchScript), verified to match the plain network within 1e-4.

With ``test_cfg=dict(protocol='original', ...)`` (the authors' model,
``configs/indexnet_mobv2_original.py``) it follows the authors' test protocol
instead (:mod:`~indexnet_plugin.models.original_protocol`): normalisation in
float64, OpenCV resizing up and back, every non-128 trimap pixel written
back, truncation to ``uint8``.
"""
import dataclasses
import math
import re
import warnings
from pathlib import Path
from typing import Callable, Iterator, List, Optional, Sequence, Tuple, Union

import numpy as np
import torch
import torch.nn.functional as F
from mmengine.config import Config, ConfigDict
from mmengine.registry import DefaultScope
from mmengine.utils import import_modules_from_strings

from ..configs import DEFAULT_CONFIG, resolve_config
from ..host import HOST
from ..models import original_protocol
from ..models.original_keys import is_original_state
from ..models.mattor import PROTOCOLS
from ..registry import MODELS
from . import memory
from .fast import build_fast_network, release_freed_memory
from .io import ArrayOrPath, MattingInputError, describe_source, load_pair
from .mask import load_mask_pair
from .onnx_network import OnnxNetwork

Network = Callable[[torch.Tensor], torch.Tensor]

# Inputs above the memory budget run in overlapping tiles of at most
# 1280x1280 (2048x2048: four of 1152x1152), or smaller ones if the budget
# needs them (see bench/bench_inference.py and bench/bench_tiling.py).
DEFAULT_TILE_SIZE = 1280
DEFAULT_TILE_OVERLAP = 256

RESIZE_METHODS = ('interp', 'pad')
# Divisors of the 0-255 trimap; a division (not a product) like mmedit's.
TRIMAP_DIVISORS = {'rescale_to_zero_one': 255.0, 'as_is': 1.0}


class CheckpointError(ValueError):
    """A checkpoint that cannot be read or does not fit the model."""


@dataclasses.dataclass(frozen=True)
class MattingSettings:
    """What a mattor does around its network at test time.

    Args:
        mean: Per-channel mean subtracted from the image, in network order.
        std: Per-channel standard deviation dividing the image.
        rgb: Whether the network takes RGB (images arrive BGR).
        trimap_divisor: Divisor of the 0-255 trimap.
        resize_method: ``'interp'`` (resize down to a multiple of
            ``size_divisor``) or ``'pad'`` (pad up to one); None with
            ``protocol='original'``.
        resize_mode: Interpolation (``interp``) or padding (``pad``) mode of
            ``torch.nn.functional``; None with ``protocol='original'``.
        size_divisor: The network's input sides must be multiples of it.
        protocol: ``'mmedit'`` (the mattor's test_cfg modes) or
            ``'original'`` (the authors' demo, see
            :mod:`~indexnet_plugin.models.original_protocol`).

    Raises:
        ValueError: An unknown ``protocol`` or ``resize_method`` (or one
            given with the original protocol), a non-positive
            ``size_divisor`` or a mean/std not of length 3.
    """
    mean: Tuple[float, float, float]
    std: Tuple[float, float, float]
    rgb: bool
    trimap_divisor: float
    resize_method: Optional[str]
    resize_mode: Optional[str]
    size_divisor: int
    protocol: str = PROTOCOLS[0]

    def __post_init__(self):
        if self.protocol not in PROTOCOLS:
            raise ValueError(f'protocol must be one of {PROTOCOLS}, got '
                             f'{self.protocol!r}')
        if self.uses_original_protocol:
            if (self.resize_method, self.resize_mode) != (None, None):
                raise ValueError(
                    "protocol='original' resizes as the authors' code does; "
                    'resize_method and resize_mode must be None, got '
                    f'{self.resize_method!r} and {self.resize_mode!r}')
        elif self.resize_method not in RESIZE_METHODS:
            raise ValueError(f'resize_method must be one of {RESIZE_METHODS}'
                             f', got {self.resize_method!r}')
        if not (isinstance(self.size_divisor, int) and self.size_divisor > 0):
            raise ValueError('size_divisor must be a positive int, got '
                             f'{self.size_divisor!r}')
        if len(self.mean) != 3 or len(self.std) != 3:
            raise ValueError('mean and std must have 3 values, got '
                             f'{self.mean!r} and {self.std!r}')

    @classmethod
    def from_model(cls, model: torch.nn.Module) -> 'MattingSettings':
        """Read the settings of a mmedit-style mattor.

        Args:
            model: A mattor with ``data_preprocessor`` (``mean``, ``std``,
                ``output_channel_order``, ``proc_trimap``) and ``test_cfg``.

        Returns:
            MattingSettings: The settings.

        Raises:
            ValueError: An unsupported ``proc_trimap`` or ``test_cfg``.
        """
        pre = model.data_preprocessor
        proc_trimap = getattr(pre, 'proc_trimap', 'rescale_to_zero_one')
        if proc_trimap not in TRIMAP_DIVISORS:
            raise ValueError(f'proc_trimap must be one of '
                             f'{tuple(TRIMAP_DIVISORS)}, got {proc_trimap!r}')
        order = getattr(pre, 'output_channel_order', 'RGB')
        test_cfg = model.test_cfg
        protocol = test_cfg.get('protocol', PROTOCOLS[0])
        if protocol == original_protocol.PROTOCOL:  # resizes its own way
            resize_method = resize_mode = None
        else:
            resize_method = test_cfg.get('resize_method', 'interp')
            resize_mode = test_cfg.get('resize_mode', 'bicubic')
        return cls(
            mean=_config_values(pre.mean),
            std=_config_values(pre.std),
            rgb=order is not None and order.upper() == 'RGB',
            trimap_divisor=TRIMAP_DIVISORS[proc_trimap],
            resize_method=resize_method,
            resize_mode=resize_mode,
            size_divisor=int(test_cfg.get('size_divisor', 32)),
            protocol=protocol)

    @property
    def uses_original_protocol(self) -> bool:
        """Whether these are the authors' test-time rules."""
        return self.protocol == original_protocol.PROTOCOL

    def network_size(self, height: int, width: int) -> Tuple[int, int]:
        """Network input size for an image of the given size."""
        d = self.size_divisor
        if self.resize_method == 'interp':
            return height - height % d, width - width % d
        # 'pad' and the original protocol go up to the next multiples.
        return original_protocol.network_size(height, width, d)


def _config_values(values: torch.Tensor) -> Tuple[float, ...]:
    """The config's numbers behind a float32 tensor of the preprocessor.

    The shortest decimal that rounds to each float32 (123.675, not
    123.67500305) -- the same float32 for mmedit's float32 arithmetic, and
    the exact value for the original protocol's float64 normalisation, which
    then reproduces the authors' network inputs bit for bit.
    """
    return tuple(float(str(np.float32(v))) for v in values.flatten().tolist())


def _model_config(config: Union[None, str, Path, dict, Config]) -> dict:
    """Return the model part of a config (path or name), Config or model
    dict; ``None`` is the packaged ``indexnet_mobv2``."""
    if config is None:
        config = DEFAULT_CONFIG
    if isinstance(config, (str, Path)):
        config = Config.fromfile(str(resolve_config(config)))
    if 'custom_imports' in config:
        import_modules_from_strings(**config['custom_imports'])
    model = config['model'] if 'model' in config else config
    return ConfigDict(model)


def _read_checkpoint(checkpoint: Union[str, Path]) -> dict:
    """Load a local or http(s) checkpoint with ``weights_only=True``."""
    source = str(checkpoint)
    if source.startswith(('http://', 'https://')):
        path = Path(torch.hub.get_dir()) / 'checkpoints' / Path(source).name
        if not path.is_file():
            path.parent.mkdir(parents=True, exist_ok=True)
            try:
                torch.hub.download_url_to_file(source, str(path))
            except Exception as error:
                raise CheckpointError(
                    f"checkpoint '{source}': download failed ({error})")
    else:
        path = Path(source)
        if not path.is_file():
            raise CheckpointError(f"checkpoint '{source}': file not found")
    try:
        loaded = torch.load(path, map_location='cpu', weights_only=True)
    except Exception as error:
        # torch's weights_only refusal starts with advice; name the global.
        found = re.search(r'WeightsUnpickler error: ([^.\n]*)', str(error))
        reason = found.group(1) if found else (str(error).strip().splitlines()
                                               or [''])[0]
        raise CheckpointError(f"checkpoint '{source}': cannot be read "
                              f'({type(error).__name__}: {reason})')
    state = loaded.get('state_dict', loaded) if isinstance(loaded,
                                                           dict) else None
    if not isinstance(state, dict) or not all(
            isinstance(v, torch.Tensor) for v in state.values()):
        raise CheckpointError(
            f"checkpoint '{source}': expected a state_dict or a dict with a "
            "'state_dict' of tensors")
    # Checkpoints saved from DataParallel wrappers carry a 'module.' prefix.
    return {k[len('module.'):] if k.startswith('module.') else k: v
            for k, v in state.items()}


def _examples(keys: Sequence[str]) -> str:
    """A short list of key names for messages."""
    shown = ', '.join(keys[:3])
    return shown + (', ...' if len(keys) > 3 else '')


def load_weights(model: torch.nn.Module, checkpoint: Union[str,
                                                           Path]) -> None:
    """Load a checkpoint into a model, requiring an exact architecture match.

    Accepts old mmedit files (``{'meta': ..., 'state_dict': ...}``), mmengine
    runner checkpoints and bare state dicts, from a path or an http(s) URL
    (downloaded once into ``torch.hub``'s cache). BatchNorm's
    ``num_batches_tracked`` counters may be absent (unused at test time).

    Args:
        model: The model to load into.
        checkpoint: Path or URL.

    Raises:
        CheckpointError: Unreadable file, the authors' unconverted file, or
            keys/shapes that differ from the model's, summarised in one line.
    """
    state = _read_checkpoint(checkpoint)
    if is_original_state(state):
        raise CheckpointError(
            f"checkpoint '{checkpoint}': the IndexNet authors' own file; "
            'convert it once with python tools/convert_original_checkpoint.py '
            f'{checkpoint} CONVERTED.pth and use CONVERTED.pth with '
            'configs/indexnet_mobv2_original.py')
    expected = model.state_dict()
    missing = [k for k in expected if k not in state
               and not k.endswith('num_batches_tracked')]
    unexpected = [k for k in state if k not in expected]
    mismatched = [
        f'{k} {tuple(state[k].shape)} vs {tuple(v.shape)}'
        for k, v in expected.items() if k in state and state[k].shape != v.shape
    ]
    problems = [
        f'{len(found)} {what} ({_examples(found)})'
        for what, found in (('missing keys', missing), ('unexpected keys',
                                                        unexpected),
                            ('shape mismatches (checkpoint vs model)',
                             mismatched)) if found
    ]
    if problems:
        raise CheckpointError(
            f"checkpoint '{checkpoint}': does not fit the model "
            f"{type(model).__name__} ({'; '.join(problems)}); is it a "
            'checkpoint of this config?')
    model.load_state_dict(state, strict=False)


def init_model(config: Union[None, str, Path, dict, Config] = None,
               checkpoint: Optional[Union[str, Path]] = None,
               device: str = 'cpu') -> torch.nn.Module:
    """Build a mattor from a config and load its weights.

    Args:
        config: Config file or name (see
            :func:`~indexnet_plugin.configs.resolve_config`), ``Config`` or
            dict holding ``model`` (or the model dict itself); ``None`` is the
            ``indexnet_mobv2`` config (the released Comp-1k models).
        checkpoint: Path or http(s) URL of the weights; ``None`` keeps the
            initial weights (for tests).
        device: Torch device.

    Returns:
        nn.Module: The mattor in eval mode.

    Raises:
        FileNotFoundError: Missing config file or unknown config name.
        CheckpointError: See :func:`load_weights`.
    """
    model_cfg = _model_config(config)
    with DefaultScope.overwrite_default_scope(HOST):
        model = MODELS.build(model_cfg)
    if checkpoint is not None:
        load_weights(model, checkpoint)
    return model.to(device).eval()


def _ramp(length: int, overlap: int) -> torch.Tensor:
    """Blending weights along one tile side: squared ramps over the overlap.

    A tile's prediction is worst at its edges, where the network lacks
    context; squaring the linear ramp moves weight from the edge to the
    inside of the overlap. Tiled-vs-whole SAD with the demo model after 200
    iterations (bench/bench_tiling.py, linear -> squared): 1.29 -> 1.07 on
    the synthetic test set in 256-pixel tiles overlapping by 64, 1.43 ->
    1.10 (largest difference 8 -> 6 levels) on a 1452x1852 image in
    1280-pixel tiles overlapping by 256. Positive everywhere, so a pixel
    covered by a single tile keeps that tile's value.
    """
    position = torch.arange(length, dtype=torch.float32)
    ramp = torch.minimum(position + 1, length - position) / (overlap + 1)
    return ramp.clamp(max=1.0)**2


def _tile_layout(length: int, tile: int, overlap: int,
                 divisor: int) -> Tuple[int, List[int]]:
    """Tile side and start offsets covering ``length`` with few tiles.

    The fewest tiles of at most ``tile`` pixels that overlap by at least
    ``overlap``, each shrunk to the smallest multiple of ``divisor`` that
    still does: less work and memory than full-size tiles (2048 pixels with
    1280-pixel tiles: two of 1152).
    """
    if length <= tile:
        return length, [0]
    count = math.ceil((length - overlap) / (tile - overlap))
    side = min(tile,
               math.ceil((length + (count - 1) * overlap) / count / divisor) *
               divisor)
    step = (length - side) / (count - 1)
    return side, [round(i * step) for i in range(count)]


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
            ``'fast'`` (onnxruntime) or ``'plain'`` (PyTorch, the larger).
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
                 batch_size: int = 4,
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
        self.settings = settings
        self.device = torch.device(device)
        self.max_pixels = max_pixels
        self.tile_size = tile_size
        self.tile_overlap = tile_overlap
        self.batch_size = batch_size
        self.memory_path = memory_path
        self.strict_trimap = strict_trimap
        self._mean = torch.tensor(settings.mean).view(3, 1, 1).to(device)
        self._std = torch.tensor(settings.std).view(3, 1, 1).to(device)

    # ------------------------------------------------------------ public API
    def predict(self,
                image: ArrayOrPath,
                trimap: Optional[ArrayOrPath] = None,
                as_float: bool = False,
                *,
                mask: Optional[ArrayOrPath] = None,
                unknown_width: Optional[int] = None) -> np.ndarray:
        """Predict the alpha matte of one image.

        Args:
            image: BGR image path or array (H, W, 3), see
                :func:`~indexnet_plugin.apis.io.as_image`.
            trimap: Trimap path or array (H, W) with 0/128/255.
            as_float: Return float32 in [0, 1] instead of uint8 (the value
                before rounding, for comparisons).
            mask: Instead of a trimap: a binary or soft mask path or array
                (H, W), made a trimap by
                :func:`~indexnet_plugin.apis.mask.mask_to_trimap`.
            unknown_width: Band width of that trimap in pixels (default: a
                fraction of the object's size).

        Returns:
            np.ndarray: Alpha (H, W), uint8 (or float32), known trimap
            regions set to 0 / 255 exactly (original protocol: every pixel
            whose trimap is not 128 set to the trimap's value).

        Raises:
            MattingInputError: Invalid input, named by file.
            ValueError: Both or neither of trimap and mask.
        """
        return self.predict_batch(
            [image],
            None if trimap is None else [trimap],
            as_float,
            masks=None if mask is None else [mask],
            unknown_width=unknown_width)[0]

    def predict_batch(self,
                      images: Sequence[ArrayOrPath],
                      trimaps: Optional[Sequence[ArrayOrPath]] = None,
                      as_float: bool = False,
                      *,
                      masks: Optional[Sequence[ArrayOrPath]] = None,
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
            unknown_width: See :meth:`predict`.

        Returns:
            list[np.ndarray]: One alpha (H, W) per image, in input order.

        Raises:
            ValueError: Both or neither of trimaps and masks, or different
                numbers of images and trimaps (masks).
            MattingInputError: Any invalid input (nothing is predicted).
        """
        if (trimaps is None) == (masks is None):
            raise ValueError('give exactly one of trimaps and masks, got '
                             f"{'both' if masks is not None else 'neither'}")
        guides, kind = (trimaps, 'trimaps') if masks is None else (masks,
                                                                   'masks')
        if len(images) != len(guides):
            raise ValueError(f'got {len(images)} images but {len(guides)} '
                             f'{kind}')
        if masks is None:
            pairs = [self.load_pair(i, t) for i, t in zip(images, trimaps)]
        else:
            pairs = [load_mask_pair(i, m, unknown_width)
                     for i, m in zip(images, masks)]
        for (image, _), source in zip(pairs, images):
            self.check_size(image.shape[:2], source)
        for (image, _), source in zip(pairs, images):
            note = self.tiling_note(image.shape[:2], source)
            if note is not None:
                warnings.warn(memory.TiledInferenceWarning(note))
        alphas: List[Optional[np.ndarray]] = [None] * len(pairs)
        for indices in self._groups([p[0].shape[:2] for p in pairs]):
            inputs = torch.cat([self._network_input(*pairs[i])
                                for i in indices])
            predictions = self._run(inputs)
            for i, prediction in zip(indices, predictions):
                alphas[i] = self._postprocess(prediction, pairs[i][1],
                                              as_float)
        return alphas

    # ------------------------------------------------------------- internals
    def load_pair(self, image: ArrayOrPath,
                  trimap: ArrayOrPath) -> Tuple[np.ndarray, np.ndarray]:
        """Read and validate an image and its trimap as this predictor
        reads trimaps.

        Values other than 0, 128 and 255 are relabelled to the nearest level
        (:mod:`.trimap`), kept and bounded with ``strict_trimap``, and kept
        under the authors' protocol, where every value but 128 is written
        back into the alpha as the authors' demo does.

        Args:
            image: Image path or array, see :func:`~.io.as_image`.
            trimap: Trimap path or array, see :func:`~.io.as_trimap`.

        Returns:
            tuple[np.ndarray, np.ndarray]: BGR image (H, W, 3) and trimap
            (H, W), both ``uint8``.

        Raises:
            MattingInputError: Either input is invalid, or their sizes
                differ.
        """
        return load_pair(image, trimap, self.strict_trimap,
                         not self.settings.uses_original_protocol)

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
            name = (f"image '{source}'" if isinstance(source, (str, Path))
                    else 'image array')
            raise MattingInputError(
                f'{name} is {size[0]}x{size[1]} (HxW), the network needs at '
                f'least {d}x{d}')

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
        tile_h, tops = _tile_layout(height, self.tile_size, self.tile_overlap,
                                    self.settings.size_divisor)
        tile_w, lefts = _tile_layout(width, self.tile_size, self.tile_overlap,
                                     self.settings.size_divisor)
        return memory.tiling_note(
            describe_source(source, 'image'), height, width,
            len(tops) * len(lefts), tile_h, tile_w, self.memory_path,
            self.memory_budget)

    def _groups(self, sizes: List[Tuple[int, int]]) -> Iterator[List[int]]:
        """Indices of images sharing network calls, in order of first use."""
        by_size = {}
        for i, (h, w) in enumerate(sizes):
            by_size.setdefault(self.settings.network_size(h, w), []).append(i)
        for (h, w), indices in by_size.items():
            per_call = max(1, min(self.batch_size, self.max_pixels // (h * w)))
            for start in range(0, len(indices), per_call):
                yield indices[start:start + per_call]

    def _network_input(self, image: np.ndarray,
                       trimap: np.ndarray) -> torch.Tensor:
        """Normalise and resize (or pad) one pair to a (1, 4, H', W') input."""
        s = self.settings
        if s.uses_original_protocol:
            x = original_protocol.normalise(
                image[..., ::-1] if s.rgb else image, trimap, s.mean, s.std)
            x = original_protocol.upsample_input(x, s.size_divisor)
            return torch.from_numpy(x).to(self.device).permute(2, 0, 1)[None]
        x = torch.from_numpy(image).to(self.device).permute(2, 0, 1)
        if s.rgb:
            x = x.flip(0)
        x = ((x.float() - self._mean) / self._std)[None]
        t = torch.from_numpy(trimap).to(self.device)[None, None].float()
        t = t / s.trimap_divisor
        size = s.network_size(*trimap.shape)
        if size != trimap.shape:
            if s.resize_method == 'interp':
                x = F.interpolate(x, size=size, mode=s.resize_mode)
                t = F.interpolate(t, size=size, mode='nearest')
            else:
                pad = (0, size[1] - trimap.shape[1], 0,
                       size[0] - trimap.shape[0])
                x = F.pad(x, pad, mode=s.resize_mode)
                t = F.pad(t, pad, mode=s.resize_mode)
        return torch.cat((x, t), dim=1)

    @torch.inference_mode()
    def _run(self, inputs: torch.Tensor) -> torch.Tensor:
        """Run the network, tiled when the input exceeds ``max_pixels``."""
        if inputs.shape[-2] * inputs.shape[-1] <= self.max_pixels:
            return self.network(inputs)
        return torch.cat([self._run_tiled(x[None]) for x in inputs])

    def _run_tiled(self, inputs: torch.Tensor) -> torch.Tensor:
        """Blend overlapping tile predictions of a (1, 4, H, W) input."""
        height, width = inputs.shape[-2:]
        tile_h, tops = _tile_layout(height, self.tile_size, self.tile_overlap,
                                    self.settings.size_divisor)
        tile_w, lefts = _tile_layout(width, self.tile_size, self.tile_overlap,
                                     self.settings.size_divisor)
        weight = (_ramp(tile_h, self.tile_overlap)[:, None] *
                  _ramp(tile_w, self.tile_overlap)[None]).to(inputs.device)
        total = inputs.new_zeros(height, width)
        weights = inputs.new_zeros(height, width)
        trimap = inputs[0, 3]
        foreground = inputs.new_tensor(255.0) / self.settings.trimap_divisor
        for top in tops:
            for left in lefts:
                rows = slice(top, top + tile_h)
                cols = slice(left, left + tile_w)
                known = trimap[rows, cols]
                # Known pixels are overwritten from the trimap afterwards, so
                # a tile without unknown pixels contributes nothing.
                if bool(((known == 0) | (known == foreground)).all()):
                    continue
                alpha = self.network(inputs[..., rows, cols])[0, 0]
                total[rows, cols] += alpha * weight
                weights[rows, cols] += weight
        return (total / weights.clamp(min=1e-12))[None, None]

    def _postprocess(self, prediction: torch.Tensor, trimap: np.ndarray,
                     as_float: bool) -> np.ndarray:
        """Restore the size, clamp, write back known regions, quantise."""
        s = self.settings
        if s.uses_original_protocol:
            alpha = original_protocol.restore_alpha(
                prediction[0].cpu().numpy(), trimap)
            return alpha if as_float else original_protocol.quantise(alpha)
        alpha = prediction[None]  # 1, 1, H', W'
        if alpha.shape[-2:] != trimap.shape:
            if s.resize_method == 'interp':
                alpha = F.interpolate(
                    alpha, size=trimap.shape, mode=s.resize_mode)
            else:
                alpha = alpha[..., :trimap.shape[0], :trimap.shape[1]]
        alpha = alpha[0, 0].clamp(0, 1).cpu().numpy()
        alpha[trimap == 255] = 1
        alpha[trimap == 0] = 0
        if as_float:
            return alpha
        return np.round(alpha * 255).astype(np.uint8)


def init_predictor(config: Union[None, str, Path, dict, Config] = None,
                   checkpoint: Optional[Union[str, Path]] = None,
                   device: str = 'cpu',
                   fast: bool = True,
                   **kwargs) -> MattingPredictor:
    """Build a model, load its weights and wrap it in a predictor.

    Args:
        config: See :func:`init_model`.
        checkpoint: See :func:`init_model`.
        device: Torch device.
        fast: Use :func:`~indexnet_plugin.apis.fast.build_fast_network`
            (same output within 1e-4, faster, less memory).
        **kwargs: Tiling, batching, memory and trimap arguments of
            :class:`MattingPredictor`.

    Returns:
        MattingPredictor: The predictor.
    """
    model = init_model(config, checkpoint, device)
    settings = MattingSettings.from_model(model)
    network = model.backbone
    if fast:
        network = build_fast_network(network, device)
        del model  # the plain weights, unless they are the fallback
        release_freed_memory()
    # TorchScript and eager fallbacks are budgeted as plain (the larger).
    kwargs.setdefault('memory_path',
                      'fast' if isinstance(network, OnnxNetwork) else 'plain')
    return MattingPredictor(network, settings, device, **kwargs)
