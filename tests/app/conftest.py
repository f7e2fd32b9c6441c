"""Fixtures of the app tests: a checkpoint, synthetic inputs, one live
``indexnet-app`` and one headless Chromium for the whole session.

The app runs as users start it (``python -m indexnet_plugin.app`` in a child
process) on a free loopback port; Chromium and its driver are Debian's
(``chromium``, ``chromium-driver``, installed by tools/bootstrap.sh), never
a downloaded build.
"""
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch

from indexnet_plugin.apis import init_model
from indexnet_plugin.datasets.comp1k.synthetic import (synthetic_composite,
                                                       trimap_from_alpha)

CHROMIUM = '/usr/bin/chromium'
CHROMEDRIVER = '/usr/bin/chromedriver'
SIZE = (160, 224)  # H, W of the synthetic image
APP_START_TIMEOUT = 300  # seconds: imports, model, ONNX export on 2 cores


@pytest.fixture(scope='session')
def app_checkpoint(tmp_path_factory):
    """Random weights of the default model, as a checkpoint file."""
    torch.manual_seed(0)
    path = tmp_path_factory.mktemp('app_ckpt') / 'indexnet_random.pth'
    torch.save({'state_dict': init_model(None).state_dict()}, path)
    return path


@pytest.fixture(scope='session')
def inputs(tmp_path_factory):
    """A synthetic composite with its trimap and mask, and a trimap of
    another size, in one folder (the names are the messages')."""
    folder = tmp_path_factory.mktemp('app_inputs')
    sample = synthetic_composite(np.random.default_rng(0), *SIZE)
    trimap = trimap_from_alpha(sample.alpha, 6)
    cv2.imwrite(str(folder / 'image.png'), sample.image)
    cv2.imwrite(str(folder / 'trimap.png'), trimap)
    cv2.imwrite(str(folder / 'trimap_small.png'), trimap[:SIZE[0] // 2])
    cv2.imwrite(str(folder / 'mask.png'),
                np.where(sample.alpha >= 128, 255, 0).astype(np.uint8))
    return folder


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(('127.0.0.1', 0))
        return probe.getsockname()[1]


@pytest.fixture(scope='session')
def onnx_cache(tmp_path_factory):
    """One ONNX cache for the app and indexnet-predict of this session."""
    return tmp_path_factory.mktemp('app_onnx_cache')


@pytest.fixture(scope='session')
def child_env(onnx_cache):
    """Environment of the app and CLI processes: this checkout's package,
    the session's ONNX cache."""
    env = dict(os.environ, INDEXNET_PLUGIN_CACHE_DIR=str(onnx_cache))
    root = str(Path(__file__).resolve().parents[2])
    env['PYTHONPATH'] = os.pathsep.join(
        p for p in (root, env.get('PYTHONPATH')) if p)
    return env


@pytest.fixture(scope='session')
def app_url(app_checkpoint, child_env, tmp_path_factory):
    """A live ``indexnet-app`` (defaults: one prediction at a time)."""
    port = _free_port()
    log = tmp_path_factory.mktemp('app_log') / 'app.log'
    with open(log, 'wb') as out:
        server = subprocess.Popen(
            [sys.executable, '-m', 'indexnet_plugin.app', '--checkpoint',
             str(app_checkpoint), '--port', str(port)],
            stdout=out, stderr=subprocess.STDOUT, env=child_env)
    url = f'http://127.0.0.1:{port}/'
    deadline = time.monotonic() + APP_START_TIMEOUT
    while True:
        if server.poll() is not None:
            pytest.fail(f'indexnet-app exited with {server.returncode}:\n'
                        f'{log.read_text()}')
        try:
            urllib.request.urlopen(url, timeout=5).close()
            break
        except OSError:
            if time.monotonic() > deadline:
                server.kill()
                pytest.fail(f'indexnet-app did not answer in '
                            f'{APP_START_TIMEOUT} s:\n{log.read_text()}')
            time.sleep(1)
    yield url
    server.terminate()
    server.wait(30)


@pytest.fixture(scope='session')
def downloads(tmp_path_factory):
    return tmp_path_factory.mktemp('app_downloads')


@pytest.fixture(scope='session')
def browser(downloads):
    """Headless Chromium (Debian's) driven by Selenium; downloads go to
    the ``downloads`` folder; network requests are logged."""
    webdriver = pytest.importorskip('selenium.webdriver')
    from selenium.webdriver.chrome.service import Service
    for program in (CHROMIUM, CHROMEDRIVER):
        if not shutil.which(program):
            pytest.fail(f'{program} is missing: tools/bootstrap.sh installs '
                        "Debian's chromium and chromium-driver")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in ('--headless=new', '--no-sandbox',
                     '--disable-dev-shm-usage', '--window-size=1400,1500',
                     '--disable-gpu'):
        options.add_argument(argument)
    options.set_capability('goog:loggingPrefs', {'performance': 'ALL'})
    driver = webdriver.Chrome(
        service=Service(CHROMEDRIVER), options=options)
    # Headless Chromium saves downloads only when told where.
    driver.execute_cdp_cmd('Browser.setDownloadBehavior', {
        'behavior': 'allow',
        'downloadPath': str(downloads)
    })
    yield driver
    driver.quit()
