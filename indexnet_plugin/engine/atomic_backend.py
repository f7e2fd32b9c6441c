"""A local file backend whose writes are atomic.

mmengine's ``LocalBackend`` writes a checkpoint straight into its final path,
so a run killed while saving leaves a truncated ``iter_N.pth``. Configs select
this backend for the checkpoint hook
(``CheckpointHook(backend_args=dict(backend='atomic_local'))``): every file is
written to a temporary file in the same folder, flushed to disk, then renamed
over the target, so a reader sees either the old file or the complete new one.
"""
import os
import os.path as osp
import uuid
from pathlib import Path
from typing import Union

from mmengine.fileio import LocalBackend, register_backend

BACKEND_NAME = 'atomic_local'


def write_atomically(data: bytes, filepath: Union[str, Path]) -> None:
    """Write ``data`` to ``filepath`` through a temporary file and a rename.

    Args:
        data: The bytes to write.
        filepath: The target path; missing folders are created.
    """
    folder, name = osp.split(osp.abspath(filepath))
    os.makedirs(folder, exist_ok=True)
    # open(..., 'xb') rather than mkstemp: the file gets the usual
    # umask-based permissions instead of mkstemp's 0600.
    tmp_path = osp.join(folder, f'.{name}.{os.getpid()}.{uuid.uuid4().hex}.tmp')
    try:
        with open(tmp_path, 'xb') as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.replace(tmp_path, filepath)
    except BaseException:
        if osp.exists(tmp_path):
            os.remove(tmp_path)
        raise


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
