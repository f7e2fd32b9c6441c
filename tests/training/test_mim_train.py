"""Training and testing end to end through mim (`mim train mmedit` or
`mim train mmagic`, the host of this environment), as users run them."""
import glob
import json
import os
import os.path as osp
import re
import signal
import subprocess
import time

import pytest
import torch
from helpers.paths import BIN, REPO
from helpers.tools import run_tool
from host_reference import HOST

pytestmark = pytest.mark.slow

METRICS = re.compile(r'Iter\((?:val|test)\) \[\d+/\d+\]\s+SAD: (\S+)\s+MattingMSE: (\S+)'
                     r'\s+GradientError: (\S+)\s+ConnectivityError: (\S+)')


def train_iterations(log: str) -> list:
    return [int(i) for i in re.findall(r'Iter\(train\) \[\s*(\d+)/\d+\]', log)]


def losses_by_iteration(work_dir: str) -> dict:
    """Training loss per iteration over every run in work_dir; a resumed
    run's value replaces the one a killed run logged for the same step."""
    losses = {}
    for path in sorted(glob.glob(osp.join(work_dir, '*', 'vis_data', 'scalars.json'))):
        with open(path) as file:
            for line in file:
                record = json.loads(line)
                if 'loss' in record:
                    losses[record['step']] = record['loss']
    return losses


def test_train_killed_then_resumed_then_tested(tiny_config, tmp_path):
    work_dir = str(tmp_path / 'work')
    train = [
        'mim', 'train', HOST, tiny_config, '--work-dir', work_dir, '--cfg-options',
        'train_cfg.max_iters=12', 'train_cfg.val_interval=12',
        'default_hooks.checkpoint.interval=4'
    ]
    last_checkpoint = osp.join(work_dir, 'last_checkpoint')

    # Kill the first run (the whole process group, as Ctrl-C or a lost node
    # would) right after its first checkpoint.
    with open(tmp_path / 'killed_run.log', 'w') as log:
        process = subprocess.Popen([osp.join(BIN, 'mim'), *train[1:]],
                                   cwd=REPO, stdout=log, stderr=subprocess.STDOUT,
                                   start_new_session=True)
    deadline = time.time() + 600
    while not osp.exists(last_checkpoint) and process.poll() is None:
        assert time.time() < deadline, 'no checkpoint within 600 s'
        time.sleep(0.5)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    with open(last_checkpoint) as file:
        killed_at = int(re.search(r'iter_(\d+)\.pth', file.read()).group(1))
    assert killed_at < 12

    resumed = run_tool([*train, '--resume']).stdout
    assert f'resumed epoch: 0, iter: {killed_at}' in resumed
    assert train_iterations(resumed) == list(range(killed_at + 1, 13))
    final = torch.load(osp.join(work_dir, 'iter_12.pth'), map_location='cpu')
    assert final['meta']['iter'] == 12

    losses = losses_by_iteration(work_dir)
    assert sorted(losses) == list(range(1, 13))
    first, last = [losses[i] for i in (1, 2, 3)], [losses[i] for i in (10, 11, 12)]
    assert sum(last) < 0.8 * sum(first), losses

    # `mim test` loads the runner's own checkpoint (weights_only, message hub
    # included) and reports the host's four metrics: the same figures as the
    # validation that ended training on the same checkpoint and data.
    tested = run_tool([
        'mim', 'test', HOST, tiny_config, '--checkpoint',
        osp.join(work_dir, 'iter_12.pth'), '--work-dir', str(tmp_path / 'test')
    ]).stdout
    assert METRICS.findall(tested) == METRICS.findall(resumed)[-1:]
    assert all(float(value) > 0 for value in METRICS.findall(tested)[0])


def test_two_trainings_with_the_configs_randomness_are_identical(tiny_config, tmp_path):
    """The configs' seed makes two runs side by side give the same losses,
    weights and metrics: the initial weights, the sampler's order and the
    augmentation drawn in a dataloader worker process are all seeded. The
    second run has torch's deterministic algorithms on, which the configs
    leave off: on CPU every op has one and the figures do not change."""
    runs = {}
    for name, deterministic in (('first', False), ('second', True)):
        with open(tmp_path / f'{name}.log', 'w') as log:
            runs[name] = subprocess.Popen(
                [
                    osp.join(BIN, 'mim'), 'train', HOST, tiny_config, '--work-dir',
                    str(tmp_path / name), '--cfg-options', 'train_cfg.max_iters=3',
                    'train_cfg.val_interval=3', 'default_hooks.checkpoint.interval=3',
                    'train_dataloader.num_workers=1', f'randomness.deterministic={deterministic}'
                ],
                cwd=REPO, stdout=log, stderr=subprocess.STDOUT)
    logs = {}
    for name, process in runs.items():
        assert process.wait(timeout=900) == 0, (tmp_path / f'{name}.log').read_text()[-5000:]
        logs[name] = (tmp_path / f'{name}.log').read_text()

    first, second = (losses_by_iteration(str(tmp_path / name)) for name in runs)
    assert sorted(first) == [1, 2, 3]
    assert first == second
    assert len(METRICS.findall(logs['first'])) == 1
    assert METRICS.findall(logs['first']) == METRICS.findall(logs['second'])
    weights = [
        torch.load(tmp_path / name / 'iter_3.pth', map_location='cpu')['state_dict']
        for name in runs
    ]
    assert weights[0].keys() == weights[1].keys()
    differing = [key for key in weights[0] if not torch.equal(weights[0][key], weights[1][key])]
    assert differing == []


@pytest.mark.parametrize('config', ['indexnet_mobv2.py', 'indexnet_mobv2_dimaug.py'])
def test_seed_configs_train_unchanged_on_synthetic_data(config, tiny_comp1k, tmp_path):
    """The published configs, pointed at the synthetic data, for 2 iterations
    (offline: no ImageNet init; small batch and no worker processes)."""
    overrides = [
        f'{loader}.dataset.data_root={tiny_comp1k}'
        for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader')
    ] + [
        'model.backbone.encoder.init_cfg=None', 'train_dataloader.batch_size=2',
        'train_dataloader.num_workers=0', 'val_dataloader.num_workers=0',
        'test_dataloader.num_workers=0', 'train_cfg.max_iters=2',
        'train_cfg.val_interval=2', 'default_hooks.checkpoint.interval=2',
        'default_hooks.logger.interval=1'
    ]
    work_dir = str(tmp_path / 'work')
    log = run_tool([
        'mim', 'train', HOST,
        osp.join('configs', config), '--work-dir', work_dir, '--cfg-options',
        *overrides
    ]).stdout
    assert train_iterations(log) == [1, 2]
    assert len(METRICS.findall(log)) == 1
    assert osp.exists(osp.join(work_dir, 'iter_2.pth'))


def test_two_process_cpu_training_writes_one_checkpoint(tiny_config, tmp_path):
    work_dir = str(tmp_path / 'work')
    log = run_tool([
        'torchrun', '--standalone', '--nproc_per_node', '2', 'tools/train.py',
        tiny_config, '--launcher', 'pytorch', '--work-dir', work_dir,
        '--cfg-options', 'train_cfg.max_iters=2', 'train_cfg.val_interval=2',
        'default_hooks.checkpoint.interval=2'
    ])
    output = log.stdout + log.stderr
    assert 'Distributed training: True' in output
    assert 'GPU number: 2' in output  # mmengine's name for the world size
    assert sorted(f for f in os.listdir(work_dir) if f.endswith('.pth')) == ['iter_2.pth']
