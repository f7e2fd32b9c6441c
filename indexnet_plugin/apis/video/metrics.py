"""Video matting metrics: SAD and MSE per frame, and the temporal
coherence metrics of Erofeev et al. 2015 ("Perceptually motivated benchmark
for video matting", BMVC), dtSSD and MESSDdt.

Alphas are ``uint8`` (H, W) per frame, read as [0, 1]. With predictions
a_t and ground truth g_t, over a clip of T frames:

* SAD: mean over frames of sum |a_t - g_t| / 1000 (Comp-1k's);
* MSE: mean over frames of the mean of (a_t - g_t)^2;
* dtSSD: mean over t >= 1 of sqrt(sum ((a_t - a_t-1) - (g_t - g_t-1))^2):
  how much the prediction changes from frame to frame where the truth does
  not (flicker), in alpha units;
* MESSDdt: mean over t < T-1 of sum |E_t(p) - E_t+1(p + v_t(p))|, with
  E = (a - g)^2 and v_t the motion of each pixel from frame t to t+1
  (bilinear sampling): how much the error changes along the motion.

Sums run over the whole frame (a flickering guide errs in known regions
too, where the trimap's labels are written into the alpha).
"""
from typing import Dict, Sequence

import cv2
import numpy as np


def _unit(alpha: np.ndarray) -> np.ndarray:
    return alpha.astype(np.float64) / 255


def sad(predicted: Sequence[np.ndarray], truth: Sequence[np.ndarray]) -> float:
    """Mean SAD per frame (sum of absolute differences / 1000)."""
    return float(np.mean([np.abs(_unit(a) - _unit(g)).sum() / 1000
                          for a, g in zip(predicted, truth)]))


def mse(predicted: Sequence[np.ndarray], truth: Sequence[np.ndarray]) -> float:
    """Mean squared error per pixel, averaged over frames."""
    return float(np.mean([((_unit(a) - _unit(g))**2).mean()
                          for a, g in zip(predicted, truth)]))


def dtssd(predicted: Sequence[np.ndarray],
          truth: Sequence[np.ndarray]) -> float:
    """dtSSD, see the module docstring (needs two frames or more)."""
    values = []
    for t in range(1, len(truth)):
        change = ((_unit(predicted[t]) - _unit(predicted[t - 1])) -
                  (_unit(truth[t]) - _unit(truth[t - 1])))
        values.append(np.sqrt((change**2).sum()))
    return float(np.mean(values))


def messddt(predicted: Sequence[np.ndarray], truth: Sequence[np.ndarray],
            flows: Sequence[np.ndarray]) -> float:
    """MESSDdt, see the module docstring.

    Args:
        predicted, truth: ``uint8`` alphas (H, W), T of each.
        flows: ``float32`` (H, W, 2) motion (x, y) from frame t to t+1,
            T - 1 of them.
    """
    height, width = truth[0].shape
    rows, cols = np.mgrid[:height, :width].astype(np.float32)
    values = []
    for t, flow in enumerate(flows):
        error = ((_unit(predicted[t]) - _unit(truth[t]))**2)
        following = ((_unit(predicted[t + 1]) -
                      _unit(truth[t + 1]))**2).astype(np.float32)
        moved = cv2.remap(following, cols + flow[..., 0], rows + flow[..., 1],
                          cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
        values.append(np.abs(error - moved).sum())
    return float(np.mean(values))


def clip_metrics(predicted: Sequence[np.ndarray],
                 truth: Sequence[np.ndarray],
                 flows: Sequence[np.ndarray]) -> Dict[str, float]:
    """All four metrics of a clip."""
    return dict(SAD=sad(predicted, truth), MSE=mse(predicted, truth),
                dtSSD=dtssd(predicted, truth),
                MESSDdt=messddt(predicted, truth, flows))
