"""A local file backend whose writes are atomic.

mmengine's ``LocalBackend`` writes a checkpoint straight into its final path,
so a run killed while saving leaves a truncated ``iter_N.pth``. Configs select
this backend for the checkpoint hook
(``CheckpointHook(backend_args=dict(backend='atomic_local'))``): every file is
written by :func:`~indexnet_plugin.fileio.write_atomically`, so a reader sees
either the old file or the complete new one.
"""
from pathlib import Path
from typing import Union

from mmengine.fileio import LocalBackend, register_backend

from ..fileio import write_atomically

BACKEND_NAME = 'atomic_local'


class AtomicLocalBackend(LocalBackend):
    """:class:`mmengine.fileio.LocalBackend` with atomic ``put`` and
    ``put_text``."""

    def put(self, obj: bytes, filepath: Union[str, Path]) -> None:
        write_atomically(obj, filepath)

    def put_text(self,
                 obj: str,
                 filepath: Union[str, Path],
                 encoding: str = 'utf-8') -> None:
        write_atomically(obj.encode(encoding), filepath)


register_backend(BACKEND_NAME, AtomicLocalBackend)
