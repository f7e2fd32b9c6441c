"""Every file is written atomically: results, checkpoints (through the
atomic_local backend), cache entries, prepared data."""
import os

import cv2
import numpy as np

import pytest
from mmengine.fileio import get_file_backend

from indexnet_plugin.engine import AtomicLocalBackend
from indexnet_plugin.fileio import (staged_files, staged_folder,
                                   write_atomically,
                                   write_image_atomically)


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


def test_image_round_trip_by_extension(tmp_path):
    image = np.arange(60, dtype=np.uint8).reshape(4, 5, 3)
    write_image_atomically(image, tmp_path / 'a' / 'x.png')
    assert np.array_equal(cv2.imread(str(tmp_path / 'a' / 'x.png')), image)
    assert os.listdir(tmp_path / 'a') == ['x.png']


def test_image_that_cannot_be_encoded_names_the_file(tmp_path):
    with pytest.raises(OSError, match="cannot encode an image of shape "
                       r"\(4, 5, 7\) as '.*y\.png'"):
        write_image_atomically(np.zeros((4, 5, 7), np.uint8),
                               tmp_path / 'y.png')
    assert os.listdir(tmp_path) == []


def test_target_that_is_a_folder_leaves_no_temporary(tmp_path):
    (tmp_path / 'alpha.png').mkdir()
    with pytest.raises(IsADirectoryError):
        write_atomically(b'png', tmp_path / 'alpha.png')
    assert os.listdir(tmp_path) == ['alpha.png']


def test_staged_files_move_the_index_last(tmp_path):
    (tmp_path / 'm.xml').write_text('old index')
    with staged_files([tmp_path / 'm.bin', tmp_path / 'm.xml']) as staged:
        assert [p.name for p in staged] == ['m.bin', 'm.xml']
        assert staged[0].parent.parent == tmp_path  # same file system
        staged[0].write_bytes(b'weights')
        staged[1].write_text('index')
    assert sorted(os.listdir(tmp_path)) == ['m.bin', 'm.xml']
    assert (tmp_path / 'm.xml').read_text() == 'index'


def test_staged_files_not_written_leave_nothing(tmp_path):
    with pytest.raises(FileNotFoundError):
        with staged_files([tmp_path / 'a', tmp_path / 'b']) as staged:
            staged[0].write_bytes(b'only one of two')
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize('targets, message', [
    ([], 'staged_files needs at least one target'),
    (['x/a', 'y/b'], 'staged files must share a folder, got '),
    (['a', 'a'], 'staged file names must differ, got '),
])
def test_staged_files_arguments(tmp_path, targets, message):
    with pytest.raises(ValueError, match=f'^{message}'):
        with staged_files([tmp_path / t for t in targets]):
            pass
    assert os.listdir(tmp_path) == []


def test_staged_folder_appears_whole_and_replaces_an_old_one(tmp_path):
    target = tmp_path / 'frames'
    target.mkdir()
    (target / 'old.png').write_bytes(b'old')
    with staged_folder(target) as staging:
        (staging / '000000.png').write_bytes(b'new')
        assert sorted(os.listdir(target)) == ['old.png']  # not yet
    assert sorted(os.listdir(target)) == ['000000.png']
    assert sorted(os.listdir(tmp_path)) == ['frames']  # nothing hidden left
    umask = os.umask(0)
    os.umask(umask)
    assert target.stat().st_mode & 0o777 == 0o777 & ~umask  # not mkdtemp's 0700


def test_staged_folder_that_fails_leaves_no_trace(tmp_path):
    target = tmp_path / 'frames'
    with pytest.raises(KeyboardInterrupt):
        with staged_folder(target) as staging:
            (staging / '000000.png').write_bytes(b'partial')
            raise KeyboardInterrupt
    assert os.listdir(tmp_path) == []
