"""Batch prediction on Ray Data: many images on many processes or machines,
each image predicted and written by the single-process code.

The driver lists the (image, guide) paths and cuts them into the chunks
``indexnet-predict`` makes on one process (``batch_size`` images each, in
the same order, so every network call sees the same images and the alphas
are byte-identical); only these paths travel. ``map_batches`` runs
:class:`PairWorker`, a callable class, on a pool of actors: each builds its
predictor once (the fast path, its own memory budget and threads), then
reads, predicts and writes its chunks with
:func:`~indexnet_plugin.apis.inference.chunks.run_chunk` and returns one row
per image (its status and ``warning:``/``error:`` lines) to the driver,
which reports them as they arrive.

Faults: a bad image is its row's ``error:`` line, the rest go on. A worker
that dies (killed, out of memory) is restarted by Ray and its chunk retried
(:data:`TASK_RETRIES` times); outputs are written atomically and skipped
when they exist (:mod:`~indexnet_plugin.apis.inference.outputs`), so a
retry writes only what the dead attempt had not: every output once. Past
the retries the run stops with :class:`RayRunError`, naming the images it
did not reach; a rerun predicts only those.

The paths (images, guides, outputs, checkpoint) must mean the same files
on every node: one machine, or a shared file system.
"""
import logging
import os
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, Iterator, List, Optional, Sequence

import numpy as np
import torch

from ..inference import memory
from ..inference.chunks import (BoxSource, PairOutcome, PairPaths,
                                pair_reader, run_chunk)
from ..inference.outputs import OutputOptions
from ..inference.predictor import DEFAULT_BATCH_SIZE
from ..inputs.person import DEFAULT_MODEL, DEFAULT_THRESHOLD, PersonSegmenter
from ..loading.spec import PredictorSpec

INSTALL_COMMAND = "pip install 'indexnet_plugin[ray]'"
# A local cluster binds 127.0.0.1 only: on Linux Ray resolves 127.0.0.1 to
# the machine's network address unless the first is 0 (its single-machine
# behaviour on macOS and Windows; read when ray is imported). It sends no
# usage statistics, and keeps Ray's token authentication (its default for
# local clusters, set explicitly to spare its warning line).
LOCAL_ENVIRONMENT = {
    'RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER': '0',
    'RAY_USAGE_STATS_ENABLED': '0',
    'RAY_AUTH_MODE': 'token',
}
# The driver's Ray core logs only fatal errors to the terminal (its notes,
# e.g. on actor restarts, go to Ray's log files): the command's own lines
# say what happened to each image.
DRIVER_ENVIRONMENT = {'RAY_BACKEND_LOG_LEVEL': 'fatal'}
LOOPBACK = '127.0.0.1'
# The local cluster's shared memory: only paths and outcome lines travel
# (a chunk of 4 paths is under 1 kB), Ray's minimum is 75 MB.
OBJECT_STORE_BYTES = 128 * 2**20
# Retries of a chunk whose worker died: a chunk that kills its worker this
# many more times (an image the machine cannot hold) stops the run rather
# than looping.
TASK_RETRIES = 3
# Ray Data does not run through Ray Client: its streaming executor has been
# incompatible with Ray Client since Ray 2.7 (ray-project/ray#41634, which
# skips Ray's own Client + Data test; the docs' "When to use Ray Client").
CLIENT_PREFIX = 'ray://'


class RayNotInstalledError(ImportError):
    """``ray`` (the ``[ray]`` extra) is not installed."""


class RayRunError(RuntimeError):
    """The run stopped before every image was done (a chunk's worker died
    more than :data:`TASK_RETRIES` times, or the cluster went away).

    Args:
        cause: Ray's message, first line.
        missing: The images without an outcome, as given.
    """

    def __init__(self, cause: str, missing: List[str]):
        self.cause = cause
        self.missing = missing
        super().__init__(f'the Ray run stopped ({cause}); {len(missing)} '
                         'images not predicted (run again to predict them)')


@dataclass(frozen=True)
class GuideSpec:
    """How each worker reads guides: ``what`` is ``'trimap'``, ``'mask'``,
    ``'auto'`` (the person segmenter, built in each worker) or ``'box'``
    (``boxes`` gives each image its box; it travels to the workers as Ray
    sends functions, by cloudpickle, so a boxes file is read once, by the
    driver)."""
    what: str = 'trimap'
    unknown_width: Optional[int] = None
    auto_mask_model: str = DEFAULT_MODEL
    auto_mask_threshold: float = DEFAULT_THRESHOLD
    boxes: Optional[BoxSource] = None


def import_ray(local: bool):
    """Import ``ray``, first setting :data:`DRIVER_ENVIRONMENT` and for a
    local cluster :data:`LOCAL_ENVIRONMENT` (what is not set already).

    Raises:
        RayNotInstalledError: No ``ray``, naming the extra.
    """
    for name, value in {**DRIVER_ENVIRONMENT,
                        **(LOCAL_ENVIRONMENT if local else {})}.items():
        os.environ.setdefault(name, value)
    try:
        import ray
        import ray.data  # noqa: F401  (ray without its [data] part)
    except ImportError as error:
        raise RayNotInstalledError(
            f'--ray needs Ray: {INSTALL_COMMAND}') from error
    return ray


def connect(address: Optional[str] = None, workers: Optional[int] = None,
            cpus_per_worker: int = 1) -> bool:
    """Join a Ray cluster, or start a local one on 127.0.0.1.

    Args:
        address: None: a Ray already initialised in this process, else a
            new local cluster of ``workers * cpus_per_worker`` CPUs (default:
            every core); ``'auto'`` or ``'HOST:PORT'``: an existing cluster.
        workers: Workers of a new local cluster.
        cpus_per_worker: CPUs (and threads) of each worker.

    Returns:
        bool: Whether this call started or joined (and the caller shuts
        down) the connection.

    Raises:
        RayNotInstalledError: No ``ray``.
        ValueError: A ``ray://`` address.
        ConnectionError: Ray cannot join the cluster.
    """
    if address is not None and address.startswith(CLIENT_PREFIX):
        raise ValueError(
            f'Ray address {address!r}: Ray Data does not run through Ray '
            "Client (ray://); run on a node of the cluster with 'auto'")
    ray = import_ray(local=address is None)
    if ray.is_initialized():
        return False
    quiet = dict(logging_level=logging.WARNING, log_to_driver=False)
    if address is not None:
        ray.init(address=address, **quiet)
        return True
    cpus = (workers or max(1, (os.cpu_count() or 1) // cpus_per_worker)
            ) * cpus_per_worker
    # address='local': a new cluster, never one found on this machine.
    ray.init(address='local', num_cpus=cpus,
             object_store_memory=OBJECT_STORE_BYTES, include_dashboard=False,
             _node_ip_address=LOOPBACK, **quiet)
    addresses = {node['NodeManagerAddress'] for node in ray.nodes()}
    if addresses != {LOOPBACK}:
        ray.shutdown()
        raise ConnectionError(
            f'the local Ray cluster bound {sorted(addresses)}, not only '
            f'{LOOPBACK}: ray was imported before indexnet_plugin set '
            'RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER=0; set it before importing '
            'ray')
    return True


class PairWorker:
    """One Ray actor's work: its predictor, built once, runs chunks.

    Args:
        spec: What the predictor is built from.
        guide: How guides are read.
        outputs: What is written, and the rerun rule.
        workers: Workers in the pool (for the memory budget).
        cpus_per_worker: CPUs reserved for each worker: its threads.
    """

    def __init__(self, spec: PredictorSpec, guide: GuideSpec,
                 outputs: OutputOptions, workers: int, cpus_per_worker: int):
        torch.set_num_threads(cpus_per_worker)
        overrides = {}
        if (spec.options.get('max_memory') is None
                and spec.options.get('max_pixels') is None):
            overrides['max_memory'] = memory.default_budget() / (
                _workers_on_this_node(workers, cpus_per_worker) * memory.GB)
        self.predictor = spec.build(**overrides)
        segmenter = None
        if guide.what == 'auto':
            segmenter = PersonSegmenter(guide.auto_mask_model,
                                        guide.auto_mask_threshold)
        self.read = pair_reader(self.predictor, guide.what,
                                guide.unknown_width, segmenter, guide.boxes)
        self.outputs = outputs

    def __call__(self, batch: Dict[str, np.ndarray]) -> Dict[str, list]:
        """Predict and write the chunks of ``batch`` (columns ``images``
        and ``guides``: one list of paths per chunk); one row per image."""
        rows = dict(image=[], status=[], lines=[])
        for images, guides in zip(batch['images'], batch['guides']):
            chunk = [(Path(image), None if guide is None else Path(guide))
                     for image, guide in zip(images, guides)]
            for outcome in run_chunk(self.predictor, self.read, chunk,
                                     self.outputs):
                rows['image'].append(outcome.image)
                rows['status'].append(outcome.status)
                rows['lines'].append(list(outcome.lines))
        return rows


def _workers_on_this_node(workers: int, cpus_per_worker: int) -> int:
    """How many workers of the pool this node can hold: its memory is
    shared by them."""
    import ray
    node_id = ray.get_runtime_context().get_node_id()
    cpus = next((node['Resources'].get('CPU', 1) for node in ray.nodes()
                 if node['NodeID'] == node_id), 1)
    return max(1, min(workers, int(cpus // cpus_per_worker)))


def predict_on_ray(pairs: Sequence[PairPaths],
                   spec: PredictorSpec,
                   outputs: OutputOptions,
                   guide: GuideSpec = GuideSpec(),
                   batch_size: Optional[int] = None,
                   address: Optional[str] = None,
                   workers: Optional[int] = None,
                   cpus_per_worker: int = 1) -> Iterator[PairOutcome]:
    """Predict and write every pair on Ray, yielding outcomes as they
    arrive (in no fixed order).

    Args:
        pairs: (image, trimap, mask or scribbles, or None with
            ``guide.what == 'auto'`` or a box without scribbles) paths, e.g.
            from
            :func:`~indexnet_plugin.apis.inputs.folders.find_pairs`.
        spec: What each worker's predictor is built from. Without a
            ``max_memory`` or ``max_pixels`` option, each worker's budget is
            the default one divided by the workers on its node.
        outputs: What is written where; outputs that exist are skipped.
        guide: How guides are read.
        batch_size: Images per chunk, one network call per input size, as
            on one process (default: the ``batch_size`` option of ``spec``,
            else the predictor's default).
        address: See :func:`connect`.
        workers: Workers (actors); default: the cluster's CPUs divided by
            ``cpus_per_worker``.
        cpus_per_worker: CPUs reserved for each worker, and its threads.

    Yields:
        PairOutcome: One per pair.

    Raises:
        RayNotInstalledError: No ``ray``.
        RayRunError: The run stopped; its images without an outcome.
    """
    if not pairs:
        return
    started = connect(address, workers, cpus_per_worker)
    import ray
    batch_size = batch_size or spec.options.get('batch_size',
                                                DEFAULT_BATCH_SIZE)
    try:
        workers = workers or max(
            1, int(ray.cluster_resources().get('CPU', 1) // cpus_per_worker))
        # No more workers than chunks: each would load a model for nothing.
        workers = min(workers, -(-len(pairs) // batch_size))
        dataset = build_dataset(
            pairs, batch_size, workers, cpus_per_worker,
            dict(spec=spec, guide=guide, outputs=outputs, workers=workers,
                 cpus_per_worker=cpus_per_worker))
        yield from _outcomes(ray, dataset, pairs)
    finally:
        if started:
            ray.shutdown()


def build_dataset(pairs: Sequence[PairPaths], batch_size: int,
                  workers: int, cpus_per_worker: int, worker_kwargs: dict,
                  worker: type = PairWorker):
    """The lazy dataset: one row (and block) per chunk of paths, mapped by
    a pool of ``worker`` actors (:class:`PairWorker`, or what
    ``bench/bench_ray.py`` times Ray with) built with ``worker_kwargs``.
    Ray must be initialised."""
    import ray
    context = ray.data.DataContext.get_current()
    context.enable_progress_bars = False
    context.print_on_execution_start = False
    # Its notes (e.g. that progress bars are off) are not the user's.
    logging.getLogger('ray.data').setLevel(logging.ERROR)
    rows = [
        dict(images=[str(image) for image, _ in chunk],
             guides=[None if guide is None else str(guide)
                     for _, guide in chunk])
        for chunk in (pairs[start:start + batch_size]
                      for start in range(0, len(pairs), batch_size))
    ]
    dataset = ray.data.from_items(rows, override_num_blocks=max(1, len(rows)))
    with warnings.catch_warnings():
        # Ray 2.60 takes max_task_retries only among the remote arguments
        # it deprecates; requirements/ray.txt pins 2.60.
        warnings.simplefilter('ignore', DeprecationWarning)
        return dataset.map_batches(
            worker, batch_size=1, batch_format='numpy',
            fn_constructor_kwargs=worker_kwargs,
            compute=ray.data.ActorPoolStrategy(
                size=workers, max_tasks_in_flight_per_actor=1),
            num_cpus=cpus_per_worker, max_task_retries=TASK_RETRIES)


def _outcomes(ray, dataset, pairs: Sequence[PairPaths]
              ) -> Iterator[PairOutcome]:
    """The dataset's rows as outcomes; a stopped run as
    :class:`RayRunError`."""
    waiting = {str(image) for image, _ in pairs}
    try:
        for row in dataset.iter_rows():
            waiting.discard(row['image'])
            yield PairOutcome(row['image'], row['status'], list(row['lines']))
    except ray.exceptions.RayError as error:
        cause = str(error).strip().splitlines()[0] if str(error) else type(
            error).__name__
        raise RayRunError(cause, sorted(waiting)) from error
