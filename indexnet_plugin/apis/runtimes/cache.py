"""On-disk cache of the ONNX graphs (and converted models) of the fast path.

Exporting a network to ONNX takes seconds and leaves the tracer's memory in
the process, so :func:`cached_onnx` exports a network once and keeps the
graph in a user cache folder, named by a SHA-256 of everything the graph
depends on: the weights, the module tree (``repr``), the source code of every
module class, the torch version, the opset and the size divisor. Files are
written atomically (:func:`~indexnet_plugin.fileio.write_atomically`), so a
crash or a concurrent process never leaves a partial graph under a final
name.

The folder is ``$INDEXNET_PLUGIN_CACHE_DIR`` if set, else
``$XDG_CACHE_HOME/indexnet_plugin/onnx`` (``~/.cache/indexnet_plugin/onnx``).
"""
import gc
import hashlib
import inspect
import os
import warnings
from pathlib import Path
from typing import Optional, Union

import torch
import torch.nn as nn

from ...fileio import write_atomically
from ...models.test_config import DEFAULT_SIZE_DIVISOR
from .onnx_graph import DEFAULT_OPSET, network_to_onnx_bytes

CACHE_ENV = 'INDEXNET_PLUGIN_CACHE_DIR'


def default_cache_dir() -> Path:
    """The folder of cached graphs (see the module docstring)."""
    if os.environ.get(CACHE_ENV):
        return Path(os.environ[CACHE_ENV])
    base = os.environ.get('XDG_CACHE_HOME') or Path.home() / '.cache'
    return Path(base) / 'indexnet_plugin' / 'onnx'


def _class_source(cls: type) -> str:
    """Source of a module class; its qualified name when there is none."""
    try:
        return inspect.getsource(cls)
    except (OSError, TypeError):
        return f'{cls.__module__}.{cls.__qualname__}'


def network_key(network: nn.Module, size_divisor: int,
                opset: int = DEFAULT_OPSET) -> str:
    """SHA-256 of what the exported graph of ``network`` depends on."""
    digest = hashlib.sha256()
    classes = sorted({type(m) for m in network.modules()},
                     key=lambda c: f'{c.__module__}.{c.__qualname__}')
    for text in (torch.__version__, str(opset), str(size_divisor),
                 repr(network), *map(_class_source, classes)):
        digest.update(text.encode())
    for name, tensor in network.state_dict().items():
        digest.update(f'{name} {tensor.dtype} {tuple(tensor.shape)}'.encode())
        digest.update(tensor.detach().cpu().contiguous().numpy().tobytes())
    return digest.hexdigest()


def cache_entry(network: nn.Module,
                size_divisor: int,
                suffix: str,
                cache_dir: Optional[Union[str, Path]] = None) -> Path:
    """The cache file of ``network`` with a suffix naming what it holds.

    Args:
        network: The network whose :func:`network_key` names the file.
        size_divisor: Input sides must be multiples of it.
        suffix: e.g. ``'.onnx'``.
        cache_dir: Folder of cached files (default: :func:`default_cache_dir`).
    """
    folder = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    return folder / f'{network_key(network, size_divisor)}{suffix}'


def store(data: bytes, path: Path, what: str) -> bool:
    """Write a cache entry atomically; warn and return False if impossible.

    Args:
        data: The entry's bytes.
        path: See :func:`cache_entry`.
        what: What ``data`` is, for the warning (``'the ONNX graph'``).
    """
    try:
        write_atomically(data, path)
    except OSError as error:
        warnings.warn(f"cannot cache {what} in '{path.parent}' ({error}); "
                      f'set {CACHE_ENV} to a writable folder')
        return False
    return True


def cached_onnx(network: nn.Module,
                size_divisor: int = DEFAULT_SIZE_DIVISOR,
                cache_dir: Optional[Union[str, Path]] = None,
                refresh: bool = False) -> Union[Path, bytes]:
    """The ONNX graph of a CPU network, exported at most once per weights.

    Args:
        network: (N, 4, H, W) -> (N, 1, H, W) network in eval mode on CPU.
        size_divisor: Input sides must be multiples of it.
        cache_dir: Folder of cached graphs (default:
            :func:`default_cache_dir`).
        refresh: Export again even when a cached graph exists (to replace a
            damaged one).

    Returns:
        Path | bytes: The cached ``.onnx`` file, or the serialised graph
        when the folder cannot be written (with a warning).
    """
    path = cache_entry(network, size_divisor, '.onnx', cache_dir)
    if path.is_file() and not refresh:
        return path
    data = network_to_onnx_bytes(network, size_divisor)
    # The tracer's graph is garbage by now; collect it before the caller
    # allocates the inference session.
    gc.collect()
    return path if store(data, path, 'the ONNX graph') else data
