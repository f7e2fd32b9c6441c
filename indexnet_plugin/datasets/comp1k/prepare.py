"""Prepare Adobe Composition-1k from the official download, as the DIM
protocol does: composite every foreground onto its N listed backgrounds and
write the annotation files of mmedit's ``AdobeComp1kDataset``.

The layout is described in :mod:`.layout`. Outputs are written atomically
(:func:`~indexnet_plugin.fileio.write_atomically`), so an existing output is
always complete
and a second run skips it. Missing or unreadable inputs never stop the run:
they are collected as :class:`Problem` s and the annotation file of a split
with problems is not written, so no training ever runs on a silently
incomplete split.
"""
import io
import json
import math
import os
import os.path as osp
from multiprocessing import Pool
from typing import Dict, List, NamedTuple, Optional, Sequence, Tuple

import numpy as np
from PIL import Image
from tqdm import tqdm

from ...fileio import write_atomically
from .layout import (COCO2014_PREFIX, SPLITS, SplitLayout, composite_name,
                     find_adobe_root, find_coco_images, find_voc_images,
                     first_existing, read_names)

# PNG zlib level of the outputs: the real set is ~45k large images; level 3
# encodes ~1.5x faster than PIL's default 6 for ~10% more bytes.
PNG_COMPRESS_LEVEL = 3


class Problem(NamedTuple):
    """An input the preparation could not use.

    Args:
        path: The offending file or folder.
        reason: What is wrong with it, e.g. ``'missing'``.
    """
    path: str
    reason: str

    def __str__(self) -> str:
        return f'{self.path}: {self.reason}'


class PrepareReport(NamedTuple):
    """Outcome of :func:`prepare_comp1k`.

    Args:
        written: Composites (bg + merged pairs) written by this run.
        skipped: Composites already present from an earlier run.
        problems: Inputs that could not be used, sorted by path.
        ann_files: Annotation files written (absolute paths).
    """
    written: int
    skipped: int
    problems: List[Problem]
    ann_files: List[str]


class _Composite(NamedTuple):
    """One background of a foreground: source and the two outputs."""
    bg_source: str
    bg_out: str
    merged_out: str


class _ForegroundJob(NamedTuple):
    """All composites of one foreground; the unit of parallel work, so the
    foreground and alpha are decoded once for their N backgrounds."""
    fg_path: str
    alpha_path: str
    composites: Tuple[_Composite, ...]


# ---------------------------------------------------------------- pure maths
def fit_background(bg: np.ndarray, height: int, width: int) -> np.ndarray:
    """Resize a background to cover a foreground and crop it, as DIM does.

    The background is upscaled with PIL bicubic by the larger of the two
    side ratios when it is smaller than the foreground in either side (never
    downscaled), then its top-left ``height x width`` window is kept. PIL,
    not OpenCV, because its bicubic kernel is the one the published
    Composition-1k test images were made with.

    Args:
        bg: Background, (H, W, 3) uint8 RGB.
        height: Foreground height.
        width: Foreground width.

    Returns:
        np.ndarray: (height, width, 3) uint8 RGB.
    """
    bg_h, bg_w = bg.shape[:2]
    ratio = max(width / bg_w, height / bg_h)
    image = Image.fromarray(bg)
    if ratio > 1:
        image = image.resize(
            (math.ceil(bg_w * ratio), math.ceil(bg_h * ratio)), Image.BICUBIC)
    return np.asarray(image)[:height, :width]


def composite(fg: np.ndarray, bg: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    """Alpha-blend a foreground over a background: ``a * fg + (1 - a) * bg``.

    The result is truncated (not rounded) to uint8 like DIM's and mmedit's
    composition code, so the merged images match the published test set.

    Args:
        fg: Foreground, (H, W, 3) uint8.
        bg: Background, (H, W, 3) uint8, same size.
        alpha: Matte, (H, W) uint8, 255 is opaque foreground.

    Returns:
        np.ndarray: (H, W, 3) uint8.
    """
    weight = alpha[..., None] / 255.
    return (fg * weight + bg * (1. - weight)).astype(np.uint8)


# ------------------------------------------------------------------- file io
def _read_image(path: str, mode: str) -> np.ndarray:
    """Decode an image with PIL (as DIM does) into a uint8 array of ``mode``.

    Raises:
        FileNotFoundError: The file does not exist.
        OSError: PIL cannot decode it (truncated, not an image ...).
    """
    with Image.open(path) as image:
        return np.asarray(image.convert(mode))


def _write_png(path: str, array: np.ndarray) -> None:
    """Write a PNG encoded by PIL (as DIM's composition code does),
    atomically."""
    buffer = io.BytesIO()
    Image.fromarray(array).save(
        buffer, format='PNG', compress_level=PNG_COMPRESS_LEVEL)
    write_atomically(buffer.getvalue(), path)


def _try_read(path: str, mode: str,
              problems: List[Problem]) -> Optional[np.ndarray]:
    """Read an image, or record why it cannot be read and return None."""
    try:
        return _read_image(path, mode)
    except FileNotFoundError:
        problems.append(Problem(path, 'missing'))
    except (OSError, ValueError) as error:
        problems.append(Problem(path, f'unreadable ({error})'))
    return None


def _run_job(job: _ForegroundJob) -> Tuple[int, int, int, List[Problem]]:
    """Write the missing composites of one foreground.

    Returns:
        tuple: Composites handled (all of the job), written, skipped, and
        the problems met.
    """
    todo = [
        c for c in job.composites
        if not (osp.exists(c.bg_out) and osp.exists(c.merged_out))
    ]
    handled, skipped = len(job.composites), len(job.composites) - len(todo)
    if not todo:
        return handled, 0, skipped, []
    problems = []
    fg = _try_read(job.fg_path, 'RGB', problems)
    alpha = _try_read(job.alpha_path, 'L', problems)
    if fg is not None and alpha is not None and fg.shape[:2] != alpha.shape:
        problems.append(
            Problem(
                job.alpha_path, f'alpha is {alpha.shape[1]}x{alpha.shape[0]} '
                f'(width x height) but its foreground {job.fg_path} is '
                f'{fg.shape[1]}x{fg.shape[0]}'))
    if problems:
        return handled, 0, skipped, problems
    written = 0
    for item in todo:
        bg_source = _try_read(item.bg_source, 'RGB', problems)
        if bg_source is None:
            continue
        bg = fit_background(bg_source, *alpha.shape)
        # bg before merged: the skip test needs both, so a run killed in
        # between redoes the pair.
        _write_png(item.bg_out, bg)
        _write_png(item.merged_out, composite(fg, bg, alpha))
        written += 1
    return handled, written, skipped, problems


def _link_sources(split: SplitLayout, src: str, dst: str) -> List[Problem]:
    """Link the download's foreground folders and name lists into the
    prepared split folder (relative links, so the tree can move as a whole)."""
    problems = []
    names = (split.fg_list, split.bg_list) + split.source_dirs
    for name in filter(lambda n: osp.exists(osp.join(src, n)), names):
        target, link = osp.join(src, name), osp.join(dst, name)
        if osp.lexists(link):
            if osp.realpath(link) != osp.realpath(target):
                problems.append(
                    Problem(
                        link, f'exists and is not a link to {target}; '
                        'remove it or prepare in place'))
            continue
        os.symlink(osp.relpath(target, dst), link)
    return problems


def _plan_split(
        split: SplitLayout, adobe_root: str, bg_dir: str,
        strip_coco_prefix: bool, out_root: str
) -> Tuple[List[_ForegroundJob], List[dict], List[Problem]]:
    """Read a split's name lists and plan its jobs and annotation entries.

    Returns:
        tuple: Jobs, annotation entries (relative to ``out_root``) and the
        problems found (missing lists, foregrounds, alphas, trimaps).
    """
    src = osp.join(adobe_root, split.folder)
    try:
        fg_names = read_names(osp.join(src, split.fg_list))
        bg_names = read_names(osp.join(src, split.bg_list))
    except OSError as error:
        return [], [], [Problem(error.filename, 'missing or unreadable')]
    if not fg_names or len(bg_names) % len(fg_names):
        return [], [], [
            Problem(
                osp.join(src, split.bg_list),
                f'lists {len(bg_names)} backgrounds, not a positive multiple '
                f'of the {len(fg_names)} foregrounds in {split.fg_list}')
        ]
    num_bg = len(bg_names) // len(fg_names)
    if strip_coco_prefix:
        bg_names = [
            n[len(COCO2014_PREFIX):] if n.startswith(COCO2014_PREFIX) else n
            for n in bg_names
        ]

    jobs, entries, problems = [], [], []
    for i, fg_name in enumerate(fg_names):
        sources = {}  # 'fg' / 'alpha' -> path relative to adobe_root
        for kind in ('fg', 'alpha'):
            path = first_existing(
                [osp.join(src, d, kind) for d in split.source_dirs], fg_name)
            if path is None:
                searched = '{' + ','.join(split.source_dirs) + '}'
                problems.append(
                    Problem(osp.join(src, searched, kind, fg_name), 'missing'))
                continue
            sources[kind] = osp.relpath(path, adobe_root)
        composites = []
        for j in range(num_bg):
            name = composite_name(fg_name, j)
            entry = dict(
                alpha_path=sources.get('alpha'),
                fg_path=sources.get('fg'),
                bg_path=osp.join(split.folder, 'bg', name),
                merged_path=osp.join(split.folder, 'merged', name))
            if split.has_trimaps:
                entry['trimap_path'] = osp.join(
                    split.folder, split.trimap_dir,
                    composite_name(fg_name, j, keep_ext=True))
                if not osp.exists(osp.join(adobe_root, entry['trimap_path'])):
                    problems.append(
                        Problem(
                            osp.join(adobe_root, entry['trimap_path']),
                            'missing'))
            entries.append(entry)
            composites.append(
                _Composite(
                    osp.join(bg_dir, bg_names[i * num_bg + j]),
                    osp.join(out_root, entry['bg_path']),
                    osp.join(out_root, entry['merged_path'])))
        if len(sources) == 2:
            jobs.append(
                _ForegroundJob(
                    osp.join(adobe_root, sources['fg']),
                    osp.join(adobe_root, sources['alpha']), tuple(composites)))
    return jobs, entries, problems


def _run_jobs(jobs: Sequence[_ForegroundJob], nproc: int, desc: str,
              progress: bool) -> Tuple[int, int, List[Problem]]:
    total = sum(len(job.composites) for job in jobs)
    written = skipped = 0
    problems = []
    with tqdm(total=total, desc=desc, unit='img', disable=not progress) as bar:
        pool = Pool(nproc) if nproc > 1 and len(jobs) > 1 else None
        try:
            results = (
                pool.imap_unordered(_run_job, jobs) if pool else map(
                    _run_job, jobs))
            for handled, job_written, job_skipped, job_problems in results:
                written += job_written
                skipped += job_skipped
                problems += job_problems
                bar.update(handled)
        finally:
            if pool:
                pool.close()
                pool.join()
    return written, skipped, problems


def prepare_comp1k(adobe_root: str,
                   coco_root: str,
                   voc_root: str,
                   out_root: str = 'data/adobe_composition-1k',
                   splits: Sequence[str] = ('training', 'test'),
                   nproc: int = 1,
                   progress: bool = True) -> PrepareReport:
    """Composite the Composition-1k splits and write their annotations.

    Each foreground of a split is composited onto its N backgrounds, N being
    the length ratio of the split's two name lists (100 for training and 20
    for test in the official download), background ``i * N + j`` for
    foreground ``i``. The foreground folders and name lists of the download
    are linked into ``out_root`` unless it is the download itself.

    Args:
        adobe_root: Adobe download (see :func:`~.layout.find_adobe_root`).
        coco_root: COCO root, needed for ``'training'``.
        voc_root: VOCdevkit root, needed for ``'test'``.
        out_root: Prepared root, created if needed.
        splits: Any of ``'training'``, ``'test'``.
        nproc: Worker processes.
        progress: Show a tqdm progress bar per split.

    Returns:
        PrepareReport: Counts, problems and the annotation files written.
        Annotations are written only for the splits without problems.

    Raises:
        ValueError: Unknown split or ``nproc < 1``.
        FileNotFoundError: ``adobe_root``, or the COCO / VOC image folder a
            requested split needs, does not exist.
    """
    unknown = [s for s in splits if s not in SPLITS]
    if unknown or not splits:
        raise ValueError(f'splits must be a non-empty subset of '
                         f'{sorted(SPLITS)}, but got {list(splits)}')
    if not isinstance(nproc, int) or nproc < 1:
        raise ValueError(f'nproc must be a positive int, but got {nproc!r}')
    adobe_root = find_adobe_root(adobe_root)
    bg_dirs: Dict[str, Tuple[str, bool]] = {}
    if 'training' in splits:
        bg_dirs['training'] = find_coco_images(coco_root)
    if 'test' in splits:
        bg_dirs['test'] = (find_voc_images(voc_root), False)
    in_place = osp.realpath(out_root) == osp.realpath(adobe_root)

    written = skipped = 0
    problems, ann_files = [], []
    for name in splits:
        split = SPLITS[name]
        for sub in ('bg', 'merged'):
            os.makedirs(osp.join(out_root, split.folder, sub), exist_ok=True)
        split_problems = [] if in_place else _link_sources(
            split, osp.join(adobe_root, split.folder),
            osp.join(out_root, split.folder))
        jobs, entries, plan_problems = _plan_split(split, adobe_root,
                                                   *bg_dirs[name], out_root)
        split_written, split_skipped, run_problems = _run_jobs(
            jobs, nproc, name, progress)
        written += split_written
        skipped += split_skipped
        split_problems += plan_problems + run_problems
        problems += split_problems
        if not split_problems:
            ann_files.append(osp.abspath(osp.join(out_root, split.ann_file)))
            write_atomically(
                json.dumps(entries, indent=4).encode(), ann_files[-1])
    return PrepareReport(written, skipped, sorted(set(problems)), ann_files)
