"""Pictures made from a predicted alpha: RGBA cut-out and a preview strip."""
from typing import Optional, Sequence

import cv2
import numpy as np

CHECKER_SQUARE = 16
CHECKER_SHADES = (204, 153)  # light and dark grey, as image editors show
PREVIEW_HEIGHT = 480
LABEL_HEIGHT = 24  # rows of the white box behind a label


def rgba_cutout(colours: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    """Attach the alpha matte to the cut-out's colours as a fourth channel.

    Args:
        colours: BGR ``uint8`` colours (H, W, 3): the estimated foreground
            (:func:`~.foreground.estimate_foreground`)
            or the image itself.
        alpha: ``uint8`` alpha (H, W).

    Returns:
        np.ndarray: BGRA ``uint8`` image (H, W, 4), for ``cv2.imwrite``.
    """
    return np.dstack((colours, alpha))


def checkerboard(height: int, width: int) -> np.ndarray:
    """Grey checkerboard (H, W, 3) ``uint8`` that shows transparency."""
    rows = (np.arange(height) // CHECKER_SQUARE)[:, None]
    cols = (np.arange(width) // CHECKER_SQUARE)[None]
    board = np.where((rows + cols) % 2 == 0, *CHECKER_SHADES)
    return np.repeat(board[..., None], 3, axis=2).astype(np.uint8)


def composite(colours: np.ndarray, alpha: np.ndarray,
              behind: np.ndarray) -> np.ndarray:
    """A cut-out over a backdrop: ``alpha * colours + (1 - alpha) *
    behind``, rounded.

    Args:
        colours: BGR ``uint8`` foreground colours (H, W, 3).
        alpha: ``uint8`` alpha (H, W).
        behind: BGR ``uint8`` backdrop (H, W, 3).

    Returns:
        np.ndarray: BGR ``uint8`` composite (H, W, 3).
    """
    weight = alpha[..., None].astype(np.float32) / 255
    return np.round(colours * weight + behind * (1 - weight)).astype(np.uint8)


def label(panel: np.ndarray, text: str) -> np.ndarray:
    """Write a label in black on a white box at the top left of a panel.

    Args:
        panel: BGR ``uint8`` picture (H, W, 3); left unchanged.
        text: The label, a few words.

    Returns:
        np.ndarray: The labelled copy.
    """
    panel = panel.copy()
    cv2.rectangle(panel, (0, 0), (8 + 11 * len(text), LABEL_HEIGHT),
                  (255, 255, 255), -1)
    cv2.putText(panel, text, (4, 17), cv2.FONT_HERSHEY_SIMPLEX, 0.5,
                (0, 0, 0), 1, cv2.LINE_AA)
    return panel


def preview(image: np.ndarray,
            trimap: np.ndarray,
            alpha: np.ndarray,
            colours: Optional[np.ndarray] = None,
            labels: Optional[Sequence[str]] = None) -> np.ndarray:
    """Side-by-side strip: image | trimap | alpha | cut-out on a checkerboard.

    Each panel is scaled to :data:`PREVIEW_HEIGHT` rows (never enlarged).

    Args:
        image: BGR ``uint8`` image (H, W, 3).
        trimap: ``uint8`` trimap (H, W).
        alpha: ``uint8`` alpha (H, W).
        colours: BGR ``uint8`` colours of the cut-out (H, W, 3), e.g. the
            estimated foreground; ``None`` uses the image's.
        labels: Four labels written on the panels (:func:`label`); ``None``
            leaves them bare.

    Returns:
        np.ndarray: BGR ``uint8`` strip (h, 4 w, 3).
    """
    height, width = alpha.shape
    scale = min(1.0, PREVIEW_HEIGHT / height)
    size = (max(1, round(width * scale)), max(1, round(height * scale)))

    def fit(panel: np.ndarray) -> np.ndarray:
        return cv2.resize(panel, size, interpolation=cv2.INTER_AREA)

    if colours is None:
        colours = image
    panels = [
        image,
        cv2.cvtColor(trimap, cv2.COLOR_GRAY2BGR),
        cv2.cvtColor(alpha, cv2.COLOR_GRAY2BGR),
        composite(colours, alpha, checkerboard(height, width)),
    ]
    panels = [fit(panel) for panel in panels]
    if labels is not None:
        if len(labels) != len(panels):
            raise ValueError(f'expected {len(panels)} labels, got '
                             f'{len(labels)}')
        panels = [label(p, text) for p, text in zip(panels, labels)]
    return np.hstack(panels)
