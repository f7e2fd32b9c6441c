"""Train a config with mmengine's Runner; also on CPU-only machines with
several processes.

``mim train mmedit CONFIG`` is the usual entry point and works on CPU with one
process. With ``--launcher pytorch`` on a machine without a GPU it cannot:
mmengine 0.10.7's pytorch launcher calls ``torch.cuda.set_device`` and the
runner wraps the model with ``device_ids=[LOCAL_RANK]``, both of which fail on
CPU, and newer torch launchers pass ``--local-rank`` where some tools expect
``--local_rank``. This script starts the gloo process group itself (the
runner then skips its own initialisation) and wraps the model without device
ids::

    torchrun --nproc_per_node 2 tools/train.py configs/indexnet_demo.py \\
        --launcher pytorch --work-dir work_dirs/demo_dist

With a GPU it behaves like mmedit's ``tools/train.py``.
"""
import argparse
import os
import os.path as osp

import torch
import torch.distributed as dist
from mmengine.config import Config, DictAction
from mmengine.runner import Runner

# device_ids=None explicitly: the runner otherwise fills in [LOCAL_RANK], which
# DistributedDataParallel rejects for a module on the CPU.
CPU_DDP_WRAPPER = dict(
    type='MMDistributedDataParallel', broadcast_buffers=False, device_ids=None)


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Train a matting model')
    parser.add_argument('config', help='config file')
    parser.add_argument('--work-dir', help='where logs and checkpoints go')
    parser.add_argument(
        '--resume', action='store_true', help='resume from the last checkpoint of work_dir')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='key=value overrides of the config')
    parser.add_argument(
        '--launcher',
        choices=['none', 'pytorch', 'slurm', 'mpi'],
        default='none',
        help='job launcher')
    # torch.distributed.launch passes --local-rank (torch >= 2) or
    # --local_rank (older); torchrun sets LOCAL_RANK instead.
    parser.add_argument('--local-rank', '--local_rank', type=int, default=None)
    return parser.parse_args(argv)


def build_config(args: argparse.Namespace) -> Config:
    """Read the config and apply the command line to it."""
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    cfg.launcher = args.launcher
    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir') is None:
        cfg.work_dir = osp.join('./work_dirs', osp.splitext(osp.basename(args.config))[0])
    if args.resume:
        cfg.resume = True
    return cfg


def setup_cpu_distributed(cfg: Config) -> None:
    """Start a gloo process group and configure a CPU-friendly DDP wrapper."""
    dist.init_process_group(backend='gloo')
    cfg.env_cfg.setdefault('dist_cfg', {})['backend'] = 'gloo'
    if cfg.get('model_wrapper_cfg') is None:
        cfg.model_wrapper_cfg = CPU_DDP_WRAPPER


def main(argv=None) -> None:
    args = parse_args(argv)
    if args.local_rank is not None and 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    cfg = build_config(args)
    if args.launcher == 'pytorch' and not torch.cuda.is_available():
        setup_cpu_distributed(cfg)
    Runner.from_cfg(cfg).train()


if __name__ == '__main__':
    main()
