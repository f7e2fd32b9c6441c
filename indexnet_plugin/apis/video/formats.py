"""What the video path takes, without importing PyAV (the command line
decides from these whether an input is a clip before anything needs the
``[video]`` extra)."""
from fractions import Fraction
from pathlib import Path
from typing import Union

# Suffixes read as video files (a folder of numbered frames is the other
# kind of clip, see .frame_folders).
VIDEO_SUFFIXES = ('.mp4', '.m4v', '.mov', '.webm', '.mkv', '.avi')
# The frame rate of a folder of frames unless one is given.
DEFAULT_RATE = Fraction(25)
INSTALL_COMMAND = 'pip install "indexnet_plugin[video]"'


def is_video_file(path: Union[str, Path]) -> bool:
    """Whether a path names a video file by its suffix."""
    return Path(path).suffix.lower() in VIDEO_SUFFIXES
