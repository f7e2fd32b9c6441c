"""One request of the page: guide -> trimap -> alpha -> cut-out -> files.

:func:`run` does what ``indexnet-predict`` does for one pair (the same
reading, size check, tiling note, prediction and foreground estimation) and
reports in its words: warnings as ``warning: ...`` lines and a bad input as
the one ``error: ...`` line the command prints (:class:`RequestError`).
Uploaded files are named by their file name, as the command names a file
by the path it was given, not by the server's upload folder.

Nothing here imports Gradio.
"""
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Dict, List, Optional, Sequence

import numpy as np

from ..apis import (BatchPredictionError, MattingInputError,
                    MattingPredictor, SegmenterNotInstalledError,
                    estimate_foreground, rgba_cutout)
from ..apis.inference.reading import read_pair
from ..apis.inputs.images import describe_error
from ..fileio import write_image_atomically
from .guides import SOURCES, GuideInputs

Progress = Callable[[float, str], None]
# Gradio copies a request's files into its own cache when the request
# returns, so the server's copies can go well before an hour has passed.
OUTPUT_LIFETIME = 3600  # seconds


class RequestError(Exception):
    """A request that cannot run; ``str()`` is the ``error: ...`` line."""


@dataclass
class MattingResult:
    """What one request gives back.

    Attributes:
        trimap: ``uint8`` trimap used (H, W).
        alpha: ``uint8`` alpha (H, W).
        colours: BGR ``uint8`` cut-out colours (H, W, 3): estimated
            foreground or the image's own.
        notes: ``warning: ...`` lines (relabelled trimap, tiles).
        files: ``'alpha'``, ``'rgba'``, ``'trimap'`` -> PNG path, named as
            ``indexnet-predict`` names them (``<stem>.png``,
            ``<stem>_rgba.png``, ``<stem>_trimap.png``).
    """
    trimap: np.ndarray
    alpha: np.ndarray
    colours: np.ndarray
    notes: List[str] = field(default_factory=list)
    files: Dict[str, Path] = field(default_factory=dict)


def named(message: str, uploads: Sequence[Optional[Path]]) -> str:
    """``message`` with each upload's server path replaced by its file
    name."""
    for path in uploads:
        if path is not None:
            message = message.replace(str(path), path.name)
    return message


def _prune(out_root: Path) -> None:
    """Remove the request folders older than :data:`OUTPUT_LIFETIME`."""
    expired = time.time() - OUTPUT_LIFETIME
    for folder in out_root.iterdir():
        if folder.is_dir() and folder.stat().st_mtime < expired:
            shutil.rmtree(folder, ignore_errors=True)


def run(predictor: MattingPredictor,
        source: str,
        inputs: GuideInputs,
        out_root: Path,
        estimate_colours: bool = True,
        progress: Progress = lambda share, what: None) -> MattingResult:
    """Predict one image's alpha from a guide and write its files.

    Args:
        predictor: The served predictor.
        source: A key of :data:`~.guides.SOURCES`.
        inputs: The uploads and strokes.
        out_root: Folder in which a new folder receives the PNG files
            (its folders older than :data:`OUTPUT_LIFETIME` are removed).
        estimate_colours: Estimate the foreground colours of the cut-out
            (as ``--rgba`` does); False keeps the image's.
        progress: Called with the share done (0 to 1) and what runs now.

    Returns:
        MattingResult: Trimap, alpha, colours, warning lines and files.

    Raises:
        RequestError: A bad input or a failed prediction, with the
            command's ``error: ...`` line.
        ValueError: ``source`` is not a guide source.
    """
    if source not in SOURCES:
        raise ValueError(f'source must be one of {tuple(SOURCES)}, got '
                         f'{source!r}')
    uploads = (inputs.image, inputs.trimap, inputs.mask)
    progress(0.05, 'reading the image and the guide')
    try:
        image, trimap, notes = read_pair(
            predictor, lambda: SOURCES[source](predictor, inputs),
            inputs.image)
        progress(0.15, 'predicting the alpha matte')
        alpha = predictor.predict_batch([image], [trimap])[0]
    except (MattingInputError, SegmenterNotInstalledError) as error:
        raise RequestError(f'error: {named(str(error), uploads)}') from None
    except BatchPredictionError as error:
        line = describe_error(error.errors[0], inputs.image)
        raise RequestError(f'error: {named(line, uploads)}') from None
    colours = image
    if estimate_colours:
        progress(0.8, 'estimating the foreground colours')
        colours = estimate_foreground(image, alpha)
    progress(0.95, 'writing the PNG files')
    files = _write_files(out_root, inputs.image.stem, trimap, alpha, colours)
    return MattingResult(trimap, alpha, colours,
                         [f'warning: {named(n, uploads)}' for n in notes],
                         files)


def _write_files(out_root: Path, stem: str, trimap: np.ndarray,
                 alpha: np.ndarray, colours: np.ndarray) -> Dict[str, Path]:
    """Write a request's PNG files into a new folder of ``out_root``,
    named as ``indexnet-predict`` names them."""
    _prune(out_root)
    folder = Path(tempfile.mkdtemp(dir=out_root))
    pictures = dict(
        alpha=(f'{stem}.png', alpha),
        rgba=(f'{stem}_rgba.png', rgba_cutout(colours, alpha)),
        trimap=(f'{stem}_trimap.png', trimap))
    files = {}
    for name, (file_name, picture) in pictures.items():
        files[name] = folder / file_name
        write_image_atomically(picture, files[name])
    return files
