"""indexnet-predict run in the test process, and its outputs read back."""
from pathlib import Path
from typing import Sequence, Union

import cv2
import numpy as np

from indexnet_plugin.apis.cli.predict import main


def run_cli(args: Sequence[Union[str, Path]], checkpoint: Path, out: Path,
            *extra: str) -> int:
    """``indexnet-predict ARGS --checkpoint CHECKPOINT -o OUT EXTRA`` on the
    plain network without a progress bar; returns the exit status."""
    return main([
        *map(str, args), '--checkpoint',
        str(checkpoint), '-o',
        str(out), '--no-fast', '--quiet', *extra
    ])


def read_output(path: Path) -> np.ndarray:
    """An output image as written (alpha, trimap, BGRA cut-out...)."""
    return cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
