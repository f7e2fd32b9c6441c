"""The README's main job: data, a short training run, alpha mattes.

1. Generate the synthetic Comp-1k (Adobe download layout) and prepare it into
   ``data/synthetic_comp1k`` (skipped when it is already there).
2. Train ``configs/indexnet_demo.py`` with ``mim train mmedit``; an earlier
   run's checkpoints are resumed, so a second call finishes at once.
3. Evaluate the checkpoint with ``mim test mmedit`` (SAD, MSE, GRAD, CONN by
   mmedit's evaluators) on the synthetic test set.
4. Predict the test images' alpha mattes with ``indexnet-predict``, with
   RGBA cut-outs and previews (image | trimap | alpha | composite).

Usage: ``python tools/demo.py [--work-dir DIR] [--cfg-options k=v ...]``.
"""
import argparse
import glob
import json
import os
import os.path as osp
import subprocess
import sys
import time

from indexnet_plugin.datasets.comp1k import build_demo_dataset

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
CONFIG = 'configs/indexnet_demo.py'
DATA_ROOT = 'data/synthetic_comp1k'  # the config's data_root
BIN = osp.dirname(sys.executable)


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--work-dir', default='work_dirs/indexnet_demo')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        default=[],
        help='key=value overrides of configs/indexnet_demo.py for training')
    return parser.parse_args(argv)


def run(command: list) -> None:
    """Run a command in the repository root; a failure stops the demo."""
    print('[demo] $', ' '.join(command), flush=True)
    subprocess.run(command, cwd=ROOT, check=True)


def link_test_inputs(folder: str) -> None:
    """Put the test images and trimaps in two folders under one stem each."""
    with open(osp.join(ROOT, DATA_ROOT, 'test_list.json')) as file:
        test_list = json.load(file)
    for key in ('merged', 'trimap'):
        os.makedirs(osp.join(ROOT, folder, key), exist_ok=True)
        for sample in test_list:
            target = osp.join(ROOT, DATA_ROOT, sample[f'{key}_path'])
            stem = osp.splitext(osp.basename(sample['merged_path']))[0]
            link = osp.join(ROOT, folder, key, stem + '.png')
            if not osp.lexists(link):
                os.symlink(target, link)


def main(argv=None) -> None:
    args = parse_args(argv)
    started = time.time()

    if not osp.exists(osp.join(ROOT, DATA_ROOT, 'test_list.json')):
        print(f'[demo] generating the synthetic Comp-1k into {DATA_ROOT}')
        build_demo_dataset(osp.join(ROOT, DATA_ROOT), seed=0)

    train = [
        osp.join(BIN, 'mim'), 'train', 'mmedit', CONFIG, '--work-dir',
        args.work_dir
    ]
    if args.cfg_options:
        train += ['--cfg-options', *args.cfg_options]
    if osp.exists(osp.join(ROOT, args.work_dir, 'last_checkpoint')):
        train.append('--resume')
    run(train)
    with open(osp.join(ROOT, args.work_dir, 'last_checkpoint')) as file:
        checkpoint = file.read().strip()

    run([
        osp.join(BIN, 'mim'), 'test', 'mmedit', CONFIG, '--checkpoint',
        checkpoint, '--work-dir',
        osp.join(args.work_dir, 'test')
    ])

    inputs = osp.join(args.work_dir, 'test_inputs')
    predictions = osp.join(args.work_dir, 'predictions')
    link_test_inputs(inputs)
    run([
        osp.join(BIN, 'indexnet-predict'),
        osp.join(inputs, 'merged'),
        osp.join(inputs, 'trimap'), '--config', CONFIG, '--checkpoint',
        checkpoint, '--out-dir', predictions, '--rgba', '--preview'
    ])

    previews = sorted(glob.glob(osp.join(ROOT, predictions, '*_preview.png')))
    print(f'[demo] finished in {time.time() - started:.0f} s')
    print(f'[demo] checkpoint:   {checkpoint}')
    print(f'[demo] metrics:      the SAD/MattingMSE/GradientError/'
          f'ConnectivityError line of `mim test` above')
    print(f'[demo] alpha mattes: {predictions}/<name>.png')
    print(f'[demo] a preview:    {previews[0] if previews else "none"}')


if __name__ == '__main__':
    main()
