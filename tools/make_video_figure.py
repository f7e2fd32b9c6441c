"""Draw the README's video figure: frames of a short clip through the
video path of ``indexnet-predict``.

The clip is :func:`~indexnet_plugin.datasets.comp1k.synthetic_clip`'s
(seeded: a synthetic foreground still, moving, still, over a background,
with camera noise), written as H.264; its guide is a mask clip, the true
alpha thresholded at one half (a hard mask, as a segmenter gives, without
the strands and the veil's softness). It runs through
:func:`~indexnet_plugin.apis.video.predict_video` exactly as ``indexnet-predict
clip.mp4 --mask mask.mkv --alpha-video --composite --background 40,60,160``
would (stabilised mask, one band width for the clip), and three frames (one
of each third) are read back from the written files. Rows: a frame, its
alpha, the composite.

Example::

    python tools/make_video_figure.py docs/video_frames.png \\
        --config configs/indexnet_demo.py \\
        --checkpoint work_dirs/indexnet_demo/iter_400.pth
"""
import argparse
import sys
import tempfile
from pathlib import Path

import av
import cv2
import numpy as np

from indexnet_plugin.apis import init_predictor
from indexnet_plugin.apis.video import (VideoOutputs, predict_video,
                                        probe_video, read_video)
from indexnet_plugin.apis.cutout.visualize import label
from indexnet_plugin.datasets.comp1k import synthetic_clip
from indexnet_plugin.fileio import write_image_atomically

SEED = 0
COUNT = 30
SHOWN = (5, 15, 25)  # a frame of each third: still, moving, still
BACKGROUND = (160, 60, 40)  # BGR of --background 40,60,160
GAP = 6
SCALE = 0.6  # of each panel, to keep the PNG small
LABELS = ('frame', 'alpha', 'composite')


def write_inputs(folder: Path):
    """The clip as H.264 and its mask clip as FFV1."""
    clip = synthetic_clip(np.random.default_rng(SEED), COUNT)
    height, width = clip.alphas[0].shape
    with av.open(str(folder / 'clip.mp4'), 'w') as video, \
            av.open(str(folder / 'mask.mkv'), 'w') as masks:
        stream = video.add_stream('libx264', rate=25, options={'crf': '16'})
        lane = masks.add_stream('ffv1', rate=25)
        for s, fmt in ((stream, 'yuv420p'), (lane, 'gray')):
            s.height, s.width, s.pix_fmt = height, width, fmt
        for frame, alpha in zip(clip.frames, clip.alphas):
            video.mux(stream.encode(av.VideoFrame.from_ndarray(frame)))
            mask = np.where(alpha >= 128, 255, 0).astype(np.uint8)
            masks.mux(lane.encode(av.VideoFrame.from_ndarray(mask, 'gray')))
        video.mux(stream.encode(None))
        masks.mux(lane.encode(None))


def make_figure(predictor) -> np.ndarray:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        write_inputs(folder)
        outputs = VideoOutputs(alpha_video=folder / 'alpha.mkv',
                               composite=folder / 'composite.mp4',
                               background=BACKGROUND)
        predict_video(predictor, folder / 'clip.mp4', mask=folder / 'mask.mkv',
                      outputs=outputs)
        rows = []
        for path, pixel_format in ((folder / 'clip.mp4', 'bgr24'),
                                   (folder / 'alpha.mkv', 'bgr24'),
                                   (folder / 'composite.mp4', 'bgr24')):
            frames = [f.image for f in read_video(probe_video(path),
                                                  pixel_format)]
            rows.append([frames[i] for i in SHOWN])
    return _tile(rows)


def _tile(rows) -> np.ndarray:
    height = round(rows[0][0].shape[0] * SCALE)
    white_column = np.full((height, GAP, 3), 255, np.uint8)
    lines = []
    for text, row in zip(LABELS, rows):
        panels = [label(cv2.resize(p, None, fx=SCALE, fy=SCALE,
                                   interpolation=cv2.INTER_AREA),
                        f'{text} {i}') for p, i in zip(row, SHOWN)]
        line = panels[0]
        for panel in panels[1:]:
            line = np.hstack([line, white_column, panel])
        lines.append(line)
    white_row = np.full((GAP, lines[0].shape[1], 3), 255, np.uint8)
    figure = lines[0]
    for line in lines[1:]:
        figure = np.vstack([figure, white_row, line])
    return figure


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('out', help='PNG to write')
    parser.add_argument('--config', default=None)
    parser.add_argument('--checkpoint', required=True)
    args = parser.parse_args(argv)
    figure = make_figure(init_predictor(args.config, args.checkpoint))
    write_image_atomically(figure, args.out,
                           (cv2.IMWRITE_PNG_COMPRESSION, 9))
    print(f'wrote {args.out} ({figure.shape[1]}x{figure.shape[0]})')
    return 0


if __name__ == '__main__':
    sys.exit(main())
