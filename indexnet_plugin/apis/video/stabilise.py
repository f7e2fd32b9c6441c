"""Guides that hold still where the picture does.

A segmenter run frame by frame (the automatic person mask above all, or a
mask clip made that way) decides each frame anew: where its confidence is
near the threshold, camera noise alone moves the outline by a few pixels
from frame to frame, the unknown band follows it, and the alpha of a
subject standing still shimmers. :class:`TemporalMask` turns the
per-frame confidence (or a mask's coverage) into a mask that changes where
the picture changes, by this rule:

1. Motion: each frame is compared with the previous one in grey after a
   Gaussian blur of :data:`MOTION_BLUR` pixels. A pixel moves where the
   difference exceeds :data:`NOISE_FACTOR` times the frame's noise level
   (1.4826 x the median absolute difference, a robust standard deviation:
   most of a frame is still), or :data:`MIN_MOTION` levels; moving pixels
   are dilated by :data:`MOTION_RADIUS` pixels (the segmenter's outline
   lags the picture's edges by a few pixels).
2. Confidence: where the picture is still, an exponential average,
   :data:`SMOOTHING` of the previous average and the rest of the new
   value; where it moves, the new value as it is (so no ghost of where the
   subject was).
3. Labels with hysteresis: a still pixel changes side only when its
   average crosses the threshold by :data:`HYSTERESIS`; a moving pixel
   takes the plain threshold.

The band width of the trimap is fixed for a clip too (:func:`clip_width`):
the default width follows the object's size, whose rounding would move it
by a pixel from frame to frame.

Measured on a generated clip with known alpha (``bench/bench_video.py
--stability``; the README's *Video* section): see the figures there.
"""
from typing import Optional

import cv2
import numpy as np

from ..inputs.mask import THRESHOLD, default_unknown_width

MOTION_BLUR = 1.5
NOISE_FACTOR = 4.0
MIN_MOTION = 1.0
MOTION_RADIUS = 4
SMOOTHING = 0.8
HYSTERESIS = 0.15
# 1 / Phi^-1(3/4): the median absolute deviation of a normal distribution
# times this is its standard deviation.
MAD_TO_SIGMA = 1.4826


def moving_pixels(previous: np.ndarray, current: np.ndarray) -> np.ndarray:
    """Where the picture moves between two blurred grey frames (step 1).

    Args:
        previous, current: ``float32`` (H, W) from :func:`blurred_grey`.

    Returns:
        np.ndarray: ``bool`` (H, W), True where the picture moves.
    """
    difference = np.abs(current - previous)
    noise = MAD_TO_SIGMA * float(np.median(difference))
    moving = (difference > max(NOISE_FACTOR * noise, MIN_MOTION))
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE,
                                       (2 * MOTION_RADIUS + 1, ) * 2)
    return cv2.dilate(moving.astype(np.uint8), kernel) > 0


def blurred_grey(frame: np.ndarray) -> np.ndarray:
    """A BGR frame in grey, blurred against noise, ``float32`` (H, W)."""
    grey = cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY).astype(np.float32)
    return cv2.GaussianBlur(grey, (0, 0), MOTION_BLUR)


def clip_width(inside: np.ndarray) -> int:
    """The band width for a whole clip, from its first frame's object
    (:func:`~indexnet_plugin.apis.mask.default_unknown_width`; 3 pixels
    when the first frame shows none)."""
    return default_unknown_width(inside)


class TemporalMask:
    """Per-frame confidence in, a mask stable over time out (see the module
    docstring for the rule).

    Args:
        threshold: Confidence (coverage) from which a pixel is the object.
        stabilise: False gives the plain threshold of each frame (the
            per-frame guide), for comparison.
    """

    def __init__(self, threshold: float = THRESHOLD, stabilise: bool = True):
        self.threshold = threshold
        self.stabilise = stabilise
        self._grey: Optional[np.ndarray] = None
        self._average: Optional[np.ndarray] = None
        self._inside: Optional[np.ndarray] = None

    def update(self, frame: np.ndarray, confidence: np.ndarray) -> np.ndarray:
        """Take the next frame and its confidence; return its mask.

        Args:
            frame: BGR ``uint8`` (H, W, 3).
            confidence: ``float32`` (H, W) in [0, 1].

        Returns:
            np.ndarray: ``bool`` (H, W), True on the object.
        """
        if not self.stabilise:
            return confidence >= self.threshold
        grey = blurred_grey(frame)
        if self._average is None or self._average.shape != confidence.shape:
            self._average = confidence.astype(np.float32)
            self._inside = self._average >= self.threshold
        else:
            moving = moving_pixels(self._grey, grey)
            self._average = np.where(
                moving, confidence,
                SMOOTHING * self._average + (1 - SMOOTHING) * confidence)
            held = np.where(self._inside,
                            self._average >= self.threshold - HYSTERESIS,
                            self._average >= self.threshold + HYSTERESIS)
            self._inside = np.where(moving, self._average >= self.threshold,
                                    held)
        self._grey = grey
        return self._inside
