"""The matting page's overhead: request -> alpha through ``/predict``
against the predictor's own time on the same pair, and the app's resident
memory at idle.

Starts ``python -m indexnet_plugin.app`` on a free loopback port with random
weights of the default model (the time does not depend on the weights),
then alternates, ``--repeats`` times each, side by side:

* predictor: ``init_predictor(...).predict(image, trimap)`` in this process
  (files in, uint8 alpha out; the same fast predictor the app serves);
* app: ``gradio_client.Client(url).predict(image, trimap,
  api_name='/predict')`` until the alpha PNG is on disk here (upload, queue,
  reading, prediction, foreground estimation for the RGBA output, three PNG
  files, download).

Prints the medians, their difference (the target is at most 0.5 s) and the
app's resident set (VmRSS) after start and after the requests, idle.

    python bench/bench_app.py [--size 1024] [--repeats 5]
"""
import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import cv2
import numpy as np
import torch
from gradio_client import Client, handle_file

from indexnet_plugin.apis import init_model, init_predictor
from indexnet_plugin.datasets.comp1k.synthetic import (synthetic_composite,
                                                       trimap_from_alpha)


def resident_mb(pid: int) -> float:
    """VmRSS of a process in MB."""
    for line in Path(f'/proc/{pid}/status').read_text().splitlines():
        if line.startswith('VmRSS:'):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f'no VmRSS for process {pid}')


def start_app(checkpoint: Path, folder: Path):
    with socket.socket() as probe:
        probe.bind(('127.0.0.1', 0))
        port = probe.getsockname()[1]
    log = open(folder / 'app.log', 'wb')
    server = subprocess.Popen(
        [sys.executable, '-m', 'indexnet_plugin.app', '--checkpoint',
         str(checkpoint), '--port', str(port)],
        stdout=log, stderr=subprocess.STDOUT)
    url = f'http://127.0.0.1:{port}/'
    while True:
        if server.poll() is not None:
            sys.exit(f'the app exited: {(folder / "app.log").read_text()}')
        try:
            urllib.request.urlopen(url, timeout=5).close()
            return server, url
        except OSError:
            time.sleep(1)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--size', type=int, default=1024)
    parser.add_argument('--repeats', type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        os.environ.setdefault('INDEXNET_PLUGIN_CACHE_DIR',
                              str(folder / 'onnx'))
        checkpoint = folder / 'random.pth'
        torch.save({'state_dict': init_model(None).state_dict()}, checkpoint)
        sample = synthetic_composite(np.random.default_rng(0), args.size,
                                     args.size)
        image, trimap = folder / 'image.png', folder / 'trimap.png'
        cv2.imwrite(str(image), sample.image)
        cv2.imwrite(str(trimap), trimap_from_alpha(sample.alpha, 10))

        server, url = start_app(checkpoint, folder)
        try:
            started_mb = resident_mb(server.pid)
            predictor = init_predictor(None, checkpoint)
            client = Client(url, verbose=False)
            own, app = [], []
            for repeat in range(args.repeats + 1):  # the first warms up
                begin = time.perf_counter()
                alpha = predictor.predict(str(image), str(trimap))
                middle = time.perf_counter()
                alpha_png = client.predict(handle_file(str(image)),
                                           handle_file(str(trimap)),
                                           api_name='/predict')[0]
                end = time.perf_counter()
                assert (cv2.imread(alpha_png, cv2.IMREAD_UNCHANGED) ==
                        alpha).all(), 'the app gave another alpha'
                if repeat:
                    own.append(middle - begin)
                    app.append(end - middle)
            time.sleep(2)
            idle_mb = resident_mb(server.pid)
        finally:
            server.terminate()
            server.wait(30)
    print(f'{args.size}x{args.size}, {args.repeats} runs each, load '
          f'{os.getloadavg()[0]:.1f} (on a shared machine the fastest run is '
          'the steadier figure)')
    for name, pick in (('median', statistics.median), ('fastest', min)):
        own_s, app_s = pick(own), pick(app)
        print(f'  {name:8}predictor.predict {own_s:6.2f} s, /predict '
              f'{app_s:6.2f} s: overhead {app_s - own_s:+.2f} s (target: at '
              'most +0.5 s)')
    print(f'  app resident memory, idle  {started_mb:6.0f} MB after start, '
          f'{idle_mb:.0f} MB after the requests')


if __name__ == '__main__':
    main()
