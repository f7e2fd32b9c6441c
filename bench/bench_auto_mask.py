"""The automatic person mask's time against the network's, at 1920x1080.

The frame is scikit-image's astronaut photo scaled to 1080 rows and widened
to 1920 columns by repeating its edge pixels (a portrait in a landscape
frame). One run prints, best of ``--reps`` runs each, interleaved:

* the segmenter, each model: image -> trimap
  (:meth:`~indexnet_plugin.apis.inputs.person.PersonSegmenter.trimap`:
  MediaPipe plus the mask rule), and the trimap rule alone;
* the network on that image and trimap (``init_predictor`` defaults: the
  fast network; random weights, which take the same time);

then the one-off costs (importing MediaPipe, building each model's graph)
and the load average.

Run: ``.venv/bin/python bench/bench_auto_mask.py``.
"""
import argparse
import os
import tempfile
import time

import cv2
import numpy as np
from skimage import data

from indexnet_plugin.apis.inputs.person import MODELS, PersonSegmenter
from indexnet_plugin.apis.inputs.mask import mask_to_trimap

SIZE = (1080, 1920)  # H, W


def frame() -> np.ndarray:
    """The astronaut in a 1920x1080 BGR frame."""
    height, width = SIZE
    portrait = cv2.resize(
        np.ascontiguousarray(data.astronaut()[..., ::-1]), (height, height),
        interpolation=cv2.INTER_CUBIC)
    left = (width - height) // 2
    return cv2.copyMakeBorder(portrait, 0, 0, left, width - height - left,
                              cv2.BORDER_REPLICATE)


def seconds(function) -> float:
    start = time.perf_counter()
    function()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--reps', type=int, default=5)
    args = parser.parse_args()
    image = frame()
    load = os.getloadavg()
    start = time.perf_counter()
    from mediapipe.python.solutions import selfie_segmentation  # noqa: F401
    import_time = time.perf_counter() - start
    build_times, segmenters = {}, {}
    for model in MODELS:
        start = time.perf_counter()
        segmenters[model] = PersonSegmenter(model)
        build_times[model] = time.perf_counter() - start
    trimap = segmenters['general'].trimap(image)
    mask = segmenters['general'].mask(image).astype(np.float32)
    from indexnet_plugin.apis import init_predictor
    with tempfile.TemporaryDirectory() as cache:
        os.environ['INDEXNET_PLUGIN_CACHE_DIR'] = cache
        predictor = init_predictor(None, None)
        predictor.predict(image, trimap)  # warm-up
    candidates = {
        'network': lambda: predictor.predict(image, trimap),
        'rule': lambda: mask_to_trimap(mask),
        **{
            model: (lambda s=segmenter: s.trimap(image))
            for model, segmenter in segmenters.items()
        },
    }
    best = dict.fromkeys(candidates, float('inf'))
    for _ in range(args.reps):  # interleaved, so load changes hit all alike
        for name, function in candidates.items():
            best[name] = min(best[name], seconds(function))
    network = best.pop('network')
    print(f'{SIZE[1]}x{SIZE[0]}, best of {args.reps}: network '
          f'{network:.2f} s (person {np.mean(trimap > 0):.0%} of the frame '
          'with its band)')
    for model in MODELS:
        print(f'  segmenter {model:<9} image -> trimap {best[model] * 1e3:5.1f}'
              f' ms = {best[model] / network:.1%} of the network')
    print(f'  of which the mask rule       {best["rule"] * 1e3:5.1f} ms')
    print(f'once: import mediapipe {import_time:.1f} s, build ' + ', '.join(
        f'{model} {build_times[model]:.2f} s' for model in MODELS))
    after = os.getloadavg()
    print('load average (1, 5, 15 min) before / after: '
          f'{load[0]:.1f} {load[1]:.1f} {load[2]:.1f} / '
          f'{after[0]:.1f} {after[1]:.1f} {after[2]:.1f}')
    for segmenter in segmenters.values():
        segmenter.close()


if __name__ == '__main__':
    main()
