"""OpenVINO models compiled for one input shape, kept on disk across runs.

:class:`~.openvino_network.OpenVinoNetwork` compiles its model for the exact
shape of each large input (0.4-0.7 s fp32, 0.8-1.3 s int8 on 2 cores,
openvino 2026.4.1); importing a compiled model exported before takes
0.13-0.26 s and gives bit-identical outputs (measured at 1536x1408 and
1280x1920). A :class:`CompiledCache` keeps each compiled model as one
``.blob`` file in the folder of :mod:`.cache` (``$INDEXNET_PLUGIN_CACHE_DIR``
or ``~/.cache/indexnet_plugin/onnx``), beside the ONNX graph and the
converted model it was compiled from, named by:

* the model's key: :func:`~.cache.network_key` of the network, or a SHA-256
  of an exported file's bytes;
* a SHA-256 of the input shape, the compile properties, the OpenVINO
  version and the CPU (its name and instruction-set capabilities), since a
  blob only runs where it was compiled.

Files are written atomically
(:func:`~indexnet_plugin.fileio.write_atomically`), so another process
never imports a partial blob; one that OpenVINO cannot
import (damaged, another build) is compiled again and replaced. The
``.blob`` files of the folder hold at most :data:`MAX_BYTES` together: after
each write the least recently used (a hit renews its file's time) are
removed. Deleting the ``*.blob`` files, or the folder, is always safe.
"""
import hashlib
import io
import json
import os
import warnings
from pathlib import Path
from typing import Optional, Sequence, Union

from .base import last_line, runtime_errors
from .cache import default_cache_dir, store

SUFFIX = '.blob'
# (N, 4, H, W), or 'dynamic' for the model compiled for dynamic shapes.
Shape = Union[Sequence[int], str]
# 1 GiB: about 40 compiled fp32 models (24 MB each for IndexNet
# MobileNetV2; int8 7 MB), enough for the sizes of a camera or two.
MAX_BYTES = 2**30


def file_key(paths: Sequence[Union[str, Path]]) -> str:
    """SHA-256 of files' bytes: the key of an exported model file."""
    digest = hashlib.sha256()
    for path in paths:
        digest.update(Path(path).read_bytes())
    return digest.hexdigest()


def compile_key(shape: Shape, config: dict) -> str:
    """What a compiled model depends on besides the model: the input shape
    (``'dynamic'`` for dynamic shapes), the compile properties, the
    OpenVINO version and the CPU."""
    import openvino
    core = openvino.Core()
    text = json.dumps(dict(
        shape=shape if isinstance(shape, str) else list(shape),
        config=config, version=openvino.__version__,
        cpu=str(core.get_property('CPU', 'FULL_DEVICE_NAME')),
        capabilities=sorted(map(str, core.get_property(
            'CPU', 'OPTIMIZATION_CAPABILITIES')))), sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:32]


class CompiledCache:
    """Compiled models of one model, by input shape, in a cache folder.

    Args:
        key: The model's key (see the module docstring).
        folder: Cache folder (default: :func:`~.cache.default_cache_dir`).
        max_bytes: Most bytes the folder's ``.blob`` files may hold.
    """

    def __init__(self,
                 key: str,
                 folder: Optional[Union[str, Path]] = None,
                 max_bytes: int = MAX_BYTES):
        self.key = key
        self.folder = Path(folder) if folder is not None else (
            default_cache_dir())
        self.max_bytes = max_bytes

    def path(self, shape: Shape, config: dict) -> Path:
        """The file of the model compiled for ``shape`` with ``config``."""
        return self.folder / (f'{self.key}.{compile_key(shape, config)}'
                              f'{SUFFIX}')

    def load(self, shape: Shape, config: dict, device: str):
        """The cached compiled model, or None when there is none or
        OpenVINO cannot import it (the file is then removed)."""
        import openvino
        path = self.path(shape, config)
        try:
            data = path.read_bytes()
        except (FileNotFoundError, NotADirectoryError):
            return None
        except OSError as error:  # unreadable: a miss
            warnings.warn(f"cannot read the compiled model '{path}' "
                          f'({error}); compiling it')
            return None
        try:
            compiled = openvino.Core().import_model(data, device, config)
        except runtime_errors() as error:
            warnings.warn(f"cannot import the compiled model '{path}' "
                          f'({last_line(error)}); compiling it again')
            path.unlink(missing_ok=True)
            return None
        try:
            os.utime(path)  # recently used: evicted last
        except OSError:
            pass  # a read-only cache still serves
        return compiled

    def save(self, compiled, shape: Shape, config: dict) -> None:
        """Keep a compiled model (a warning when the folder is not
        writable), then evict the least recently used beyond
        ``max_bytes``."""
        # The stream form: export_model() returns bytes in some OpenVINO
        # versions and a BytesIO in others (2026.4).
        stream = io.BytesIO()
        compiled.export_model(stream)
        if store(stream.getvalue(), self.path(shape, config),
                 'the compiled OpenVINO model'):
            self.evict()

    def evict(self) -> None:
        """Remove the least recently used ``.blob`` files of the folder
        until they hold at most ``max_bytes``."""
        entries = []
        for path in self.folder.glob(f'*{SUFFIX}'):
            try:
                status = path.stat()
            except FileNotFoundError:  # removed by another process
                continue
            entries.append((status.st_mtime, status.st_size, path))
        total = sum(size for _, size, _ in entries)
        for _, size, path in sorted(entries, key=lambda e: e[0]):
            if total <= self.max_bytes:
                break
            path.unlink(missing_ok=True)
            total -= size
