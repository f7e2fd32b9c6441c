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
   (:class:`.images.MattingInputError` naming the image), as :mod:`.mask`
   refuses a mask with no object or no background.
3. A face on the mask, or "no person found": the selfie segmenter calls
   many things a person, so its own output cannot tell (see below).
   MediaPipe's full-range face detector (bundled too) must find a face with
   a score of at least :data:`MIN_FACE_SCORE` whose box lies at least
   :data:`MIN_FACE_ON_MASK` on the mask. The refusal names the image and
   suggests a box (:mod:`.box`).
4. The binary mask becomes a trimap by :func:`.mask.mask_to_trimap`: an
   unknown band of ``unknown_width`` pixels on each side of the outline (by
   default 5 % of the person's size), where IndexNet predicts the hair and
   the soft edges that the segmenter's coarse outline misses.

Why a face (``bench/bench_person_check.py``, ``general`` model, threshold
0.5): on photos with people (scikit-image's astronaut and cameraman,
matplotlib's Grace Hopper, two face crops, the astronaut at 1920x1080) the
mask covers 33-65 % of the image and 83-98 % of it is confident (>= 0.95);
without people it often does as much: Chelsea the cat 91 % (87 %
confident), the retina 82 % (93 %), coins 77 %, twelve synthetic Comp-1k
composites 22-89 % (57-90 %), while a motorcycle, a clock, the Hubble deep
field and the moon get 0.7-2.9 % (the issue's flower photo: 2.1 %) and the
astronaut small in a sky 0.2 %. No rule on area, confidence or confident
share separates them. The face detector does: 0.82-0.93 on every photo
with a face, its box 83-98 % on the mask; no detection at all (from 0.3) on
the 35 images without people. Run on the four rotations of each image it
found "faces" in a synthetic texture (0.62, on the mask) and a clock (0.82,
24 % on it), so it runs upright only: a portrait turned sideways or upside
down, or a person seen from behind (the astronaut's lower half: no face),
is refused; ``PersonSegmenter(require_face=False)`` skips the check. The
detector costs 5 ms at 1920x1080 and 0.07 s to build.

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
from typing import Iterator, List, Optional, Sequence, Tuple

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
# The face check, rule 3 of the module docstring: MediaPipe's full-range
# face detector (``model_selection=1``; the short-range one found faces of
# 0.52-0.70 in six synthetic textures and a colour wheel).
FACE_MODEL = 1
MIN_FACE_SCORE = 0.5
MIN_FACE_ON_MASK = 0.5
BOX_HINT = ('for another object, or a person seen from behind, give a box: '
            '--box X0,Y0,X1,Y1')
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


def check_face(faces: Sequence[Tuple[int, int, int, int]],
               inside: np.ndarray, name: str = 'image array') -> None:
    """Refuse a mask without a face on it (rule 3 of the module docstring).

    Args:
        faces: Face boxes ``(X0, Y0, X1, Y1)`` in pixels, scored at least
            :data:`MIN_FACE_SCORE`.
        inside: The person's ``bool`` mask (H, W).
        name: How error messages refer to the image.

    Raises:
        MattingInputError: No face box lies at least
            :data:`MIN_FACE_ON_MASK` on the mask.
    """
    for x0, y0, x1, y1 in faces:
        face = inside[max(0, y0):y1, max(0, x0):x1]
        if face.size and face.mean() >= MIN_FACE_ON_MASK:
            return
    raise MattingInputError(
        f"{name}: no person found (no face on the segmenter's mask, which "
        f'covers {100 * inside.mean():.1f} % of the image); {BOX_HINT}')


def _import_solutions():
    """MediaPipe's selfie segmentation and face detection solutions,
    imported on first use (``mediapipe`` takes about two seconds to
    import)."""
    try:
        from mediapipe.python.solutions import (face_detection,
                                                selfie_segmentation)
    except ImportError as error:
        raise SegmenterNotInstalledError(
            'the automatic person mask needs MediaPipe, which cannot be '
            f'imported ({error}); install it with: {INSTALL_COMMAND}'
        ) from error
    return selfie_segmentation, face_detection


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
        require_face: Refuse a mask without a face on it (rule 3 of the
            module docstring); False for people seen from behind.

    Raises:
        ValueError: Unknown model or threshold outside (0, 1).
        SegmenterNotInstalledError: ``mediapipe`` cannot be imported.
    """

    def __init__(self,
                 model: str = DEFAULT_MODEL,
                 threshold: float = DEFAULT_THRESHOLD,
                 require_face: bool = True):
        check_segmenter_options(model, threshold)
        self.model = model
        self.threshold = float(threshold)
        self.require_face = bool(require_face)
        self._lock = threading.Lock()
        segmentation, face_detection = _import_solutions()
        # The graphs' threads print the notes while they start and run for
        # the first time; the runs on a blank image wait for them.
        blank = np.zeros((16, 16, 3), np.uint8)
        with _without_start_up_notes():
            self._graph = segmentation.SelfieSegmentation(
                model_selection=MODELS[model])
            self._graph.process(blank)
            self._faces = face_detection.FaceDetection(
                model_selection=FACE_MODEL,
                min_detection_confidence=MIN_FACE_SCORE)
            self._faces.process(blank)

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(model={self.model!r}, '
                f'threshold={self.threshold!r}, '
                f'require_face={self.require_face!r})')

    def __enter__(self) -> 'PersonSegmenter':
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def close(self) -> None:
        """Free the MediaPipe graphs; the segmenter cannot be used after."""
        with self._lock:
            self._graph.close()
            self._faces.close()

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

    def face_boxes(self, image: np.ndarray) -> List[Tuple[int, int, int, int]]:
        """Boxes ``(X0, Y0, X1, Y1)`` in pixels of the faces the detector
        scores at least :data:`MIN_FACE_SCORE` in a BGR ``uint8`` image."""
        height, width = image.shape[:2]
        rgb = cv2.cvtColor(image, cv2.COLOR_BGR2RGB)
        with self._lock:
            detections = self._faces.process(rgb).detections or []
        boxes = []
        for detection in detections:
            box = detection.location_data.relative_bounding_box
            boxes.append((round(box.xmin * width), round(box.ymin * height),
                          round((box.xmin + box.width) * width),
                          round((box.ymin + box.height) * height)))
        return boxes

    def mask(self, image: np.ndarray, name: str = 'image array') -> np.ndarray:
        """The person's ``bool`` mask (H, W), see :func:`person_mask` and,
        with ``require_face``, :func:`check_face`."""
        inside = person_mask(self.confidence(image), self.threshold, name)
        if self.require_face:
            check_face(self.face_boxes(image), inside, name)
        return inside

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
