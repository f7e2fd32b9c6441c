"""``indexnet-predict --box``: a box (``X0,Y0,X1,Y1``, the same for every
image) or a boxes file (one box per image stem), and ``--scribbles`` (a file,
or for a folder of images a folder of scribble images matched by stem).

Boxes files come in two formats, by suffix:

* ``.csv``: one ``stem,X0,Y0,X1,Y1`` row per image; an optional first row
  ``stem,x0,y0,x1,y1`` (any case), blank lines and lines starting with ``#``
  are skipped;
* ``.json``: an object ``{"stem": [X0, Y0, X1, Y1], ...}``.

A file that cannot be read as a whole (unreadable, not UTF-8, invalid JSON,
a stem given twice or empty) stops the command before any work. A row or
value that is not four integers fails only the image of its stem
(:func:`read_boxes` keeps the message in place of the box), as does an image
whose stem the file lacks; the batch goes on without them.
"""
import csv
import json
from pathlib import Path
from typing import Callable, Dict, List, Optional, Tuple, Union

from ..inputs.box import Box, parse_box
from ..inputs.folders import list_images
from ..inputs.images import MattingInputError

# stem -> its box, or why its entry cannot be read
BoxEntries = Dict[str, Union[Box, str]]
CSV_HEADER = ('stem', 'x0', 'y0', 'x1', 'y1')
SUFFIXES = ('.csv', '.json')


class BoxesFileError(ValueError):
    """The boxes file cannot be read as a whole (the command stops)."""


def _as_box(values) -> Union[Box, None]:
    """Four integers (not bools, not floats) as a box, else None."""
    if (isinstance(values, (list, tuple)) and len(values) == 4
            and all(isinstance(v, int) and not isinstance(v, bool)
                    for v in values)):
        return tuple(values)
    return None


def _csv_entries(text: str, name: str) -> BoxEntries:
    entries: BoxEntries = {}
    lines: Dict[str, int] = {}
    for number, row in enumerate(csv.reader(text.splitlines()), 1):
        if not row or not ''.join(row).strip() or row[0].startswith('#'):
            continue
        fields = [field.strip() for field in row]
        if not lines and tuple(f.lower() for f in fields) == CSV_HEADER:
            continue
        stem = fields[0]
        if not stem:
            raise BoxesFileError(f'{name} line {number}: no stem')
        if stem in lines:
            raise BoxesFileError(f"{name} line {number}: stem '{stem}' "
                                 f'already has a box on line {lines[stem]}')
        lines[stem] = number
        try:
            box = _as_box([int(field) for field in fields[1:]])
        except ValueError:
            box = None
        entries[stem] = box or (
            f'{name} line {number}: expected stem,X0,Y0,X1,Y1 with four '
            f"integers, got {','.join(fields)!r}")
    return entries


def _json_entries(text: str, name: str) -> BoxEntries:
    try:
        content = json.loads(text)
    except json.JSONDecodeError as error:
        raise BoxesFileError(f'{name}: not valid JSON ({error})') from error
    if not isinstance(content, dict):
        raise BoxesFileError(
            f'{name}: expected a JSON object {{"stem": [X0, Y0, X1, Y1]}}, '
            f'got {type(content).__name__}')
    return {
        stem: _as_box(value) or
        (f'{name} key {stem!r}: expected [X0, Y0, X1, Y1] with four '
         f'integers, got {json.dumps(value)}')
        for stem, value in content.items()
    }


def read_boxes(path: Union[str, Path]) -> BoxEntries:
    """Read a boxes file, see the module docstring.

    Returns:
        dict: stem -> box ``(X0, Y0, X1, Y1)``, or the message why its
        entry is malformed.

    Raises:
        BoxesFileError: Unknown suffix, unreadable file, invalid JSON or a
            stem given twice or empty.
    """
    path = Path(path)
    name = f"boxes file '{path}'"
    if path.suffix.lower() not in SUFFIXES:
        raise BoxesFileError(f'{name}: expected a .csv or .json file')
    try:
        text = path.read_text(encoding='utf-8')
    except (OSError, UnicodeDecodeError) as error:
        raise BoxesFileError(f'{name}: {error}') from error
    if path.suffix.lower() == '.json':
        return _json_entries(text, name)
    return _csv_entries(text, name)


def box_of(entries: BoxEntries, image: Path, file: Path) -> Box:
    """The box of an image's stem.

    Raises:
        MattingInputError: The stem has no entry, or a malformed one; the
            message names the image.
    """
    entry = entries.get(image.stem)
    if entry is None:
        raise MattingInputError(
            f"image '{image}': no box for stem '{image.stem}' in boxes file "
            f"'{file}'")
    if isinstance(entry, str):
        raise MattingInputError(f"image '{image}': {entry}")
    return entry


def box_source(value: str) -> Callable[[Path], Box]:
    """What gives each image its box: ``--box``'s value is a file (it
    exists, or ends in ``.csv`` / ``.json``) or one box for every image.

    Raises:
        BoxesFileError: See :func:`read_boxes`.
        ValueError: Neither a file nor ``X0,Y0,X1,Y1``.
    """
    path = Path(value)
    if path.is_file() or path.suffix.lower() in SUFFIXES:
        entries = read_boxes(path)
        return lambda image: box_of(entries, image, path)
    box = parse_box(value)
    return lambda image: box


def scribble_pairs(image: Path, scribbles: Optional[Path]
                   ) -> Tuple[List[Tuple[Path, Optional[Path]]], List[str]]:
    """The images with their scribble files (None: no strokes), and one
    message per image with several; a folder's images take the scribbles
    of their stem from a folder, if it has them.

    Raises:
        MattingInputError: A folder missing or without images, or an image
            and scribbles that are not both files or both folders.
    """
    if not image.is_dir():
        if scribbles is not None and scribbles.is_dir():
            raise MattingInputError(
                f"image '{image}' and scribbles '{scribbles}' must both be "
                'files or both be folders')
        return [(image, scribbles)], []
    if scribbles is not None and not scribbles.is_dir():
        raise MattingInputError(
            f"image '{image}' and scribbles '{scribbles}' must both be "
            'files or both be folders')
    by_stem: Dict[str, List[Path]] = {}
    if scribbles is not None:
        for path in list_images(scribbles, 'scribbles folder'):
            by_stem.setdefault(path.stem, []).append(path)
    pairs, problems = [], []
    for path in list_images(image):
        found = by_stem.get(path.stem, [None])
        if len(found) > 1:
            names = ', '.join(p.name for p in found)
            problems.append(f"image '{path}': several scribbles match "
                            f"({names}) in '{scribbles}'")
        else:
            pairs.append((path, found[0]))
    return pairs, problems
