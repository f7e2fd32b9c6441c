"""indexnet-predict --ray on a local Ray cluster of two workers (one per
test session): the alphas and cut-outs of the single-process command, byte
for byte, with trimaps and with masks; a bad image's error line with the
rest written (exit status 1); boxes (a boxes file, scribbles) read by
the workers as on one process; reruns skip what is written; a worker killed by its process
id mid-run costs nothing, every output written once; without Ray, one
error line naming the extra.

Needs the [ray] extra (the bootstrap installs it): without it the session
fixture fails, loudly. The plain network (--no-fast) keeps each worker's
start short.
"""
import filecmp
import os
import signal
import sys
import threading
import time
from pathlib import Path

import cv2
import numpy as np
import psutil
import pytest
from helpers.cli import run_cli
from helpers.images import BOX, DECOY, make_pair, object_scene

from indexnet_plugin.apis.distributed import ray_batch

WORKERS = 2
# Sizes with three network input sizes, so chunks mix them.
SIZES = dict(a=(70, 90), b=(100, 130), c=(66, 70), d=(80, 75), e=(72, 95))
WORKER_TITLE = 'ray::MapWorker'  # Ray names an actor's process after it


@pytest.fixture(scope='session')
def ray_cluster():
    """One local cluster of two CPUs for every test here."""
    started = ray_batch.connect(None, WORKERS)
    yield
    if started:
        import ray
        ray.shutdown()


def make_folders(root: Path, sizes: dict) -> Path:
    """images/, trimaps/ and masks/ (a disc) of the given stems and sizes."""
    for folder in ('images', 'trimaps', 'masks'):
        (root / folder).mkdir(parents=True)
    for index, (stem, (height, width)) in enumerate(sizes.items()):
        image, trimap = make_pair(height, width, seed=index)
        mask = (trimap > 0).astype('uint8') * 255
        cv2.imwrite(str(root / 'images' / f'{stem}.png'), image)
        cv2.imwrite(str(root / 'trimaps' / f'{stem}.png'), trimap)
        cv2.imwrite(str(root / 'masks' / f'{stem}.png'), mask)
    return root


def run_ray(args, checkpoint, out, *extra) -> int:
    return run_cli(args, checkpoint, out, '--ray', '--ray-workers',
                   str(WORKERS), *extra)


def files(folder: Path) -> list:
    """Every file of the folder, hidden temporaries included."""
    return sorted(os.listdir(folder))


def assert_identical(out: Path, reference: Path):
    assert files(out) == files(reference)
    different = [
        name for name in files(reference)
        if not filecmp.cmp(out / name, reference / name, shallow=False)
    ]
    assert different == []


def test_same_files_as_one_process(ray_cluster, tmp_path, checkpoint):
    root = make_folders(tmp_path, SIZES)
    args = [root / 'images', root / 'trimaps']
    extra = ['--rgba', '--save-trimap', '--batch-size', '2']
    assert run_cli(args, checkpoint, root / 'one', *extra) == 0
    assert run_ray(args, checkpoint, root / 'ray', *extra) == 0
    assert len(files(root / 'ray')) == 3 * len(SIZES)
    assert_identical(root / 'ray', root / 'one')


def test_masks_and_a_bad_image_as_on_one_process(ray_cluster, tmp_path,
                                                 checkpoint, capsys):
    """Masks made trimaps by each worker; a truncated image is one error
    line, the others are written, exit status 1, as on one process."""
    root = make_folders(tmp_path, SIZES)
    bad = root / 'images' / 'c.png'
    bad.write_bytes(bad.read_bytes()[:200])
    args = [root / 'images', '--mask', root / 'masks']
    assert run_cli(args, checkpoint, root / 'one', '--save-trimap') == 1
    capsys.readouterr()
    assert run_ray(args, checkpoint, root / 'ray', '--save-trimap') == 1
    errors = [
        line for line in capsys.readouterr().err.splitlines()
        if line.startswith('error:')
    ]
    assert errors == [
        f"error: image '{bad}': file is truncated (no end-of-image marker)"
    ]
    assert files(root / 'ray') == sorted(
        f'{s}{suffix}.png' for s in SIZES if s != 'c'
        for suffix in ('', '_trimap'))
    assert_identical(root / 'ray', root / 'one')


def test_boxes_and_scribbles_as_on_one_process(ray_cluster, tmp_path,
                                               checkpoint, capsys):
    """--box with a boxes file and --scribbles on Ray: the trimaps and
    alphas of one process, and an image without a box is its error line."""
    images, strokes = tmp_path / 'images', tmp_path / 'strokes'
    images.mkdir()
    strokes.mkdir()
    for stem, decoy in (('a', False), ('b', True), ('c', False)):
        cv2.imwrite(str(images / f'{stem}.png'), object_scene(decoy)[0])
    scribbles = np.full(object_scene()[0].shape[:2], 128, np.uint8)
    cv2.circle(scribbles, DECOY, 5, 0, -1)  # the decoy is background
    cv2.imwrite(str(strokes / 'b.png'), scribbles)
    boxes = tmp_path / 'boxes.csv'
    boxes.write_text(''.join(f"{stem},{','.join(map(str, BOX))}\n"
                             for stem in 'ab'))
    args = [images, '--box', boxes, '--scribbles', strokes]
    assert run_cli(args, checkpoint, tmp_path / 'one', '--save-trimap') == 1
    capsys.readouterr()
    assert run_ray(args, checkpoint, tmp_path / 'ray', '--save-trimap') == 1
    assert capsys.readouterr().err.splitlines() == [
        f"error: image '{images / 'c.png'}': no box for stem 'c' in boxes "
        f"file '{boxes}'"
    ]
    assert files(tmp_path / 'ray') == [
        'a.png', 'a_trimap.png', 'b.png', 'b_trimap.png']
    assert_identical(tmp_path / 'ray', tmp_path / 'one')


def test_rerun_writes_only_what_is_missing(ray_cluster, tmp_path,
                                           checkpoint):
    """The rule of one process: a run on one process, b's alpha removed,
    then a run on Ray writes b's alpha alone."""
    root = make_folders(tmp_path, SIZES)
    args = [root / 'images', root / 'trimaps']
    out = root / 'out'
    assert run_cli(args, checkpoint, out) == 0
    inodes = {name: os.stat(out / name).st_ino for name in files(out)}
    (out / 'b.png').unlink()
    assert run_ray(args, checkpoint, out) == 0
    assert files(out) == sorted(inodes)
    rewritten = [
        name for name in files(out)
        if os.stat(out / name).st_ino != inodes[name]
    ]
    assert rewritten == ['b.png']  # atomic writes: a new file, a new inode


class Watcher(threading.Thread):
    """Records each output's inode as it appears (every 20 ms): a file
    written twice would change it (atomic writes rename a new file)."""

    def __init__(self, out: Path):
        super().__init__(daemon=True)
        self.out, self.inodes, self.replaced = out, {}, []
        self.stop = threading.Event()

    def run(self):
        while not self.stop.wait(0.02):
            for entry in os.scandir(self.out) if self.out.exists() else []:
                if entry.name.startswith('.'):
                    continue
                first = self.inodes.setdefault(entry.name, entry.inode())
                if entry.inode() != first:
                    self.replaced.append(entry.name)


def worker_pids() -> list:
    """This test process's Ray workers running the prediction actors."""
    return [
        child.pid for child in psutil.Process().children(recursive=True)
        if WORKER_TITLE in ' '.join(child.cmdline()[:1])
    ]


def test_killed_worker_costs_nothing(ray_cluster, tmp_path, checkpoint):
    sizes = {f'{i:02d}': (100, 130) for i in range(16)}
    root = make_folders(tmp_path, sizes)
    out = root / 'out'
    watcher = Watcher(out)
    watcher.start()
    status = []
    run = threading.Thread(target=lambda: status.append(run_ray(
        [root / 'images', root / 'trimaps'], checkpoint, out,
        '--batch-size', '1')))
    run.start()
    deadline = time.monotonic() + 120
    while len(watcher.inodes) < 2 and time.monotonic() < deadline:
        time.sleep(0.02)
    pids = worker_pids()
    assert len(pids) == WORKERS, pids
    written_before_kill = len(watcher.inodes)
    os.kill(pids[0], signal.SIGKILL)
    run.join(timeout=180)
    watcher.stop.set()
    watcher.join()
    assert status == [0]
    assert written_before_kill < len(sizes)  # killed mid-run
    assert [name for name in files(out) if not name.startswith('.')] == [
        f'{stem}.png' for stem in sizes
    ]
    assert watcher.replaced == []
    assert_identical_to_one_process(root, checkpoint, out, sizes)


def assert_identical_to_one_process(root, checkpoint, out, sizes):
    """The retried images' alphas are the single-process ones."""
    assert run_cli([root / 'images', root / 'trimaps'], checkpoint,
                   root / 'one', '--batch-size', '1') == 0
    for stem in sizes:
        assert filecmp.cmp(out / f'{stem}.png', root / 'one' / f'{stem}.png',
                           shallow=False), stem


def test_without_ray_one_error_line_names_the_extra(tmp_path, checkpoint,
                                                     capsys, monkeypatch):
    root = make_folders(tmp_path, dict(a=(70, 90)))
    monkeypatch.setitem(sys.modules, 'ray', None)  # import ray fails
    assert run_ray([root / 'images', root / 'trimaps'], checkpoint,
                   root / 'out') == 2
    assert capsys.readouterr().err.splitlines() == [
        "error: --ray needs Ray: pip install 'indexnet_plugin[ray]'"
    ]
    assert not (root / 'out').exists()


def test_overwrite_writes_everything_again(tmp_path, checkpoint):
    """One process, no Ray: --overwrite replaces every output."""
    root = make_folders(tmp_path, dict(a=(70, 90), b=(66, 70)))
    args = [root / 'images', root / 'trimaps']
    out = root / 'out'
    assert run_cli(args, checkpoint, out, '--rgba') == 0
    inodes = {name: os.stat(out / name).st_ino for name in files(out)}
    assert run_cli(args, checkpoint, out, '--rgba', '--overwrite') == 0
    assert files(out) == sorted(inodes)
    assert all(os.stat(out / name).st_ino != inodes[name] for name in inodes)
