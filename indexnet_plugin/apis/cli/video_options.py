"""The flags of ``indexnet-predict`` for a clip (see :mod:`.video`), and
whether a command line names one. No PyAV here: the parser and the image
path work without the ``[video]`` extra."""
import argparse
from fractions import Fraction
from pathlib import Path
from typing import Sequence

from ..video.formats import DEFAULT_RATE, VIDEO_SUFFIXES, is_video_file

# Output flags of a clip -> (VideoOutputs field, default name from the
# clip's stem).
VIDEO_OUTPUTS = {
    '--alpha-video': ('alpha_video', '{}_alpha.mkv'),
    '--alpha-frames': ('alpha_frames', '{}_alpha'),
    '--cutout': ('cutout', '{}_cutout.webm'),
    '--composite': ('composite', '{}_composite.mp4'),
    '--rgba-frames': ('rgba_frames', '{}_rgba'),
}
VIDEO_ONLY = (*VIDEO_OUTPUTS, '--fps', '--background', '--resume',
              '--no-stabilise')
# Flags of images that a clip does not take (--box: a box per frame is not
# supported, a mask clip or --auto-mask is the clip's guide; --ray: a clip
# runs in one process). --overwrite is a clip's default: its outputs are
# replaced unless --resume.
IMAGE_ONLY = ('--rgba', '--foreground', '--preview', '--save-trimap',
              '--box', '--scribbles', '--ray')


def add_video_options(parser: argparse.ArgumentParser) -> None:
    """A clip instead of images: its outputs, rate and stabilisation."""
    video = parser.add_argument_group(
        'video', 'IMAGE is a clip when it is a video file ('
        f"{', '.join(VIDEO_SUFFIXES)}) or, with --frames, a folder of "
        'numbered frames; the trimap or --mask then is a clip of the same '
        'frames, or --auto-mask runs on every frame')
    video.add_argument(
        '--frames', action='store_true',
        help='IMAGE (and the trimap or --mask) is a folder of numbered '
        'frames of one clip, played by the last number in their names')
    video.add_argument(
        '--fps', type=_rate, metavar='RATE',
        help=f'with --frames: the frame rate (default: {DEFAULT_RATE})')
    for flag, (_, name) in VIDEO_OUTPUTS.items():
        video.add_argument(flag, nargs='?', const='', metavar='PATH',
                           help=f'write it (default {name.format("<stem>")})')
    video.add_argument(
        '--background', metavar='COLOUR|IMAGE|VIDEO',
        help='behind --composite: #rrggbb or r,g,b, an image or a video '
        '(default: green)')
    video.add_argument(
        '--resume', action='store_true',
        help='leave the outputs already there, write the others')
    video.add_argument(
        '--no-stabilise', action='store_true',
        help="each frame's trimap from its own mask, as for an image")


def _rate(text: str) -> Fraction:
    """An argparse type: a positive frame rate (25, 29.97, 30000/1001)."""
    try:
        rate = Fraction(text)
    except (ValueError, ZeroDivisionError):
        rate = None
    if rate is None or rate <= 0:
        raise argparse.ArgumentTypeError(
            'expected a positive frame rate (25, 29.97 or 30000/1001), got '
            f'{text!r}')
    return rate


def _apply(flags: Sequence[str]) -> str:
    return ' and '.join(flags) + (' apply' if len(flags) > 1 else ' applies')


def flag_dest(flag: str) -> str:
    """The attribute argparse gives a flag."""
    return flag.lstrip('-').replace('-', '_')


def is_clip(args: argparse.Namespace) -> bool:
    """Whether the command runs on a clip (a video file, or --frames),
    refusing video flags without one and image flags with one.

    Raises:
        ValueError: A flag that does not apply to what IMAGE is.
    """
    given = [flag for flag in VIDEO_ONLY
             if getattr(args, flag_dest(flag)) not in (None, False)]
    if not (args.frames or is_video_file(args.image)):
        if given:
            raise ValueError(f'{_apply(given)} to a clip (a video file, or '
                             'a folder of frames with --frames)')
        return False
    image = [flag for flag in IMAGE_ONLY
             if getattr(args, flag_dest(flag)) not in (None, False)]
    if image:
        raise ValueError(f'{_apply(image)} to images; for a clip use '
                         f"{', '.join(VIDEO_OUTPUTS)}")
    if args.fps is not None and not args.frames:
        raise ValueError('--fps applies to a folder of frames (--frames); a '
                         'video file has its own rate')
    if args.background is not None and args.composite is None:
        raise ValueError('--background applies to --composite')
    if args.frames and not Path(args.image).is_dir():
        raise ValueError(
            f"--frames expects a folder of frames, got '{args.image}'")
    return True
