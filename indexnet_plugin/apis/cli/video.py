"""``indexnet-predict`` on a clip: a video file, or a folder of numbered
frames with ``--frames``.

    indexnet-predict clip.mp4 --auto-mask person --model-file int8.xml \\
        --cutout --composite --background beach.jpg
    indexnet-predict frames/ trimaps/ --frames --fps 24 --alpha-frames

The guide is a trimap clip or ``--mask`` clip (a video file or a folder of
numbered frames, matching the clip frame for frame), or ``--auto-mask
person`` on every frame. Outputs (any of them; the alpha video alone when
none is named), each at ``-o``'s ``<stem>_<output>`` unless given a path:
``--alpha-video`` (FFV1 ``.mkv``), ``--alpha-frames`` (PNG folder),
``--cutout`` (``.webm`` VP9 with alpha, or ``.mov`` ProRes 4444: give
``mov`` or a path), ``--composite`` (``.mp4`` over ``--background``: a
colour ``#rrggbb`` or ``r,g,b``, an image or a video), ``--rgba-frames``
(PNG folder). ``--resume`` leaves outputs that are already there (written
atomically: complete) and writes the others. ``--no-stabilise`` makes each
frame's trimap from its own mask, as for an image.

A bad clip, guide or output is one ``error:`` line before any prediction
(exit 2: unreadable, truncated, no video stream, a codec FFmpeg cannot
decode, a guide of another length, size or rate, an ``.mp4`` cut-out); a
frame that fails during the run stops it with one line (exit 1). Nothing
is left half-written under an output's name in either case.
"""
import argparse
from pathlib import Path
from typing import Callable, Dict, Optional

from tqdm import tqdm

from ..inference.predictor import MattingPredictor
from ..inputs.images import MattingInputError
from ..inputs.person import DEFAULT_MODEL, DEFAULT_THRESHOLD, PersonSegmenter
from ..video.formats import INSTALL_COMMAND

try:  # the [video] extra; indexnet-predict reports this as one error line
    import av  # noqa: F401
except ImportError as missing:
    raise ImportError('a clip needs PyAV, which is not installed; install '
                      f'it with: {INSTALL_COMMAND}') from missing
from ..video.encoders import CODECS  # noqa: E402
from ..video.outputs import (DEFAULT_BACKGROUND, VideoOutputError,  # noqa
                             VideoOutputs, check_outputs)
from ..video.predict import predict_video  # noqa: E402
from .reporting import (EXIT_BAD_PAIRS, EXIT_FATAL,  # noqa: E402
                        EXIT_INTERRUPTED, report)
from .video_options import VIDEO_OUTPUTS, flag_dest  # noqa: E402

# Words --alpha-video, --cutout and --composite take instead of a path: the
# default name with that suffix ('mp4' too, so that a cut-out in it is
# refused by name).
FORMATS = sorted({suffix[1:] for _, suffix in CODECS} | {'mp4'})


def parse_colour(text: str):
    """``#rrggbb`` or ``r,g,b`` as a BGR tuple; None if it is neither."""
    text = text.strip()
    if text.startswith('#') and len(text) == 7:
        try:
            red, green, blue = (int(text[i:i + 2], 16) for i in (1, 3, 5))
        except ValueError:
            return None
        return blue, green, red
    parts = text.split(',')
    if len(parts) == 3 and all(p.strip().isdigit() for p in parts):
        red, green, blue = (int(p) for p in parts)
        if max(red, green, blue) <= 255:
            return blue, green, red
    return None


def clip_outputs(args: argparse.Namespace) -> VideoOutputs:
    """The outputs named on the command line (the alpha video alone when
    none is), at their paths."""
    stem = Path(args.image).stem if not args.frames else Path(
        args.image).name
    out = Path(args.out_dir)
    named: Dict[str, Path] = {}
    for flag, (field, default) in VIDEO_OUTPUTS.items():
        value = getattr(args, flag_dest(flag))
        if value is None:
            continue
        if value == '':
            named[field] = out / default.format(stem)
        elif value.lower() in FORMATS and field in ('cutout', 'composite',
                                                    'alpha_video'):
            # a format word: the default name with that suffix
            named[field] = (out / default.format(stem)).with_suffix(
                '.' + value.lower())
        else:
            named[field] = Path(value)
    if not named:
        named['alpha_video'] = out / VIDEO_OUTPUTS['--alpha-video'][1].format(
            stem)
    return VideoOutputs(**named, background=_background(args.background))


def _background(text: Optional[str]):
    if text is None:
        return DEFAULT_BACKGROUND
    colour = parse_colour(text)
    if colour is not None:
        return colour
    if not Path(text).is_file():
        raise ValueError(f"--background '{text}': not a colour (#rrggbb or "
                         'r,g,b) nor an image or video file')
    return Path(text)


def clip_main(args: argparse.Namespace,
              build_predictor: Callable[[argparse.Namespace],
                                        MattingPredictor]) -> int:
    """``indexnet-predict`` on a clip, once the flags common to images are
    checked; returns the exit status.

    Args:
        args: The parsed command line (:func:`is_clip`).
        build_predictor: Makes the predictor of the command line,
            reporting a fallback from the fast path (and with --verbose
            what runs) as the image path does.
    """
    try:
        outputs = clip_outputs(args)
        check_outputs(outputs)  # before the model loads
        segmenter = None
        if args.auto_mask is not None:
            segmenter = PersonSegmenter(
                args.auto_mask_model or DEFAULT_MODEL,
                args.auto_mask_threshold or DEFAULT_THRESHOLD)
        predictor = build_predictor(args)
    except (MattingInputError, ValueError, OSError, ImportError) as error:
        report(str(error))
        return EXIT_FATAL
    progress = tqdm(unit='frame', disable=args.quiet, desc='frames')
    started = []

    def start(info) -> None:
        started.append(info)
        progress.total = info.frames
        progress.refresh()

    try:
        result = predict_video(
            predictor, args.image, args.trimap, mask=args.mask,
            auto_mask=segmenter, outputs=outputs,
            unknown_width=args.unknown_width,
            stabilise=not args.no_stabilise, rate=args.fps,
            resume=args.resume, progress=progress.update, on_start=start)
    except (MattingInputError, VideoOutputError, OSError) as error:
        progress.close()
        report(_os_message(error))
        return EXIT_BAD_PAIRS if started else EXIT_FATAL
    except KeyboardInterrupt:
        progress.close()
        report('interrupted; no output of the clip was written (each is '
               'written whole or not at all)')
        return EXIT_INTERRUPTED
    finally:
        progress.close()
        if segmenter is not None:
            segmenter.close()
    _summary(result)
    return 0


def _os_message(error: Exception) -> str:
    if isinstance(error, OSError) and error.filename:
        return f"cannot write '{error.filename}': {error.strerror or error}"
    return str(error)


def _summary(result) -> None:
    """Info and warning lines after a clip."""
    for path in result.skipped:
        report(f"'{path}' is already there (--resume): left as it is",
               'info')
    counts = result.counts
    for count, what in ((counts.empty, 'without the object: alpha 0'),
                        (counts.full, 'all object: alpha 255'),
                        (counts.relabelled, 'with trimap values relabelled '
                         'to 0, 128 and 255')):
        if count:
            report(f'{count} of {result.frames} frames {what}', 'warning')
