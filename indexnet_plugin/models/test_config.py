"""The test-time config of the IndexNet mattor (``test_cfg``): how inputs
are resized to multiples of ``size_divisor`` and which test protocol runs.
"""
from . import original_protocol

# 'mmedit': resize by test_cfg.resize_method/resize_mode, round; 'original':
# the authors' demo.py (see original_protocol.py).
PROTOCOLS = ('mmedit', original_protocol.PROTOCOL)
# IndexNet's inputs must have sides that are multiples of 32 (five stride-2
# stages); configs may say otherwise in test_cfg.size_divisor.
DEFAULT_SIZE_DIVISOR = 32
RESIZE_MODES = {
    'interp': ('nearest', 'bilinear', 'bicubic', 'area'),
    'pad': ('reflect', 'replicate', 'constant', 'circular'),
}


def check_test_cfg(test_cfg: dict) -> None:
    """Raise a ValueError unless ``test_cfg`` is a valid test config."""
    protocol = test_cfg.get('protocol', PROTOCOLS[0])
    if protocol not in PROTOCOLS:
        raise ValueError(f'test_cfg.protocol must be one of {PROTOCOLS}, got '
                         f'{protocol!r}')
    if protocol == original_protocol.PROTOCOL:
        fixed = sorted({'resize_method', 'resize_mode'} & set(test_cfg))
        if fixed:
            raise ValueError(
                f"test_cfg with protocol='original' resizes as the authors' "
                f'code does (OpenCV cubic, up to multiples of size_divisor); '
                f'remove {fixed}, got {test_cfg}')
        check_size_divisor(test_cfg)
        return
    missing = {'resize_method', 'resize_mode', 'size_divisor'} - set(test_cfg)
    if missing:
        raise ValueError(f'test_cfg lacks {sorted(missing)}, got {test_cfg}')
    method = test_cfg['resize_method']
    if method not in RESIZE_MODES:
        raise ValueError(f'test_cfg.resize_method must be one of '
                         f'{tuple(RESIZE_MODES)}, got {method!r}')
    if test_cfg['resize_mode'] not in RESIZE_MODES[method]:
        raise ValueError(
            f'test_cfg.resize_mode must be one of {RESIZE_MODES[method]} '
            f"for resize_method={method!r}, got {test_cfg['resize_mode']!r}")
    check_size_divisor(test_cfg)


def check_size_divisor(test_cfg: dict) -> None:
    """Raise a ValueError unless ``test_cfg.size_divisor`` is a positive
    int."""
    if 'size_divisor' not in test_cfg:
        raise ValueError(f"test_cfg lacks ['size_divisor'], got {test_cfg}")
    divisor = test_cfg['size_divisor']
    if not isinstance(divisor, int) or divisor <= 0:
        raise ValueError('test_cfg.size_divisor must be a positive int, got '
                         f'{divisor!r}')
