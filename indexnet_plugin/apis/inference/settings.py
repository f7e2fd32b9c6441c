"""What a mattor does around its network at test time, read from its config.

:class:`MattingSettings` holds the pre- and post-processing of a trained
mattor (normalisation, channel order, trimap scaling, resizing to a multiple
of the size divisor, test protocol), so that a predictor can run them around
any network variant: PyTorch, onnxruntime or an exported file.
"""
import dataclasses
import json
from typing import Optional, Tuple

import numpy as np
import torch
import torch.nn.functional as F

from ...models import original_protocol
from ...models.test_config import DEFAULT_SIZE_DIVISOR, PROTOCOLS

RESIZE_METHODS = ('interp', 'pad')
# Divisors of the 0-255 trimap; a division (not a product) like mmedit's.
TRIMAP_DIVISORS = {'rescale_to_zero_one': 255.0, 'as_is': 1.0}


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
            size_divisor=int(
                test_cfg.get('size_divisor', DEFAULT_SIZE_DIVISOR)),
            protocol=protocol)

    def to_json(self) -> str:
        """The settings as a JSON object, as exported files store them."""
        return json.dumps(dataclasses.asdict(self))

    @classmethod
    def from_json(cls, text: str) -> 'MattingSettings':
        """Read settings written by :meth:`to_json`.

        Raises:
            ValueError: ``text`` is not such a JSON object, or its values are
                invalid (see the class).
        """
        try:
            values = json.loads(text)
            values['mean'] = tuple(values['mean'])
            values['std'] = tuple(values['std'])
            return cls(**values)
        except (TypeError, KeyError) as error:  # not an object, wrong keys
            raise ValueError(f'not the JSON of MattingSettings ({error}): '
                             f'{text[:200]!r}') from error

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

    def to_network_input(self, image: np.ndarray, trimap: np.ndarray,
                         device: torch.device) -> torch.Tensor:
        """Normalise and resize (or pad) one pair to a network input.

        Args:
            image: BGR image (H, W, 3), uint8.
            trimap: Trimap (H, W), uint8.
            device: Device of the result.

        Returns:
            Tensor: (1, 4, H', W'), H' and W' from :meth:`network_size`.
        """
        if self.uses_original_protocol:
            x = original_protocol.normalise(
                image[..., ::-1] if self.rgb else image, trimap, self.mean,
                self.std)
            x = original_protocol.upsample_input(x, self.size_divisor)
            return torch.from_numpy(x).to(device).permute(2, 0, 1)[None]
        x = torch.from_numpy(image).to(device).permute(2, 0, 1)
        if self.rgb:
            x = x.flip(0)
        mean = torch.tensor(self.mean, device=device).view(3, 1, 1)
        std = torch.tensor(self.std, device=device).view(3, 1, 1)
        x = ((x.float() - mean) / std)[None]
        t = torch.from_numpy(trimap).to(device)[None, None].float()
        t = t / self.trimap_divisor
        size = self.network_size(*trimap.shape)
        if size != trimap.shape:
            if self.resize_method == 'interp':
                x = F.interpolate(x, size=size, mode=self.resize_mode)
                t = F.interpolate(t, size=size, mode='nearest')
            else:
                pad = (0, size[1] - trimap.shape[1], 0,
                       size[0] - trimap.shape[0])
                x = F.pad(x, pad, mode=self.resize_mode)
                t = F.pad(t, pad, mode=self.resize_mode)
        return torch.cat((x, t), dim=1)

    def to_alpha(self, prediction: torch.Tensor, trimap: np.ndarray,
                 as_float: bool = False) -> np.ndarray:
        """Restore the size, clamp, write back known regions, quantise.

        Args:
            prediction: Raw network output (1, H', W') of one input.
            trimap: The trimap (H, W) given with the image.
            as_float: Return float32 in [0, 1] instead of uint8.

        Returns:
            np.ndarray: Alpha (H, W).
        """
        if self.uses_original_protocol:
            alpha = original_protocol.restore_alpha(
                prediction[0].cpu().numpy(), trimap)
            return alpha if as_float else original_protocol.quantise(alpha)
        alpha = prediction[None]  # 1, 1, H', W'
        if alpha.shape[-2:] != trimap.shape:
            if self.resize_method == 'interp':
                alpha = F.interpolate(
                    alpha, size=trimap.shape, mode=self.resize_mode)
            else:
                alpha = alpha[..., :trimap.shape[0], :trimap.shape[1]]
        alpha = alpha[0, 0].clamp(0, 1).cpu().numpy()
        alpha[trimap == 255] = 1
        alpha[trimap == 0] = 0
        if as_float:
            return alpha
        return np.round(alpha * 255).astype(np.uint8)


def _config_values(values: torch.Tensor) -> Tuple[float, ...]:
    """The config's numbers behind a float32 tensor of the preprocessor.

    The shortest decimal that rounds to each float32 (123.675, not
    123.67500305) -- the same float32 for mmedit's float32 arithmetic, and
    the exact value for the original protocol's float64 normalisation, which
    then reproduces the authors' network inputs bit for bit.
    """
    return tuple(float(str(np.float32(v))) for v in values.flatten().tolist())
