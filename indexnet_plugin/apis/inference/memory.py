"""Whole image or tiles: the memory a prediction may use and what fits in it.

A prediction runs whole when its estimated peak memory, a fixed part plus
a cost per network-input pixel (N * H * W), fits in the memory budget; a
larger input runs in overlapping tiles (:class:`~.predictor.MattingPredictor`).
The budget is ``max_memory`` gigabytes (``--max-memory``) or, by default,
:data:`DEFAULT_SHARE` of the memory available when the predictor is built
(``MemAvailable`` of ``/proc/meminfo``; elsewhere a share of the physical
memory, or :data:`FALLBACK_BUDGET` if that is unknown too).
"""
import os
from typing import Optional

GB = 2**30

# Peak memory one whole-image prediction adds to a ready predictor,
# estimated as FIXED_BYTES + BYTES_PER_PIXEL[path] * N * H * W. Measured
# with bench/bench_memory.py (high-water mark of the resident set after a
# reset, one square image of 512, 1024, 1536 and 2048 pixels a side per
# process, the IndexNet MobileNetV2 model, torch 2.14, CPU):
#   plain: PyTorch, every skip feature alive until the decoder returns;
#     456, 1283, 2729, 4836 MB (a fit: 1170 bytes/pixel + 132 MB).
#   onnxruntime 1.32: its planner frees buffers early, its arena rounds up
#     in powers of two; 253, 1102, 2791, 4363 MB (1013 to 1240 bytes/pixel;
#     the same sizes measured 250, 1106, 2791, 4359 MB a turn earlier).
#   openvino 2026.4.1 (fp32, compiled for the input's shape, which lets it
#     plan one buffer for all activations; the compilation included):
#     163, 626, 1403, 2491 MB (a fit: 621 bytes/pixel + 6 MB; compiled for
#     dynamic shapes it needed 381, 1426, 3185, 5634 MB).
# The estimates lie 13 % or more above every measured size.
BYTES_PER_PIXEL = dict(plain=1300, onnxruntime=1350, openvino=700)
FIXED_BYTES = 256 * 2**20
# OpenVINO runs network inputs of up to 1280x1024 (DYNAMIC_PIXELS of
# indexnet_plugin.apis.runtimes.openvino_network) on a model compiled for
# dynamic shapes (no compilation per input size), at about twice the
# static model's memory: measured as above but on the network alone
# (openvino 2026.4.1, the random-weights model, a one-off script),
# 1380 MB at 1024x1024 and 2739 MB at 1440x1440 (1385 bytes/pixel; int8
# 756 and 1490 MB), and 381, 1426, 3185, 5634 MB from 512 to 2048 above.
# The estimate lies 14 % or more above every measured size up to 1536. On
# the graph it now runs (runtimes/openvino_form.py) the same script gave
# 1229 and 2433 MB (the plain graph 1389 and 2756 MB in that run).
DYNAMIC_BYTES_PER_PIXEL = 1500

# MemAvailable already excludes memory in use; a quarter of it stays free
# for other processes. 8 GB available -> a 6 GB budget, which holds a whole
# 2560x1600 input on onnxruntime or plain PyTorch (estimated 5.4 GB) and up
# to 8.8 megapixels on OpenVINO (4096x2048: 5.7 GB).
DEFAULT_SHARE = 0.75
FALLBACK_BUDGET = 4 * GB


class TiledInferenceWarning(UserWarning):
    """An image ran in tiles: its alpha may differ from a whole-image one."""


def available_memory() -> Optional[int]:
    """Bytes of memory available to new allocations, or None if unknown.

    ``MemAvailable`` of ``/proc/meminfo`` (Linux: free memory plus caches
    the kernel can drop); elsewhere the physical memory, an upper bound.
    """
    try:
        with open('/proc/meminfo') as meminfo:
            for line in meminfo:
                if line.startswith('MemAvailable:'):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        return os.sysconf('SC_PHYS_PAGES') * os.sysconf('SC_PAGE_SIZE')
    except (AttributeError, ValueError, OSError):
        return None


def default_budget() -> int:
    """:data:`DEFAULT_SHARE` of :func:`available_memory`, in bytes."""
    available = available_memory()
    if available is None:
        return FALLBACK_BUDGET
    return int(available * DEFAULT_SHARE)


def budget_bytes(max_memory: Optional[float]) -> int:
    """The budget in bytes: ``max_memory`` GB, or :func:`default_budget`.

    Raises:
        ValueError: ``max_memory`` is not positive.
    """
    if max_memory is None:
        return default_budget()
    if not max_memory > 0:
        raise ValueError(f'max_memory must be > 0 (GB), got {max_memory!r}')
    return int(max_memory * GB)


def cost_path(backend: str) -> str:
    """The :data:`BYTES_PER_PIXEL` key of a network's backend.

    Args:
        backend: ``'openvino'``, ``'onnxruntime'``, ``'torchscript'``,
            ``'eager'`` or ``'plain'`` (see
            :class:`~indexnet_plugin.apis.runtimes.base.Network`);
            TorchScript and the fused eager network are budgeted as plain
            PyTorch (the larger).
    """
    return backend if backend in BYTES_PER_PIXEL else 'plain'


def estimated_peak(pixels: int, path: str) -> int:
    """Estimated peak bytes of predicting ``pixels`` network-input pixels.

    Args:
        pixels: N * H * W of the network input.
        path: ``'plain'``, ``'onnxruntime'`` or ``'openvino'``, see
            :data:`BYTES_PER_PIXEL`.
    """
    return FIXED_BYTES + BYTES_PER_PIXEL[path] * pixels


def max_pixels_within(budget: int, path: str) -> int:
    """The largest network input (N * H * W) whose estimate fits ``budget``.

    Args:
        budget: Bytes.
        path: ``'plain'``, ``'onnxruntime'`` or ``'openvino'``.

    Returns:
        int: Pixels, 0 when even the fixed part does not fit.
    """
    return max(0, (budget - FIXED_BYTES) // BYTES_PER_PIXEL[path])


def max_dynamic_pixels(budget: int) -> int:
    """The largest network input (N * H * W) OpenVINO's dynamic-shape model
    may run within ``budget`` bytes (:data:`DYNAMIC_BYTES_PER_PIXEL`)."""
    return max(0, (budget - FIXED_BYTES) // DYNAMIC_BYTES_PER_PIXEL)


def limit_dynamic_pixels(network, budget: int) -> None:
    """Let a network with a faster but larger way for small inputs
    (OpenVINO's dynamic-shape model, ``limit_dynamic_pixels``) use it only
    for inputs whose cost there fits ``budget`` bytes; other networks are
    left alone. Under a pixel bound the predictor passes what that bound
    costs on the static path, so the dynamic one never peaks higher."""
    limit = getattr(network, 'limit_dynamic_pixels', None)
    if limit is not None:
        limit(max_dynamic_pixels(budget))


def tiling_note(name: str, height: int, width: int, tiles: int,
                tile_height: int, tile_width: int, path: str,
                budget: Optional[int]) -> str:
    """One line saying that an image runs in tiles, and why.

    Args:
        name: The image, e.g. ``"image 'cat.jpg'"``.
        height: Network input height.
        width: Network input width.
        tiles: Number of tiles.
        tile_height: Tile height.
        tile_width: Tile width.
        path: ``'plain'``, ``'onnxruntime'`` or ``'openvino'``.
        budget: The budget in bytes; None when the bound was given in
            pixels (``max_pixels``).
    """
    head = (f'{name}: network input {height}x{width} runs in {tiles} tiles '
            f'of {tile_height}x{tile_width}')
    if budget is None:
        return f'{head} (larger than --max-megapixels / max_pixels)'
    need = estimated_peak(height * width, path) / GB
    return (f'{head}: whole it needs about {need:.3g} GB, more than the '
            f'memory budget of {budget / GB:.3g} GB (raise --max-memory / '
            'max_memory for a whole-image result)')
