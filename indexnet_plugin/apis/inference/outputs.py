"""The files written for one image, and the rule that makes reruns cheap.

For an image ``<stem>`` the outputs are ``<stem>.png`` (the alpha) and, as
asked, ``<stem>_trimap.png``, ``<stem>_rgba.png``, ``<stem>_fg.png`` and
``<stem>_preview.png`` in one folder. Each is written atomically
(:mod:`indexnet_plugin.fileio`), so a file that exists is complete.

The rerun rule: an output file that exists is not written again (unless
``overwrite``; a folder in its place is not one, and fails to write). An image whose outputs all exist is skipped before it is
read; otherwise only its missing outputs are written. So a run stopped
anywhere (Ctrl-C, a full disk, a killed worker) is finished by running it
again, and a retried piece of work (a Ray worker that died mid-batch) writes
nothing its first attempt wrote: every output is written once.
"""
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Optional

import numpy as np

from ...fileio import write_image_atomically
from ..cutout.foreground import estimate_foreground
from ..cutout.visualize import preview, rgba_cutout

# The optional outputs, in the order they are written, and their suffixes.
OPTIONAL_SUFFIXES = dict(
    save_trimap='_trimap', rgba='_rgba', foreground='_fg', preview='_preview')


@dataclass(frozen=True)
class OutputOptions:
    """What is written for each image, and where.

    Args:
        out_dir: The output folder (made on the first write).
        save_trimap: Also write the trimap used.
        rgba: Also write the BGRA cut-out.
        foreground: Also write the foreground colours.
        preview: Also write image | trimap | alpha | cut-out.
        fg_estimation: Estimate the cut-outs' foreground colours
            (:func:`~indexnet_plugin.apis.cutout.foreground.estimate_foreground`);
            False keeps the image's colours.
        overwrite: Write every output even when it exists.
    """
    out_dir: Path
    save_trimap: bool = False
    rgba: bool = False
    foreground: bool = False
    preview: bool = False
    fg_estimation: bool = True
    overwrite: bool = False

    def paths(self, stem: str) -> Dict[str, Path]:
        """The requested outputs of ``stem``: ``'alpha'`` and each optional
        output asked for, to their paths, in the order they are written."""
        out = Path(self.out_dir)
        paths = {'alpha': out / f'{stem}.png'}
        for name, suffix in OPTIONAL_SUFFIXES.items():
            if getattr(self, name):
                paths[name] = out / f'{stem}{suffix}.png'
        return paths

    def pending(self, stem: str,
                names: Optional[List[str]] = None) -> List[str]:
        """The outputs of ``stem`` still to write, of ``names`` (default:
        all requested; all of them with ``overwrite``); empty: the image is
        skipped."""
        paths = self.paths(stem)
        return [
            name for name in (names or list(paths))
            if self.overwrite or not paths[name].is_file()
        ]

    def save(self, stem: str, image: np.ndarray, trimap: np.ndarray,
             alpha: np.ndarray, names: Optional[List[str]] = None) -> None:
        """Write the outputs of one image that are still to write.

        Args:
            stem: The image's file stem.
            image: BGR ``uint8`` (H, W, 3).
            trimap: ``uint8`` (H, W), the trimap used.
            alpha: ``uint8`` (H, W).
            names: The outputs to consider (default: all requested); those
                that exist by now are skipped unless ``overwrite``.

        Raises:
            OSError: An output cannot be written (named in the message);
                those written before it stay.
        """
        paths = self.paths(stem)
        todo = self.pending(stem, names)
        colours = []  # estimated once, after the alpha is written

        def foreground() -> np.ndarray:
            if not colours:
                colours.append(
                    estimate_foreground(image, alpha)
                    if self.fg_estimation else image)
            return colours[0]

        pictures = dict(
            alpha=lambda: alpha,
            save_trimap=lambda: trimap,
            rgba=lambda: rgba_cutout(foreground(), alpha),
            foreground=foreground,
            preview=lambda: preview(image, trimap, alpha, foreground()))
        for name in todo:
            write_output(pictures[name](), paths[name])


def write_output(picture: np.ndarray, path: Path) -> None:
    """Write one output image atomically, naming it if that fails.

    Raises:
        OSError: ``cannot write '<path>': <cause>``.
    """
    try:
        write_image_atomically(picture, path)
    except OSError as error:
        raise OSError(
            f"cannot write '{path}': {error.strerror or error}") from error
