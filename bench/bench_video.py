"""Video matting: speed against mmedit frame by frame, memory over a clip's
length, and temporal stability of per-frame against stabilised guides.

``--speed`` (default): a generated clip (:func:`synthetic_clip`'s frames,
looped; H.264 ``.mp4``) and its trimap clip (FFV1 ``.mkv``) at each of
``--sizes`` (720: 1280x720, 1080: 1920x1080), ``--frames`` frames. Each
run is a fresh process, timed whole (start-up, imports, model, every frame,
the alpha video written):

* ``mmedit``: PyAV decodes the frames, mmedit 1.0.0rc7's IndexNet runs
  ``test_step`` on each (what ``mim test`` runs per image), PyAV writes the
  alpha as FFV1: the same reading and writing as ours, the network frame by
  frame;
* ``ours``: ``indexnet-predict CLIP TRIMAP --alpha-video`` (OpenVINO fp32,
  same weights);
* ``int8`` (with ``--int8 FILE.xml``): the same with ``--model-file``.

It prints frames per second of each, the speed-ups against mmedit and the
largest alpha difference from mmedit's frames.

``--memory``: peak resident memory of ``indexnet-predict`` on 10 s and 60 s
of 1280x720 at 25 fps with audio (``--model-file``: the int8 file, or
``--checkpoint``), writing the alpha video, the ``.webm`` cut-out and the
composite. Every 25th frame's trimap has an unknown band (the others are all
known, so the network runs once a second and a 60 s clip takes minutes, not
an hour); the rest of the pipeline runs on every frame.

``--stability``: per-frame against stabilised guides on generated clips with
known alpha (``--seeds``), with a simulated segmenter: the true alpha,
blurred, with a smooth random field moving its threshold from frame to
frame, sharpened into a confidence (the outline wobbles as a segmenter's
does under camera noise). Prints SAD, MSE, dtSSD and MESSDdt
(:mod:`indexnet_plugin.apis.video.metrics`), dtSSD over the still frames
alone, and the share of trimap pixels changing between frames.

Run: ``.venv/bin/python bench/bench_video.py [--speed] [--memory]
[--stability] --config configs/indexnet_demo.py --checkpoint
work_dirs/indexnet_demo/iter_400.pth [--int8 indexnet_int8.xml]``.
"""
import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Dict, List

import numpy as np

from bench_inference import mmedit_predictor, save_weights

SIZES = {720: (720, 1280), 1080: (1080, 1920)}
RATE = 25
BAND = 8  # unknown band of the trimaps (pixels on each side)
MEMORY_SECONDS = (10, 60)
NETWORK_EVERY = 25  # --memory: frames per frame that runs the network
BIN = Path(sys.executable).parent


# ------------------------------------------------------------------ clips
def write_clips(folder: Path, size, frames: int, every: int = 1,
                audio: bool = False) -> None:
    """``clip.mp4`` and ``trimap.mkv`` (see the module docstring)."""
    import av

    from indexnet_plugin.datasets.comp1k import (synthetic_clip,
                                                 trimap_from_alpha)
    height, width = size
    clip = synthetic_clip(np.random.default_rng(0), 12, size,
                          (height * 3 // 4, width * 3 // 8))
    trimaps = [trimap_from_alpha(alpha, BAND) for alpha in clip.alphas]
    known = [np.where(t == 128, np.where(a >= 128, 255, 0), t).astype(
        np.uint8) for t, a in zip(trimaps, clip.alphas)]
    folder.mkdir(parents=True, exist_ok=True)
    with av.open(str(folder / 'clip.mp4'), 'w') as video, \
            av.open(str(folder / 'trimap.mkv'), 'w') as guide:
        stream = video.add_stream('libx264', rate=RATE,
                                  options={'preset': 'veryfast'})
        stream.height, stream.width, stream.pix_fmt = height, width, \
            'yuv420p'
        lane = guide.add_stream('ffv1', rate=RATE)
        lane.height, lane.width, lane.pix_fmt = height, width, 'gray'
        sound = (video.add_stream('aac', rate=48000, layout='stereo')
                 if audio else None)
        for index in range(frames):
            j = index % len(clip.frames)
            video.mux(stream.encode(av.VideoFrame.from_ndarray(
                clip.frames[j], format='bgr24')))
            trimap = trimaps[j] if index % every == 0 else known[j]
            guide.mux(lane.encode(av.VideoFrame.from_ndarray(
                trimap, format='gray')))
            if sound is not None:
                _tone(video, sound, index)
        video.mux(stream.encode(None))
        guide.mux(lane.encode(None))
        if sound is not None:
            video.mux(sound.encode(None))


def _tone(container, stream, index: int) -> None:
    """One frame's length of a 440 Hz tone (48 kHz stereo)."""
    import av
    start, end = index * 48000 // RATE, (index + 1) * 48000 // RATE
    wave = 0.2 * np.sin(2 * np.pi * 440 * np.arange(start, end) / 48000)
    frame = av.AudioFrame.from_ndarray(
        np.stack([wave, wave]).astype(np.float32), format='fltp',
        layout='stereo')
    frame.sample_rate, frame.pts = 48000, start
    container.mux(stream.encode(frame))


# ---------------------------------------------------------------- workers
def mmedit_worker(folder: Path, weights: str) -> None:
    """The baseline: PyAV in and out, mmedit's model frame by frame."""
    import av
    predict = mmedit_predictor(weights)
    with av.open(str(folder / 'clip.mp4')) as video, \
            av.open(str(folder / 'trimap.mkv')) as guide, \
            av.open(str(folder / 'mmedit_alpha.mkv'), 'w') as out:
        stream = out.add_stream('ffv1', rate=RATE)
        source = video.streams.video[0].codec_context
        stream.height, stream.width = source.height, source.width
        stream.pix_fmt = 'gray'
        for frame, trimap in zip(video.decode(video=0),
                                 guide.decode(video=0)):
            alpha = predict(frame.to_ndarray(format='bgr24'),
                            trimap.to_ndarray(format='gray'))
            out.mux(stream.encode(av.VideoFrame.from_ndarray(
                np.ascontiguousarray(alpha), format='gray')))
        out.mux(stream.encode(None))


def timed(command: List[str]) -> Dict[str, float]:
    """Run a command through :func:`measure_worker` in a process of its
    own: its wall time and peak resident memory alone."""
    result = subprocess.run([sys.executable, __file__, '--measure',
                             *command], capture_output=True, text=True)
    if result.returncode:
        raise RuntimeError(f"{' '.join(command)} failed:\n{result.stderr}")
    return json.loads(result.stdout.splitlines()[-1])


def measure_worker(command: List[str]) -> None:
    """Run ``command`` and print its wall time and peak memory (this
    process has no other child, so RUSAGE_CHILDREN is the command's)."""
    start = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(json.dumps(dict(wall=wall, peak_mb=peak)), flush=True)


def ours_command(folder: Path, args, model_file: str = '',
                 outputs=('--alpha-video', )) -> List[str]:
    """``indexnet-predict`` on the folder's clip and trimap clip."""
    model = (['--model-file', model_file] if model_file else
             ['--checkpoint', args.weights] +
             (['--config', args.config] if args.config else []))
    return [str(BIN / 'indexnet-predict'), str(folder / 'clip.mp4'),
            str(folder / 'trimap.mkv'), *model, '-o', str(folder / 'out'),
            '--quiet', *outputs]


def alpha_frames(path: Path) -> List[np.ndarray]:
    from indexnet_plugin.apis.video import probe_video, read_video
    return [f.image for f in read_video(probe_video(path), 'gray')]


def alpha_difference(ours: List[np.ndarray], reference: List[np.ndarray]
                     ) -> str:
    """Largest difference over a clip's frames, in levels."""
    worst = max(int(np.abs(a.astype(int) - b).max())
                for a, b in zip(ours, reference))
    return f'max {worst} levels'


# ------------------------------------------------------------------ modes
def speed_runs(args, folder: Path) -> Dict[str, Dict[str, float]]:
    """Each implementation on the folder's clip, timed whole; the alpha
    videos are left in the folder (``<name>_alpha.mkv``)."""
    runs = {'mmedit': timed([sys.executable, __file__, '--mmedit-worker',
                             str(folder), args.weights])}
    ours = {'ours': ''}
    if args.int8:
        ours['int8'] = args.int8
    for name, model_file in ours.items():
        runs[name] = timed(ours_command(folder, args, model_file))
        (folder / 'out' / 'clip_alpha.mkv').rename(folder /
                                                   f'{name}_alpha.mkv')
    return runs


def speed(args, tmp: Path) -> None:
    """Frames per second of each implementation, whole process and
    steady (a clip of one frame gives the start-up: model, compilation for
    the shape, the first frame)."""
    for size in args.sizes:
        folder, single = tmp / f'speed{size}', tmp / f'single{size}'
        write_clips(folder, SIZES[size], args.frames)
        write_clips(single, SIZES[size], 1)
        runs, firsts = speed_runs(args, folder), speed_runs(args, single)
        reference = alpha_frames(folder / 'mmedit_alpha.mkv')
        steady = {name: (args.frames - 1) / (run['wall'] -
                                              firsts[name]['wall'])
                  for name, run in runs.items()}
        for name, run in runs.items():
            print(f"{size:>5}p {name:<7} {args.frames} frames in "
                  f"{run['wall']:6.1f} s whole "
                  f"({args.frames / run['wall']:5.2f} fps), steady "
                  f"{steady[name]:5.2f} fps, start-up and first frame "
                  f"{firsts[name]['wall']:5.1f} s, peak "
                  f"{run['peak_mb']:6.0f} MB", flush=True)
            if name != 'mmedit':
                alphas = alpha_frames(folder / f'{name}_alpha.mkv')
                print(f"        {name} against mmedit: "
                      f"{runs['mmedit']['wall'] / run['wall']:4.2f}x whole, "
                      f"{steady[name] / steady['mmedit']:4.2f}x steady, "
                      f'alpha {alpha_difference(alphas, reference)}',
                      flush=True)


def memory(args, tmp: Path) -> None:
    peaks = {}
    for seconds in MEMORY_SECONDS:
        folder = tmp / f'memory{seconds}'
        write_clips(folder, SIZES[720], seconds * RATE, NETWORK_EVERY,
                    audio=True)
        run = timed(ours_command(folder, args, args.int8, (
            '--alpha-video', '--cutout', '--composite')))
        peaks[seconds] = run['peak_mb']
        print(f'  720p {seconds:>3} s ({seconds * RATE} frames): '
              f"{run['wall']:6.1f} s, peak {run['peak_mb']:6.0f} MB",
              flush=True)
    low, high = MEMORY_SECONDS
    print(f'  peak at {high} s / at {low} s: {peaks[high] / peaks[low]:.3f}')


class SimulatedSegmenter:
    """A segmenter's confidence per frame from the true alpha (see the
    module docstring); ``confidence`` is called once per frame in order."""

    threshold = 0.5
    AMPLITUDE = 0.15  # of the threshold's random shift
    SCALE = 24  # pixels between the random field's knots
    SHARPNESS = 10.0
    BLUR = 3.0

    def __init__(self, alphas, rng: np.random.Generator):
        self._alphas = iter(alphas)
        self._rng = rng

    def confidence(self, image: np.ndarray) -> np.ndarray:
        import cv2
        alpha = next(self._alphas)
        height, width = alpha.shape
        soft = cv2.GaussianBlur(alpha.astype(np.float32) / 255, (0, 0),
                                self.BLUR)
        knots = self._rng.normal(0, self.AMPLITUDE, (
            height // self.SCALE + 2, width // self.SCALE + 2))
        shift = cv2.resize(knots.astype(np.float32), (width, height),
                           interpolation=cv2.INTER_CUBIC)
        return 1 / (1 + np.exp(-self.SHARPNESS * (soft - 0.5 + shift)))


def stability_run(predictor, clip, seed: int, stabilise: bool):
    """Alphas and trimaps of a clip with the simulated segmenter."""
    from indexnet_plugin.apis.video.containers import Frame
    from indexnet_plugin.apis.video.guides import ClipGuide
    from indexnet_plugin.apis.video.predict import predict_frame
    segmenter = SimulatedSegmenter(clip.alphas, np.random.default_rng(
        [seed, 1]))
    guide = ClipGuide('auto', segmenter=segmenter, stabilise=stabilise)
    frames = (Frame(i, i, image) for i, image in enumerate(clip.frames))
    alphas, trimaps = [], []
    for frame, trimap in guide.trimaps(frames):
        alphas.append(predict_frame(predictor, frame.image, trimap))
        trimaps.append(trimap)
    return alphas, trimaps


def stability_metrics(alphas, trimaps, clip) -> Dict[str, float]:
    from indexnet_plugin.apis.video.metrics import clip_metrics, dtssd
    from indexnet_plugin.datasets.comp1k import clip_motion
    metrics = clip_metrics(alphas, clip.alphas, clip_motion(clip))
    still = [t for t in range(1, len(alphas))
             if np.array_equal(clip.offsets[t], clip.offsets[t - 1])]
    metrics['dtSSD still'] = float(np.mean([
        dtssd(alphas[t - 1:t + 1], clip.alphas[t - 1:t + 1])
        for t in still]))
    metrics['trimap change'] = float(np.mean([
        (trimaps[t] != trimaps[t - 1]).mean()
        for t in range(1, len(trimaps))]))
    return metrics


def stability(args, tmp: Path) -> None:
    from indexnet_plugin.apis import init_predictor
    from indexnet_plugin.datasets.comp1k import synthetic_clip
    predictor = init_predictor(args.config or None, args.weights)
    table = {False: [], True: []}
    for seed in args.seeds:
        clip = synthetic_clip(np.random.default_rng(seed), args.clip_frames)
        for stabilise in table:
            table[stabilise].append(stability_metrics(
                *stability_run(predictor, clip, seed, stabilise), clip))
    names = list(table[False][0])
    print('guide       ' + ''.join(f'{name:>15}' for name in names))
    mean = {key: {name: float(np.mean([m[name] for m in rows]))
                  for name in names} for key, rows in table.items()}
    for key, label in ((False, 'per-frame'), (True, 'stabilised')):
        print(f'{label:<12}' + ''.join(f'{mean[key][name]:>15.5f}'
                                       for name in names))
    print('ratio       ' + ''.join(
        f'{mean[True][name] / mean[False][name]:>15.3f}' for name in names))


def main() -> None:
    if sys.argv[1:2] == ['--measure']:  # the rest is a command, not flags
        measure_worker(sys.argv[2:])
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--speed', action='store_true')
    parser.add_argument('--memory', action='store_true')
    parser.add_argument('--stability', action='store_true')
    parser.add_argument('--sizes', type=int, nargs='+', default=[720, 1080],
                        choices=sorted(SIZES))
    parser.add_argument('--frames', type=int, default=8,
                        help='--speed: frames per clip')
    parser.add_argument('--clip-frames', type=int, default=30,
                        help='--stability: frames per generated clip')
    parser.add_argument('--seeds', type=int, nargs='+', default=[0, 1, 2])
    parser.add_argument('--config', default='')
    parser.add_argument('--checkpoint', default='',
                        help='weights (default: random, as the tests)')
    parser.add_argument('--int8', default='',
                        help="an int8 '.xml' of tools/quantize.py")
    parser.add_argument('--mmedit-worker', nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.mmedit_worker:
        folder = Path(args.mmedit_worker[0])
        mmedit_worker(folder, args.mmedit_worker[1])
        return
    if not (args.memory or args.stability):
        args.speed = True
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        args.weights = args.checkpoint or str(tmp / 'weights.pth')
        if not args.checkpoint:
            save_weights(Path(args.weights))
        for mode in (speed, memory, stability):
            if getattr(args, mode.__name__):
                print(f'--- {mode.__name__} ('
                      f'load average {" ".join(map(str, _load()))})')
                mode(args, tmp)


def _load():
    import os
    return tuple(round(x, 2) for x in os.getloadavg())


if __name__ == '__main__':
    main()
