"""Automatic person masks, for portraits that come without a trimap.

The segmenter is MediaPipe's selfie segmentation (``mediapipe`` 0.10.21, the
optional extra ``indexnet_plugin[auto]``). Its two TFLite models ship inside
the ``mediapipe`` wheel, so nothing is downloaded at run time:

* ``general`` (the default, :data:`DEFAULT_MODEL`): a 256x256 network input,
  for any framing;
* ``landscape``: a 144x256 input, made for wide video frames; about 1.5x
  faster at 1920x1080 (41 against 60 ms, best of 15 on 2 loaded cores) and
  less sure away from the person (on scikit-image's astronaut photo its
  confidence reaches 0.53 on the flag, where ``general``'s stays below
  0.16).

Each gives every pixel a confidence in [0, 1] that it shows a person, at
the image's size. The rule from confidence to trimap:

1. The person is where the confidence is at least the threshold
   (:data:`DEFAULT_THRESHOLD`, 0.5). On scikit-image's astronaut photo the
   ``general`` model's confidence is within 0.05 of 0 or 1 on all but 4.4 %
   of the pixels, and the person covers 55.2, 54.5 and 53.2 % of the frame
   at thresholds 0.3, 0.5 and 0.7: the threshold moves the outline little.
2. No pixel at the threshold is "no person found"; every pixel at it is a
   person without background. Both are refused
   (:class:`.images.MattingInputError` naming the image), as :mod:`.mask` refuses a mask with no object or no
   background.
3. The binary mask becomes a trimap by :func:`.mask.mask_to_trimap`: an
   unknown band of ``unknown_width`` pixels on each side of the outline (by
   default 5 % of the person's size), where IndexNet predicts the hair and
   the soft edges that the segmenter's coarse outline misses.

The mask is binary on purpose: passed on as a soft mask, the confidence
would make every unsure patch away from the person unknown as well (by
:mod:`.mask`'s soft-mask rule; on the astronaut, parts of the flag), with
nothing there for the matting network to resolve.

``mediapipe`` is imported only when a :class:`PersonSegmenter` is built;
without it that raises :class:`SegmenterNotInstalledError`, whose message
names the extra to install.
"""
import contextlib
import os
import sys
import tempfile
import threading
from typing import Iterator, Optional, Tuple

import cv2
import numpy as np

from .images import ArrayOrPath, MattingInputError, describe_source, load_image
from .mask import check_unknown_width, mask_to_trimap

# What ``auto_mask`` / ``--auto-mask`` accept: the objects a bundled
# segmenter can find.
AUTO_MASK_KINDS = ('person', )
# MediaPipe's ``model_selection`` of each model name.
MODELS = {'general': 0, 'landscape': 1}
DEFAULT_MODEL = 'general'
DEFAULT_THRESHOLD = 0.5
INSTALL_COMMAND = 'pip install "indexnet_plugin[auto]"'
# What MediaPipe's native code prints on stderr when a graph first runs
# (TFLite's and absl's loggers; GLOG_minloglevel silences them only when set
# before the interpreter starts). Between the CLI's ``error:`` lines they
# read like failures.
START_UP_NOTES = ('INFO: Created TensorFlow Lite XNNPACK delegate',
                  'WARNING: All log messages before absl::InitializeLog()',
                  'inference_feedback_manager.cc')


class SegmenterNotInstalledError(ImportError):
    """The segmenter's package (``mediapipe``) cannot be imported."""


def check_auto_mask(kind: str) -> None:
    """Refuse an ``auto_mask`` kind other than :data:`AUTO_MASK_KINDS`."""
    if kind not in AUTO_MASK_KINDS:
        raise ValueError(f'auto_mask must be one of {AUTO_MASK_KINDS}, got '
                         f'{kind!r}')


def check_segmenter_options(model: str, threshold: float) -> None:
    """Refuse an unknown model name or a threshold outside (0, 1)."""
    if model not in MODELS:
        raise ValueError(f'auto-mask model must be one of {tuple(MODELS)}, '
                         f'got {model!r}')
    if isinstance(threshold, bool) or not isinstance(
            threshold, (int, float, np.floating)) or not 0 < threshold < 1:
        raise ValueError('auto-mask threshold must be a number in (0, 1), '
                         f'got {threshold!r}')


def person_mask(confidence: np.ndarray,
                threshold: float = DEFAULT_THRESHOLD,
                name: str = 'image array') -> np.ndarray:
    """Threshold a segmenter's confidence into the person's mask.

    Args:
        confidence: ``float32`` (H, W) in [0, 1], see
            :meth:`PersonSegmenter.confidence`.
        threshold: Confidence from which a pixel shows the person.
        name: How error messages refer to the image.

    Returns:
        np.ndarray: ``bool`` (H, W), True on the person.

    Raises:
        MattingInputError: No pixel reaches the threshold (no person found)
            or every pixel does (no background).
    """
    inside = confidence >= threshold
    if not inside.any():
        raise MattingInputError(
            f"{name}: no person found (the segmenter's confidence is below "
            f'{threshold:g} everywhere, at most {confidence.max():.2f})')
    if inside.all():
        raise MattingInputError(
            f"{name}: no background (the segmenter's confidence is at least "
            f'{threshold:g} everywhere), expected a person and background')
    return inside


def _import_selfie_segmentation():
    """MediaPipe's selfie segmentation solution, imported on first use
    (``mediapipe`` takes about two seconds to import)."""
    try:
        from mediapipe.python.solutions import selfie_segmentation
    except ImportError as error:
        raise SegmenterNotInstalledError(
            'the automatic person mask needs MediaPipe, which cannot be '
            f'imported ({error}); install it with: {INSTALL_COMMAND}'
        ) from error
    return selfie_segmentation


@contextlib.contextmanager
def _without_start_up_notes() -> Iterator[None]:
    """Drop :data:`START_UP_NOTES` from what is written to file descriptor 2
    meanwhile (native code writes there directly); other lines go on."""
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as captured:
        os.dup2(captured.fileno(), 2)
        try:
            yield
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
            captured.seek(0)
            lines = captured.read().decode(errors='replace')
            sys.stderr.writelines(
                line for line in lines.splitlines(keepends=True)
                if not any(note in line for note in START_UP_NOTES))


class PersonSegmenter:
    """MediaPipe's selfie segmentation, bundled models only.

    Use it as a context manager or call :meth:`close` to free the MediaPipe
    graph. Results do not depend on earlier calls (the graph keeps no state
    between images). Threads may share a segmenter: it segments one image
    at a time (MediaPipe's graph takes one input at a time).

    Args:
        model: ``'general'`` or ``'landscape'``, see the module docstring.
        threshold: Confidence in (0, 1) from which a pixel shows the person.

    Raises:
        ValueError: Unknown model or threshold outside (0, 1).
        SegmenterNotInstalledError: ``mediapipe`` cannot be imported.
    """

    def __init__(self,
                 model: str = DEFAULT_MODEL,
                 threshold: float = DEFAULT_THRESHOLD):
        check_segmenter_options(model, threshold)
        self.model = model
        self.threshold = float(threshold)
        self._lock = threading.Lock()
        solution = _import_selfie_segmentation()
        # The graph's threads print the notes while it starts and runs for
        # the first time; the run on a blank image waits for them.
        with _without_start_up_notes():
            self._graph = solution.SelfieSegmentation(
                model_selection=MODELS[model])
            self._graph.process(np.zeros((16, 16, 3), np.uint8))

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(model={self.model!r}, '
                f'threshold={self.threshold!r})')

    def __enter__(self) -> 'PersonSegmenter':
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def close(self) -> None:
        """Free the MediaPipe graph; the segmenter cannot be used after."""
        with self._lock:
            self._graph.close()

    def confidence(self, image: np.ndarray) -> np.ndarray:
        """Confidence that each pixel shows a person.

        Args:
            image: BGR ``uint8`` (H, W, 3), see :func:`.images.as_image`.

        Returns:
            np.ndarray: ``float32`` (H, W) in [0, 1].
        """
        rgb = cv2.cvtColor(image, cv2.COLOR_BGR2RGB)  # MediaPipe takes RGB
        with self._lock:
            confidence = self._graph.process(rgb).segmentation_mask
        return np.clip(confidence, 0, 1).astype(np.float32, copy=False)

    def mask(self, image: np.ndarray, name: str = 'image array') -> np.ndarray:
        """The person's ``bool`` mask (H, W), see :func:`person_mask`."""
        return person_mask(self.confidence(image), self.threshold, name)

    def trimap(self,
               image: np.ndarray,
               unknown_width: Optional[int] = None,
               name: str = 'image array') -> np.ndarray:
        """The trimap of the person in an image.

        Args:
            image: BGR ``uint8`` (H, W, 3).
            unknown_width: See :func:`.mask.mask_to_trimap`.
            name: How error messages refer to the image.

        Returns:
            np.ndarray: ``uint8`` (H, W) with 0, 128 and 255.

        Raises:
            MattingInputError: No person found, or no background.
            ValueError: Invalid ``unknown_width``.
        """
        check_unknown_width(unknown_width)
        inside = self.mask(image, name)
        return mask_to_trimap(inside.astype(np.float32), unknown_width)

    def load_pair(
            self,
            image: ArrayOrPath,
            unknown_width: Optional[int] = None
    ) -> Tuple[np.ndarray, np.ndarray]:
        """Load an image and make the trimap of the person in it.

        Args:
            image: Image path or array, see :func:`.images.as_image`.
            unknown_width: See :func:`.mask.mask_to_trimap`.

        Returns:
            tuple[np.ndarray, np.ndarray]: BGR image (H, W, 3) and trimap
            (H, W), both ``uint8``.

        Raises:
            MattingInputError: Unreadable or invalid image, no person found
                or no background, named by file.
            ValueError: Invalid ``unknown_width``.
        """
        check_unknown_width(unknown_width)
        array = load_image(image)
        return array, self.trimap(array, unknown_width,
                                  describe_source(image, 'image'))
