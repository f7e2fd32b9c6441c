"""What the person segmenter says on photos with and without people.

For each image: the share of the image the mask covers (confidence >= 0.5,
``general`` model), the share of the mask that is confident (>= 0.95), the
best face score of MediaPipe's full-range face detector upright (scores
from 0.3 up are listed) and the share of that face's box on the mask, and
what ``--auto-mask person`` does (a trimap, or the refusal).

Images: with people, scikit-image's astronaut and cameraman, matplotlib's
Grace Hopper, face crops, the astronaut at 1920x1080, small in a sky, and
without her face (the lower half); without people, the other scikit-image
photos and pictures, matplotlib's present, a sky gradient and synthetic
Comp-1k composites (``--seed``).

Run: ``.venv/bin/python bench/bench_person_check.py``.
"""
import argparse
import os
import os.path as osp
import tempfile
from typing import Dict

import cv2
import matplotlib
import matplotlib.image
import numpy as np
from skimage import data

from indexnet_plugin.apis import MattingInputError, PersonSegmenter
from indexnet_plugin.apis.inputs.person import FACE_MODEL
from indexnet_plugin.datasets.comp1k import (make_synthetic_comp1k,
                                             prepare_comp1k)

OTHERS = ('chelsea', 'coffee', 'rocket', 'hubble_deep_field', 'retina',
          'immunohistochemistry', 'coins', 'brick', 'grass', 'gravel',
          'page', 'text', 'colorwheel', 'clock', 'horse', 'logo', 'moon',
          'cell', 'microaneurysms')
DETECTION_FLOOR = 0.3


def bgr(picture: np.ndarray) -> np.ndarray:
    """Any scikit-image or matplotlib picture as BGR uint8 (H, W, 3)."""
    picture = np.asarray(picture)
    if picture.dtype != np.uint8:
        picture = np.round(picture * 255 if picture.max() <= 1 else
                           picture).astype(np.uint8)
    if picture.ndim == 2:
        picture = np.stack([picture] * 3, axis=-1)
    return np.ascontiguousarray(picture[..., :3][..., ::-1])


def people() -> Dict[str, np.ndarray]:
    astronaut = bgr(data.astronaut())
    hopper = bgr(matplotlib.image.imread(
        osp.join(matplotlib.get_data_path(), 'sample_data',
                 'grace_hopper.jpg')))
    sky = np.full((480, 640, 3), (200, 150, 90), np.uint8)
    sky[320:, 240:400] = cv2.resize(astronaut, (160, 160),
                                    interpolation=cv2.INTER_AREA)
    return {
        'astronaut': astronaut,
        'grace_hopper': hopper,
        'cameraman (grey)': bgr(data.camera()),
        'astronaut, face crop': astronaut[20:250, 120:330],
        'grace_hopper, face crop': hopper[40:330, 110:420],
        'astronaut 1920x1080': cv2.resize(astronaut[100:388], (1920, 1080)),
        'astronaut small in a sky': sky,
        'astronaut, lower half (no face)': astronaut[256:],
    }


def others(seed: int) -> Dict[str, np.ndarray]:
    pictures = {name: bgr(getattr(data, name)()) for name in OTHERS}
    pictures['motorcycle'] = bgr(data.stereo_motorcycle()[0])
    pictures['present'] = bgr(matplotlib.image.imread(
        osp.join(matplotlib.get_data_path(), 'sample_data',
                 'Minduka_Present_Blue_Pack.png')))
    ramp = np.linspace(0, 1, 240, dtype=np.float32)[:, None, None]
    pictures['sky'] = np.round(
        np.broadcast_to([180, 120, 60] + ramp * [70, 100, 130],
                        (240, 320, 3))).astype(np.uint8)
    with tempfile.TemporaryDirectory() as root:
        sources = make_synthetic_comp1k(osp.join(root, 'raw'), seed=seed)
        prepare_comp1k(*sources, out_root=osp.join(root, 'data'))
        for split in ('Training_set', 'Test_set'):
            folder = osp.join(root, 'data', split, 'merged')
            for name in sorted(os.listdir(folder)):
                pictures[name[:-4]] = cv2.imread(
                    osp.join(folder, name))
    return pictures


def row(segmenter: PersonSegmenter, detector, name: str,
        image: np.ndarray) -> str:
    confidence = segmenter.confidence(image)
    inside = confidence >= segmenter.threshold
    sure = confidence[inside] >= 0.95
    score, on_mask = 0.0, 0.0
    for detection in detector.process(
            cv2.cvtColor(image, cv2.COLOR_BGR2RGB)).detections or []:
        box = detection.location_data.relative_bounding_box
        height, width = inside.shape
        x0, y0 = max(0, round(box.xmin * width)), max(0, round(box.ymin *
                                                                height))
        x1 = round((box.xmin + box.width) * width)
        y1 = round((box.ymin + box.height) * height)
        face = inside[y0:y1, x0:x1]
        score, on_mask = max((score, on_mask),
                             (detection.score[0],
                              face.mean() if face.size else 0.0))
    try:
        segmenter.mask(image, name)
        verdict = 'trimap'
    except MattingInputError as error:
        causes = {'no face on': 'no face', 'no background': 'no background'}
        verdict = 'refused: ' + next(
            (cause for text, cause in causes.items() if text in str(error)),
            'empty mask')
    face = f'{score:.2f}, {100 * on_mask:.0f} %' if score else '-'
    return (f'| {name} | {image.shape[1]}x{image.shape[0]} | '
            f'{100 * inside.mean():.1f} % | '
            f'{100 * sure.mean() if sure.size else 0:.0f} % | {face} | '
            f'{verdict} |')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--seed', type=int, default=0)
    args = parser.parse_args()
    print(f'load average: {os.getloadavg()}')
    print('| image | size | mask | confident | face (score, on mask) | '
          '--auto-mask person |')
    print('|---|---|---|---|---|---|')
    from mediapipe.python.solutions import face_detection
    # The segmenter's detector, with a lower floor to list near misses.
    with PersonSegmenter() as segmenter, face_detection.FaceDetection(
            model_selection=FACE_MODEL,
            min_detection_confidence=DETECTION_FLOOR) as detector:
        for group in (people(), others(args.seed)):
            for name, image in group.items():
                print(row(segmenter, detector, name, image), flush=True)


if __name__ == '__main__':
    main()
