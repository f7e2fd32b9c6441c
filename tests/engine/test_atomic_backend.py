"""Checkpoints are written atomically through the atomic_local backend."""
import os

import pytest
from mmengine.fileio import get_file_backend

from indexnet_plugin.engine import AtomicLocalBackend, write_atomically


def test_config_backend_args_select_the_atomic_backend(tmp_path):
    backend = get_file_backend(str(tmp_path), backend_args=dict(backend='atomic_local'))
    assert isinstance(backend, AtomicLocalBackend)
    backend.put(b'weights', tmp_path / 'sub' / 'iter_1.pth')
    backend.put_text('iter_1.pth', tmp_path / 'last_checkpoint')
    assert (tmp_path / 'sub' / 'iter_1.pth').read_bytes() == b'weights'
    assert (tmp_path / 'last_checkpoint').read_text() == 'iter_1.pth'


def test_failed_write_keeps_the_old_file_and_leaves_no_temporary(tmp_path):
    target = tmp_path / 'iter_2.pth'
    write_atomically(b'complete old checkpoint', target)

    def full_disk(*args):
        raise OSError('No space left on device')

    with pytest.raises(OSError, match='No space left'):
        with pytest.MonkeyPatch.context() as patch:
            # fails after the temporary file has been opened and written
            patch.setattr(os, 'fsync', full_disk)
            write_atomically(b'partial new checkpoint', target)
    assert target.read_bytes() == b'complete old checkpoint'
    assert sorted(os.listdir(tmp_path)) == ['iter_2.pth']


def test_written_file_has_umask_permissions(tmp_path):
    umask = os.umask(0o022)
    try:
        write_atomically(b'x', tmp_path / 'f.pth')
    finally:
        os.umask(umask)
    assert (tmp_path / 'f.pth').stat().st_mode & 0o777 == 0o644
