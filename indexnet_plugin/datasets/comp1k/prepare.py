"""Prepare Adobe Composition-1k from the official download, as the DIM
protocol does: composite every foreground onto its N listed backgrounds and
write the annotation files of mmedit's ``AdobeComp1kDataset``.

The layout is described in :mod:`.layout`. Outputs are written atomically
(:func:`~indexnet_plugin.fileio.write_atomically`), so an existing output is
always complete and a second run skips it. Missing or unreadable inputs never stop the run:
they are collected as :class:`Problem` s and the annotation file of a split
with problems is not written, so no training ever runs on a silently
incomplete split.
"""
import json
import os
import os.path as osp
from multiprocessing import Pool
from typing import Dict, List, NamedTuple, Optional, Sequence, Tuple

from tqdm import tqdm

from ...fileio import write_atomically
from .compositing import Composite, ForegroundJob, Problem, run_job
from .layout import (COCO2014_PREFIX, SPLITS, SplitLayout, composite_name,
                     find_adobe_root, find_coco_images, find_voc_images,
                     first_existing, read_names)


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


def _read_lists(split: SplitLayout, src: str, strip_coco_prefix: bool
                ) -> Tuple[List[str], List[str], List[Problem]]:
    """A split's foreground and background names, or the problem with its
    name lists."""
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
    if strip_coco_prefix:
        bg_names = [
            n[len(COCO2014_PREFIX):] if n.startswith(COCO2014_PREFIX) else n
            for n in bg_names
        ]
    return fg_names, bg_names, []


def _plan_foreground(
        split: SplitLayout, adobe_root: str, fg_name: str,
        bg_paths: Sequence[str], out_root: str
) -> Tuple[Optional[ForegroundJob], List[dict], List[Problem]]:
    """One foreground's job (None when its files are missing), annotation
    entries (one per background) and problems."""
    src = osp.join(adobe_root, split.folder)
    sources, problems = {}, []  # 'fg' / 'alpha' -> relative to adobe_root
    for kind in ('fg', 'alpha'):
        path = first_existing(
            [osp.join(src, d, kind) for d in split.source_dirs], fg_name)
        if path is None:
            searched = '{' + ','.join(split.source_dirs) + '}'
            problems.append(
                Problem(osp.join(src, searched, kind, fg_name), 'missing'))
            continue
        sources[kind] = osp.relpath(path, adobe_root)
    entries, composites = [], []
    for j, bg_path in enumerate(bg_paths):
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
            Composite(bg_path, osp.join(out_root, entry['bg_path']),
                       osp.join(out_root, entry['merged_path'])))
    job = None
    if len(sources) == 2:
        job = ForegroundJob(
            osp.join(adobe_root, sources['fg']),
            osp.join(adobe_root, sources['alpha']), tuple(composites))
    return job, entries, problems


def _plan_split(
        split: SplitLayout, adobe_root: str, bg_dir: str,
        strip_coco_prefix: bool, out_root: str
) -> Tuple[List[ForegroundJob], List[dict], List[Problem]]:
    """Read a split's name lists and plan its jobs and annotation entries.

    Returns:
        tuple: Jobs, annotation entries (relative to ``out_root``) and the
        problems found (missing lists, foregrounds, alphas, trimaps).
    """
    fg_names, bg_names, problems = _read_lists(
        split, osp.join(adobe_root, split.folder), strip_coco_prefix)
    num_bg = len(bg_names) // max(len(fg_names), 1)
    jobs, entries = [], []
    for i, fg_name in enumerate(fg_names):
        bg_paths = [
            osp.join(bg_dir, name)
            for name in bg_names[i * num_bg:(i + 1) * num_bg]
        ]
        job, fg_entries, fg_problems = _plan_foreground(
            split, adobe_root, fg_name, bg_paths, out_root)
        jobs += [job] if job is not None else []
        entries += fg_entries
        problems += fg_problems
    return jobs, entries, problems


def _run_jobs(jobs: Sequence[ForegroundJob], nproc: int, desc: str,
              progress: bool) -> Tuple[int, int, List[Problem]]:
    total = sum(len(job.composites) for job in jobs)
    written = skipped = 0
    problems = []
    with tqdm(total=total, desc=desc, unit='img', disable=not progress) as bar:
        pool = Pool(nproc) if nproc > 1 and len(jobs) > 1 else None
        try:
            results = (
                pool.imap_unordered(run_job, jobs) if pool else map(
                    run_job, jobs))
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


def _prepare_split(split: SplitLayout, adobe_root: str,
                   bg_dir: Tuple[str, bool], out_root: str, in_place: bool,
                   nproc: int, progress: bool
                   ) -> Tuple[int, int, List[Problem], Optional[str]]:
    """Link, composite and annotate one split: written and skipped
    composites, problems, and the annotation file (None when there were
    problems)."""
    for sub in ('bg', 'merged'):
        os.makedirs(osp.join(out_root, split.folder, sub), exist_ok=True)
    problems = [] if in_place else _link_sources(
        split, osp.join(adobe_root, split.folder),
        osp.join(out_root, split.folder))
    jobs, entries, plan_problems = _plan_split(split, adobe_root, *bg_dir,
                                               out_root)
    written, skipped, run_problems = _run_jobs(jobs, nproc, split.name,
                                               progress)
    problems += plan_problems + run_problems
    if problems:
        return written, skipped, problems, None
    ann_file = osp.abspath(osp.join(out_root, split.ann_file))
    write_atomically(json.dumps(entries, indent=4).encode(), ann_file)
    return written, skipped, problems, ann_file


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
        split_written, split_skipped, split_problems, ann_file = (
            _prepare_split(SPLITS[name], adobe_root, bg_dirs[name], out_root,
                           in_place, nproc, progress))
        written += split_written
        skipped += split_skipped
        problems += split_problems
        ann_files += [ann_file] if ann_file is not None else []
    return PrepareReport(written, skipped, sorted(set(problems)), ann_files)
