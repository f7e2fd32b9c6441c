"""``indexnet-predict --ray``: the cluster started or joined, and the run on
its workers (:mod:`~indexnet_plugin.apis.distributed.ray_batch`) reported as
the single-process run is: each image's ``warning:`` and ``error:`` lines
as its worker returns them, one progress bar."""
import argparse
from typing import List, Optional

from tqdm import tqdm

from ..distributed.ray_batch import (GuideSpec, RayRunError, connect,
                                     import_ray, predict_on_ray)
from ..inference.chunks import BoxSource, PairPaths
from ..inference.outputs import OutputOptions
from ..inputs.person import DEFAULT_MODEL, DEFAULT_THRESHOLD
from ..loading.spec import PredictorSpec
from .options import LOCAL_RAY
from .reporting import report, report_outcomes

__all__ = ['import_ray', 'run_on_ray', 'start_ray', 'stop_ray']


def start_ray(args: argparse.Namespace) -> bool:
    """Start the local cluster of --ray, or join --ray ADDRESS's; whether
    :func:`stop_ray` is due.

    Raises:
        ConnectionError: No cluster at the address.
    """
    return connect(None if args.ray == LOCAL_RAY else args.ray,
                   args.ray_workers, args.ray_cpus_per_worker)


def stop_ray() -> None:
    """Stop the local cluster (or leave the joined one)."""
    import ray
    ray.shutdown()


def run_on_ray(args: argparse.Namespace, spec: PredictorSpec,
               outputs: OutputOptions, pairs: List[PairPaths], what: str,
               boxes: Optional[BoxSource] = None) -> int:
    """Predict every pair on the cluster; returns how many failed (when
    Ray stops the run: also every image it did not reach). ``boxes``: with
    --box, what gives each image its box."""
    guide = GuideSpec(what, args.unknown_width,
                      args.auto_mask_model or DEFAULT_MODEL,
                      args.auto_mask_threshold or DEFAULT_THRESHOLD, boxes)
    progress = tqdm(total=len(pairs), unit='image', disable=args.quiet)
    try:
        return report_outcomes(
            predict_on_ray(pairs, spec, outputs, guide, args.batch_size,
                           workers=args.ray_workers,
                           cpus_per_worker=args.ray_cpus_per_worker),
            progress)
    except RayRunError as error:
        report(str(error))
        return len(error.missing)
    finally:
        progress.close()
