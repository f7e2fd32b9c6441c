"""The README's main job: data, a short training run, alpha mattes.

Four stages, each one console line with a progress bar; the full output of
each goes to ``<work-dir>/logs/<stage>.log``:

1. data: generate the synthetic Comp-1k (Adobe download layout) and prepare
   it into ``data/synthetic_comp1k`` (skipped when it is already there).
2. train: ``mim train mmedit configs/indexnet_demo.py``; an earlier run's
   checkpoint is resumed, and a finished one is not trained again.
3. test: ``mim test mmedit`` on the synthetic test set (SAD, MSE, GRAD, CONN
   by mmedit's evaluators); skipped when this checkpoint was evaluated.
4. predict: ``indexnet-predict`` writes the test images' alpha mattes, RGBA
   cut-outs and previews (image | trimap | alpha | composite); skipped when
   they are newer than the checkpoint.

It ends with the metrics, the time taken and where the outputs are. A stage
that fails stops the demo, which names it and prints the end of its log.

Usage: ``python tools/demo.py [--work-dir DIR] [--cfg-options k=v ...]``.
"""
import argparse
import glob
import json
import os
import os.path as osp
import re
import resource
import subprocess
import sys
import time
from typing import Callable, Dict, List, Optional, Sequence

from tqdm import tqdm

from indexnet_plugin.fileio import write_atomically

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
CONFIG = 'configs/indexnet_demo.py'
DATA_ROOT = 'data/synthetic_comp1k'  # the config's data_root
BIN = osp.dirname(sys.executable)
NUM_STAGES = 4
TAIL_LINES = 15

# mmedit's metric names in the log -> the names of the IndexNet paper.
METRIC_NAMES = {
    'SAD': 'SAD',
    'MattingMSE': 'MSE',
    'GradientError': 'GRAD',
    'ConnectivityError': 'CONN'
}
# mmengine's LoggerHook lines, e.g. "Iter(train) [ 40/300]  lr: ... loss: 0.2"
TRAIN_LINE = re.compile(r'Iter\(train\) \[\s*(\d+)/(\d+)\].*?\sloss: (\S+)')
TEST_LINE = re.compile(r'Iter\(test\) \[\s*(\d+)/(\d+)\](.*)')
NAME_VALUE = re.compile(r'(\w+): (\S+)')
# A Python exception ("ValueError: ...") or an error of our command-line tools.
ERROR_LINE = re.compile(r'(?:[\w.]*(?:Error|Exception)|error): ')


class DemoError(Exception):
    """The demo cannot go on; the message says what to do."""


class StageFailed(Exception):
    """A stage's command exited with an error; its log tells why."""

    def __init__(self, stage: str, returncode: int, log_path: str) -> None:
        super().__init__(f'{stage} exited with status {returncode}')
        self.stage = stage
        self.returncode = returncode
        self.log_path = log_path


# --------------------------------------------------------- reading the logs
def train_progress(line: str) -> Optional[tuple]:
    """(iteration, max_iters, loss) of a training log line, or None."""
    match = TRAIN_LINE.search(line)
    if match is None:
        return None
    return int(match.group(1)), int(match.group(2)), float(match.group(3))


def test_progress(line: str) -> Optional[int]:
    """The number of test images done, from a ``mim test`` log line."""
    match = TEST_LINE.search(line)
    return None if match is None else int(match.group(1))


def test_metrics(log: str) -> Dict[str, float]:
    """mmedit's four matting metrics from the summary line of ``mim test``.

    Args:
        log: The output of ``mim test`` (any number of lines).

    Returns:
        dict: ``{'SAD': ..., 'MSE': ..., 'GRAD': ..., 'CONN': ...}`` from the
        last ``Iter(test)`` line that carries all four.

    Raises:
        ValueError: No such line in the log.
    """
    for line in reversed(log.splitlines()):
        match = TEST_LINE.search(line)
        if match is None:
            continue
        values = dict(NAME_VALUE.findall(match.group(3)))
        if all(name in values for name in METRIC_NAMES):
            return {
                short: float(values[name])
                for name, short in METRIC_NAMES.items()
            }
    raise ValueError('the log has no Iter(test) line with '
                     f'{", ".join(METRIC_NAMES)}')


def metrics_table(metrics: Dict[str, float], num_images: int) -> str:
    """The metrics as a small two-column table."""
    rows = [
        f'  {"metric":<6}  value    (lower is better; mmedit\'s '
        f'evaluators on {num_images} test images)'
    ]
    rows += [f'  {name:<6}  {value:.4g}' for name, value in metrics.items()]
    return '\n'.join(rows)


def read_log(path: str) -> List[str]:
    """A log's lines, tqdm's carriage-return redraws collapsed to the last."""
    with open(path, errors='replace', newline='') as file:
        lines = file.read().rstrip('\n').split('\n')
    return [line.rstrip('\r').rsplit('\r', 1)[-1] for line in lines]


def failure_report(failure: StageFailed, lines: int = TAIL_LINES) -> str:
    """What the console shows of a failed stage: its log's last lines, then
    every exception or ``error:`` line of the log, the first being the
    cause (``mim`` adds its own traceback after the tool's)."""
    log = read_log(failure.log_path)
    errors = list(
        dict.fromkeys(line for line in log if ERROR_LINE.match(line)))
    report = [
        f'[demo] the {failure.stage} stage failed (exit status '
        f'{failure.returncode}); the end of {relative(failure.log_path)}:',
        *log[-lines:]
    ]
    if errors:
        report += ['[demo] errors in the log:', *errors]
    return '\n'.join(report)


def format_duration(seconds: float) -> str:
    minutes, seconds = divmod(round(seconds), 60)
    return f'{minutes} min {seconds:02d} s' if minutes else f'{seconds} s'


# ----------------------------------------------------------- running stages
def children_cpu_seconds() -> float:
    """User + system CPU time of the finished child processes so far."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def stage_title(number: int, name: str) -> str:
    return f'[{number}/{NUM_STAGES}] {name:<8}'


def print_skipped(number: int, name: str, reason: str) -> None:
    print(f'{stage_title(number, name)} skipped: {reason}', flush=True)


def run_stage(number: int,
              name: str,
              command: List[str],
              log_path: str,
              total: int,
              unit: str,
              progress: Callable[[List[str]], Optional[tuple]],
              poll_seconds: float = 0.5) -> None:
    """Run a command with its output in a log file and a progress bar.

    Args:
        number: Stage number (1-based), shown in the title.
        name: Stage name, shown in the title and used in errors.
        command: The command, run in the repository root.
        log_path: File receiving the command's stdout and stderr.
        total: Units of work of the bar.
        unit: Name of a unit of work.
        progress: Called at every poll with the log lines written since
            the last one (maybe none); returns ``(done, postfix)`` once
            there is news, else None.
        poll_seconds: Interval between two reads of the log.

    Raises:
        StageFailed: The command exited with a non-zero status.
    """
    os.makedirs(osp.dirname(log_path), exist_ok=True)
    bar = tqdm(
        total=total,
        unit=unit,
        file=sys.stdout,
        dynamic_ncols=True,
        bar_format='{desc} {percentage:3.0f}%|{bar:24}| {n_fmt}/{total_fmt} '
        '{unit} [{elapsed}<{remaining}]{postfix}',
        desc=stage_title(number, name))
    with open(log_path, 'w') as log, bar:
        # Unbuffered, so the log (and the bar that follows it) keeps the
        # order and pace in which the stage prints, errors included.
        process = subprocess.Popen(
            command,
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
            env=dict(os.environ, PYTHONUNBUFFERED='1'))
        with open(log_path, errors='replace') as reader:
            pending = ''
            while True:
                finished = process.poll() is not None
                pending += reader.read()
                *lines, pending = pending.split('\n')
                news = progress(lines)
                if news is not None:
                    done, postfix = news
                    bar.n = min(done, total)
                    if postfix:
                        bar.set_postfix_str(postfix, refresh=False)
                    bar.refresh()
                if finished:
                    break
                time.sleep(poll_seconds)
        if process.returncode != 0:
            raise StageFailed(name, process.returncode, log_path)


def last_of(parse: Callable[[str], Optional[tuple]]) -> Callable:
    """A ``progress`` callback of :func:`run_stage` from a one-line parser:
    the last parsable line wins."""

    def progress(lines: List[str]) -> Optional[tuple]:
        for line in reversed(lines):
            parsed = parse(line)
            if parsed is not None:
                return parsed
        return None

    return progress


# ---------------------------------------------------------------- the stages
def stage_data(work_dir: str) -> None:
    """Generate and prepare the synthetic Comp-1k unless it is there.

    Raises:
        DemoError: The prepared data has another number of training
            composites than this demo makes (an earlier version's).
    """
    # Twice the default training foregrounds: more shapes of hair and veil
    # to learn from cost seconds here and nothing per training iteration.
    train_fg, train_bg_per_fg, test_fg, test_bg_per_fg = 8, 2, 2, 2
    if osp.exists(osp.join(ROOT, DATA_ROOT, 'test_list.json')):
        with open(osp.join(ROOT, DATA_ROOT, 'training_list.json')) as file:
            found = len(json.load(file))
        if found != train_fg * train_bg_per_fg:
            raise DemoError(
                f'{DATA_ROOT} holds {found} training composites, this demo '
                f'makes {train_fg * train_bg_per_fg}: an earlier version '
                f'made it; delete it (rm -r {DATA_ROOT}) and run the demo '
                'again')
        print_skipped(1, 'data', f'{DATA_ROOT} is already prepared')
        return
    download = osp.join(ROOT, DATA_ROOT, 'downloads')
    total = (
        train_fg + test_fg + train_fg * train_bg_per_fg +
        test_fg * test_bg_per_fg)

    def progress(_lines: List[str]) -> tuple:
        drawn = glob.glob(osp.join(download, '*', '*', '*', 'fg', '*'))
        composited = glob.glob(osp.join(ROOT, DATA_ROOT, '*', 'merged', '*'))
        return len(drawn) + len(composited), ''

    run_stage(1, 'data', [
        sys.executable,
        osp.join(ROOT, 'tools', 'make_synthetic_comp1k.py'), download,
        '--train-fg',
        str(train_fg), '--train-bg-per-fg',
        str(train_bg_per_fg), '--test-fg',
        str(test_fg), '--test-bg-per-fg',
        str(test_bg_per_fg), '--prepare-into',
        osp.join(ROOT, DATA_ROOT)
    ], osp.join(work_dir, 'logs', 'data.log'), total, 'images', progress)


def configured_max_iters(cfg_options: Sequence[str]) -> int:
    """``train_cfg.max_iters`` of the demo config after ``--cfg-options``."""
    from mmengine.config import Config, DictAction
    cfg = Config.fromfile(osp.join(ROOT, CONFIG), import_custom_modules=False)
    if cfg_options:
        parser = argparse.ArgumentParser()
        parser.add_argument('--cfg-options', nargs='+', action=DictAction)
        cfg.merge_from_dict(
            parser.parse_args(['--cfg-options', *cfg_options]).cfg_options)
    return cfg.train_cfg.max_iters


def latest_checkpoint(work_dir: str) -> Optional[str]:
    """The checkpoint named by ``work_dir/last_checkpoint``, if any."""
    pointer = osp.join(work_dir, 'last_checkpoint')
    if not osp.exists(pointer):
        return None
    with open(pointer) as file:
        return file.read().strip()


def checkpoint_iteration(path: str) -> int:
    """The iteration of an ``iter_<N>.pth`` checkpoint."""
    match = re.search(r'iter_(\d+)\.pth$', path)
    if match is None:
        raise ValueError(f'expected a checkpoint named iter_<N>.pth, but got '
                         f'{path!r}')
    return int(match.group(1))


def stage_train(work_dir: str, cfg_options: Sequence[str]) -> str:
    """Train, resuming an earlier run; returns the final checkpoint."""
    max_iters = configured_max_iters(cfg_options)
    checkpoint = latest_checkpoint(work_dir)
    if checkpoint and checkpoint_iteration(checkpoint) >= max_iters:
        print_skipped(
            2, 'train',
            f'{relative(checkpoint)} has all {max_iters} iterations')
        return checkpoint
    command = [
        osp.join(BIN, 'mim'), 'train', 'mmedit', CONFIG, '--work-dir', work_dir
    ]
    if checkpoint:
        command.append('--resume')
    # One log line per iteration drives the bar; the user's options win.
    command += [
        '--cfg-options', 'default_hooks.logger.interval=1', *cfg_options
    ]

    def parse(line: str) -> Optional[tuple]:
        parsed = train_progress(line)
        return None if parsed is None else (parsed[0], f'loss {parsed[2]:.3f}')

    run_stage(2, 'train', command, osp.join(work_dir, 'logs', 'train.log'),
              max_iters, 'iters', last_of(parse))
    return latest_checkpoint(work_dir)


def read_test_list() -> list:
    with open(osp.join(ROOT, DATA_ROOT, 'test_list.json')) as file:
        return json.load(file)


def stage_test(work_dir: str, checkpoint: str) -> Dict[str, float]:
    """Evaluate the checkpoint unless done; returns the four metrics."""
    saved = osp.join(work_dir, 'test', 'metrics.json')
    if osp.exists(saved):
        with open(saved) as file:
            record = json.load(file)
        if record['checkpoint'] == checkpoint:
            print_skipped(3, 'test', f'{relative(checkpoint)} was evaluated')
            return record['metrics']
    log_path = osp.join(work_dir, 'logs', 'test.log')

    def parse(line: str) -> Optional[tuple]:
        done = test_progress(line)
        return None if done is None else (done, '')

    run_stage(3, 'test', [
        osp.join(BIN, 'mim'), 'test', 'mmedit', CONFIG, '--checkpoint',
        checkpoint, '--work-dir',
        osp.join(work_dir,
                 'test'), '--cfg-options', 'default_hooks.logger.interval=1'
    ], log_path, len(read_test_list()), 'images', last_of(parse))
    with open(log_path, errors='replace') as file:
        metrics = test_metrics(file.read())
    write_atomically(
        json.dumps(dict(checkpoint=checkpoint, metrics=metrics)).encode(),
        saved)
    return metrics


def link_test_inputs(folder: str) -> List[str]:
    """Put the test images and trimaps in two folders under one stem each;
    returns the stems."""
    stems = []
    for sample in read_test_list():
        stem = osp.splitext(osp.basename(sample['merged_path']))[0]
        for key in ('merged', 'trimap'):
            os.makedirs(osp.join(folder, key), exist_ok=True)
            link = osp.join(folder, key, stem + '.png')
            if not osp.lexists(link):
                os.symlink(
                    osp.join(ROOT, DATA_ROOT, sample[f'{key}_path']), link)
        stems.append(stem)
    return stems


def stage_predict(work_dir: str, checkpoint: str) -> str:
    """Predict the test images' mattes unless they are newer than the
    checkpoint; returns the output folder."""
    inputs = osp.join(work_dir, 'test_inputs')
    predictions = osp.join(work_dir, 'predictions')
    previews = [
        osp.join(predictions, f'{stem}_preview.png')
        for stem in link_test_inputs(inputs)
    ]

    def written_since(moment: float) -> int:
        return sum(
            osp.exists(path) and osp.getmtime(path) >= moment
            for path in previews)

    if written_since(osp.getmtime(checkpoint)) == len(previews):
        print_skipped(4, 'predict',
                      f'the mattes of {relative(checkpoint)} are there')
        return predictions
    started = time.time()
    run_stage(4, 'predict', [
        osp.join(BIN, 'indexnet-predict'),
        osp.join(inputs, 'merged'),
        osp.join(inputs, 'trimap'), '--config', CONFIG, '--checkpoint',
        checkpoint, '--out-dir', predictions, '--rgba', '--preview'
    ], osp.join(work_dir, 'logs', 'predict.log'), len(previews), 'images',
              lambda _lines: (written_since(started), ''))
    return predictions


# ------------------------------------------------------------------ the end
def relative(path: str) -> str:
    """A path as the user typed it from the repository root."""
    return osp.relpath(path, ROOT)


def summary(metrics: Dict[str, float], num_images: int, checkpoint: str,
            predictions: str, work_dir: str, seconds: float,
            cpu_seconds: float, loads: Sequence[float]) -> str:
    """The closing lines: metrics table, time, and where everything is."""
    out = relative(predictions)
    return '\n'.join([
        '',
        metrics_table(metrics, num_images),
        '',
        f'  time        {format_duration(seconds)} '
        f'(CPU {format_duration(cpu_seconds)}; '
        f'load average {loads[0]:.1f} at start, {loads[1]:.1f} at end)',
        f'  checkpoint  {relative(checkpoint)}',
        f'  mattes      {out}/<name>.png (cut-outs: <name>_rgba.png)',
        f'  previews    {out}/<name>_preview.png '
        '(image | trimap | alpha | composite)',
        f'  logs        {relative(work_dir)}/logs/<stage>.log',
    ])


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--work-dir', default='work_dirs/indexnet_demo')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        default=[],
        help='key=value overrides of configs/indexnet_demo.py for training')
    return parser.parse_args(argv)


def main(argv=None) -> int:
    """Run the four stages; returns the exit status (0, or 1 on failure)."""
    args = parse_args(argv)
    started, load_at_start = time.time(), os.getloadavg()[0]
    work_dir = osp.join(ROOT, args.work_dir)
    try:
        stage_data(work_dir)
        checkpoint = stage_train(work_dir, args.cfg_options)
        metrics = stage_test(work_dir, checkpoint)
        predictions = stage_predict(work_dir, checkpoint)
    except StageFailed as failure:
        print(failure_report(failure), file=sys.stderr)
        return 1
    except DemoError as error:
        print(f'[demo] {error}', file=sys.stderr)
        return 1
    print(
        summary(metrics, len(read_test_list()), checkpoint, predictions,
                work_dir,
                time.time() - started, children_cpu_seconds(),
                (load_at_start, os.getloadavg()[0])))
    return 0


if __name__ == '__main__':
    sys.exit(main())
