"""Writing files so that a reader never sees a partial one.

Every file the plugin writes -- results, checkpoints, cache entries,
prepared data -- goes through :func:`write_atomically`: a temporary file in
the target's folder, flushed to disk, then renamed over the target, so the
target is either absent, the old file or the complete new one, and a crash,
a full disk or Ctrl-C leaves no partial file behind. Files that belong
together (an OpenVINO IR's ``.xml`` and ``.bin``) are written by another
library into :func:`staged_files`' temporary folder and moved into place one
by one, the file a reader opens first moved last; a folder of results (the
frames of a clip) is filled in :func:`staged_folder`'s hidden folder and
renamed into place whole.
"""
import contextlib
import os
import shutil
import tempfile
import uuid
from pathlib import Path
from typing import Iterator, List, Sequence, Union

import cv2
import numpy as np


def write_atomically(data: bytes, filepath: Union[str, Path]) -> None:
    """Write ``data`` to ``filepath`` through a temporary file and a rename.

    Args:
        data: The bytes to write.
        filepath: The target path; missing folders are created.

    Raises:
        OSError: The folder or file cannot be written (the temporary file is
            removed; the target is unchanged).
    """
    target = Path(filepath).absolute()
    target.parent.mkdir(parents=True, exist_ok=True)
    # A hidden name in the target folder (rename is atomic only within a
    # file system); open(..., 'xb') rather than mkstemp, so the file gets
    # the usual umask-based permissions instead of mkstemp's 0600.
    partial = target.with_name(
        f'.{target.name}.{os.getpid()}.{uuid.uuid4().hex}.tmp')
    try:
        with open(partial, 'xb') as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.replace(partial, target)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise


def _sync(path: Path) -> None:
    """Flush a written file to disk, so a rename publishes complete data."""
    with open(path, 'rb') as file:
        os.fsync(file.fileno())


@contextlib.contextmanager
def staged_files(targets: Sequence[Union[str, Path]]) -> Iterator[List[Path]]:
    """Write files that belong together so that no reader sees a mix.

    Yields a temporary path per target, with the target's name, in a hidden
    folder beside the targets (for a writer that names one file after
    another, as OpenVINO names the ``.bin`` after the ``.xml``). When the
    block ends normally, the last target is removed, then each file is
    flushed and renamed onto its target in order: readers open the last one
    (the index, e.g. an ``.xml``), which thus only ever stands beside the
    complete files it names. On any failure the temporary folder is
    removed; targets moved into place by then stay.

    Args:
        targets: Files in one folder (missing folders are created), the
            one readers open first last.

    Yields:
        list[Path]: The temporary paths, one per target, in order.

    Raises:
        ValueError: No targets, targets in different folders, or one name
            twice.
        OSError: A file was not written in the block, or cannot be moved.
    """
    paths = [Path(target).absolute() for target in targets]
    if not paths:
        raise ValueError('staged_files needs at least one target')
    if len({path.parent for path in paths}) > 1:
        raise ValueError('staged files must share a folder, got '
                         f"{', '.join(map(str, paths))}")
    if len({path.name for path in paths}) < len(paths):
        raise ValueError(f'staged file names must differ, got {targets!r}')
    folder = paths[0].parent
    folder.mkdir(parents=True, exist_ok=True)
    # Beside the targets: rename is atomic only within a file system.
    staging = Path(tempfile.mkdtemp(prefix=f'.{paths[-1].name}.',
                                    suffix='.tmp', dir=folder))
    try:
        staged = [staging / path.name for path in paths]
        yield staged
        for path in staged:
            _sync(path)
        paths[-1].unlink(missing_ok=True)
        for source, target in zip(staged, paths):
            os.replace(source, target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


@contextlib.contextmanager
def staged_folder(target: Union[str, Path]) -> Iterator[Path]:
    """Fill a folder so that no reader sees it partly written.

    Yields a hidden temporary folder beside ``target``. When the block ends
    normally, its files are flushed to disk and the folder is renamed onto
    ``target``; a folder or file already there is first moved aside under a
    hidden name, then removed. On any failure the temporary folder is
    removed and ``target`` is left as it was.

    Args:
        target: The folder to make (missing parent folders are created).

    Yields:
        Path: The temporary folder to write into.

    Raises:
        OSError: The folder cannot be made or moved into place.
    """
    target = Path(target).absolute()
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f'.{target.name}.',
                                    suffix='.tmp', dir=target.parent))
    try:
        # mkdtemp's folder is private (0700); a folder of results is not.
        umask = os.umask(0)
        os.umask(umask)
        staging.chmod(0o777 & ~umask)
        yield staging
        for path in staging.iterdir():
            _sync(path)
        old = None
        if target.exists() or target.is_symlink():
            old = target.with_name(f'.{target.name}.{uuid.uuid4().hex}.old')
            os.replace(target, old)
        os.replace(staging, target)
        if old is not None:
            if old.is_dir() and not old.is_symlink():
                shutil.rmtree(old, ignore_errors=True)
            else:
                old.unlink(missing_ok=True)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def write_image_atomically(image: np.ndarray,
                           filepath: Union[str, Path],
                           params: Sequence[int] = ()) -> None:
    """Encode an image by its file extension (OpenCV) and write it with
    :func:`write_atomically`.

    Args:
        image: uint8 (H, W), (H, W, 3) BGR or (H, W, 4) BGRA.
        filepath: Target path; ``.png``, ``.jpg`` ... choose the format.
        params: OpenCV's encoding flags, e.g.
            ``(cv2.IMWRITE_PNG_COMPRESSION, 9)``.

    Raises:
        OSError: OpenCV cannot encode the image in that format, or the file
            cannot be written.
    """
    try:
        ok, encoded = cv2.imencode(Path(filepath).suffix, image, list(params))
    except cv2.error:  # OpenCV raises for some layouts, returns False else
        ok = False
    if not ok:
        raise OSError(f"cannot encode an image of shape {image.shape} as "
                      f"'{filepath}'")
    write_atomically(encoded.tobytes(), filepath)
