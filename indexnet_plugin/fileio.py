"""Writing files so that a reader never sees a partial one.

Every file the plugin writes -- results, checkpoints, cache entries,
prepared data -- goes through :func:`write_atomically`: a temporary file in
the target's folder, flushed to disk, then renamed over the target, so the
target is either absent, the old file or the complete new one, and a crash,
a full disk or Ctrl-C leaves no partial file behind.
"""
import os
import uuid
from pathlib import Path
from typing import Sequence, Union

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
