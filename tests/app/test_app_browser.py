"""The matting page in a real browser, against a live ``indexnet-app``.

Parity: what the page gives equals what ``indexnet-predict`` writes for the
same files (0 levels apart), and a bad input shows the line the command
prints. One app and one Chromium serve every test (see conftest.py).

``INDEXNET_APP_SCREENSHOT=docs/app_page.png`` saves the README's screenshot
of the page after the first prediction.
"""
import os
import subprocess
import sys
import time
from pathlib import Path

import cv2
import numpy as np
import pytest

gradio = pytest.importorskip('gradio')
pytest.importorskip('selenium')
from gradio_client import Client, handle_file  # noqa: E402
from selenium.webdriver.common.action_chains import ActionChains  # noqa
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

from helpers.images import astronaut, object_scene  # noqa: E402

from indexnet_plugin.apis.inputs.mask import as_mask  # noqa: E402
from indexnet_plugin.apis.inputs.mask import mask_to_trimap  # noqa: E402
from indexnet_plugin.apis.inputs.box import box_trimap  # noqa: E402
from indexnet_plugin.apis.inputs.box import parse_box  # noqa: E402
from indexnet_plugin.app.page import FILLED, FILLED_BOX  # noqa: E402

GRADIO_MAJOR = int(gradio.__version__.split('.')[0])
REQUEST_TIMEOUT = 120  # seconds, on a loaded 2-core machine
LOOPBACK = ('127.0.0.1', 'localhost')


def read(path) -> np.ndarray:
    return cv2.imread(str(path), cv2.IMREAD_UNCHANGED)


def cli(inputs: Path, checkpoint, env, out: Path, *args) -> str:
    """Run indexnet-predict in the inputs' folder (files named as the page
    names uploads); return its stderr."""
    done = subprocess.run(
        [sys.executable, '-m', 'indexnet_plugin.apis.cli', *args,
         '--checkpoint', str(checkpoint), '-o', str(out), '--quiet'],
        cwd=inputs, env=env, capture_output=True, text=True, timeout=600)
    return done.stderr


@pytest.fixture(scope='module')
def cli_alpha(inputs, app_checkpoint, child_env, tmp_path_factory):
    """indexnet-predict's alpha of image.png with trimap.png."""
    out = tmp_path_factory.mktemp('cli_out')
    cli(inputs, app_checkpoint, child_env, out, 'image.png', 'trimap.png')
    return read(out / 'image.png')


class Page:
    """The page in one browser tab, in a person's steps."""

    def __init__(self, driver, url):
        self.driver = driver
        driver.get(url)
        self.wait(lambda d: d.find_elements(By.ID, 'run'))

    def wait(self, condition, timeout=REQUEST_TIMEOUT):
        return WebDriverWait(self.driver, timeout).until(condition)

    def find(self, css, timeout=30):
        """The element, once the page shows it."""
        return self.wait(lambda d: d.find_element(By.CSS_SELECTOR, css),
                         timeout)

    def upload(self, elem_id, path):
        self.find(f'#{elem_id} input[type=file]').send_keys(str(path))
        # The page shows the name in two parts, stem and suffix.
        self.wait(lambda d: Path(path).name in d.find_element(
            By.ID, elem_id).text.replace('\n', ''))

    def clear(self, elem_id):
        self.find(f'#{elem_id} button[aria-label=Clear]').click()
        self.wait(lambda d: d.find_elements(
            By.CSS_SELECTOR, f'#{elem_id} input[type=file]'))

    def source(self, name):
        self.find(f'#source input[value={name}]').click()

    def messages(self):
        return self.find('#messages textarea').get_attribute('value')

    def run(self):
        """Press the button; return the messages once the request ends."""
        self.driver.execute_script(
            "document.querySelector('#messages textarea').value = ''")
        self.find('#run').click()
        return self.wait_done()

    def wait_done(self):
        self.wait(lambda d: self.messages() != '')
        return self.messages()

    def brush(self, swatch):
        """Pick the brush of colour ``swatch`` (CSS ``rgb(...)``)."""
        self.find('#canvas button[aria-label=Color]').click()
        self.find(f'#canvas button.color[style*="{swatch}"]').click()
        self.find('#canvas button[aria-label=Brush]').click()

    def drag(self, height, width, row, col_from, col_to):
        """Drag the pointer along an image row, in image pixels (the
        editor shows the image centred at the zoom it names)."""
        canvas = self.find('#canvas canvas')
        box = canvas.rect
        zoom = float(self.find('#canvas').text.split('%')[0].split()[-1]) / 100
        x = (box['width'] - width * zoom) / 2 + col_from * zoom
        y = (box['height'] - height * zoom) / 2 + row * zoom
        step = (col_to - col_from) * zoom / 2
        (ActionChains(self.driver).move_to_element_with_offset(
            canvas, x - box['width'] / 2, y - box['height'] / 2)
         .click_and_hold().move_by_offset(step, 0).move_by_offset(step, 0)
         .release().perform())

    def drag_between(self, height, width, start, end):
        """Drag the pointer from one (row, column) of the image to another,
        in image pixels, in four steps."""
        canvas = self.find('#canvas canvas')
        box = canvas.rect
        zoom = float(self.find('#canvas').text.split('%')[0].split()[-1]) / 100
        x = (box['width'] - width * zoom) / 2 + start[1] * zoom
        y = (box['height'] - height * zoom) / 2 + start[0] * zoom
        dx = (end[1] - start[1]) * zoom / 4
        dy = (end[0] - start[0]) * zoom / 4
        actions = ActionChains(self.driver).move_to_element_with_offset(
            canvas, x - box['width'] / 2, y - box['height'] / 2)
        actions.click_and_hold()
        for _ in range(4):
            actions.move_by_offset(dx, dy)
        actions.release().perform()

    def download(self, name, folder: Path) -> np.ndarray:
        """Click a download link; return the downloaded PNG."""
        target = folder / name
        target.unlink(missing_ok=True)
        link = self.find(f'#downloads a[download="{name}"]')
        self.driver.execute_script('arguments[0].click()', link)
        self.wait(lambda d: target.exists() and target.stat().st_size > 0,
                  30)
        time.sleep(0.2)  # Chromium renames the finished download
        return read(target)


def test_trimap_upload_gives_the_cli_alpha(browser, app_url, inputs,
                                           downloads, cli_alpha):
    page = Page(browser, app_url)
    page.upload('image', inputs / 'image.png')
    page.source('trimap')
    page.upload('trimap', inputs / 'trimap.png')
    assert page.run() == 'done'
    alpha = page.download('image.png', downloads)
    assert alpha.shape == cli_alpha.shape
    assert np.abs(alpha.astype(int) - cli_alpha).max() == 0
    assert (page.download('image_trimap.png',
                          downloads) == read(inputs / 'trimap.png')).all()
    rgba = page.download('image_rgba.png', downloads)
    assert (rgba[..., 3] == cli_alpha).all()
    screenshot = os.environ.get('INDEXNET_APP_SCREENSHOT')
    if screenshot:
        browser.save_screenshot(screenshot)


@pytest.mark.xfail(
    GRADIO_MAJOR < 6, strict=True,
    reason="Gradio 5.14's page template (mmagic's host) asks a CDN for "
    'iframeResizer and its default theme Google for a font; the page works '
    'without them')
def test_page_loads_nothing_from_the_internet(browser, app_url):
    Page(browser, app_url)
    urls = [
        entry['params']['request']['url']
        for entry in map(_message, browser.get_log('performance'))
        if entry['method'] == 'Network.requestWillBeSent'
    ]
    assert urls
    outside = [u for u in urls if u.startswith(('http:', 'https:', 'ws'))
               and u.split('/')[2].split(':')[0] not in LOOPBACK]
    assert outside == []


def _message(entry):
    import json
    return json.loads(entry['message'])['message']


@pytest.mark.skipif(
    GRADIO_MAJOR < 6,
    reason="Gradio 5's editor (mmagic's host) has another toolbar, whose "
    'swatch menu covers the canvas; drawing is tested with Gradio 6')
def test_strokes_label_the_trimap_where_drawn(browser, app_url, inputs,
                                              downloads):
    page = Page(browser, app_url)
    page.upload('image', inputs / 'image.png')
    height, width = read(inputs / 'image.png').shape[:2]

    def stroke(swatch, row, col_from, col_to):
        page.brush(swatch)
        page.drag(height, width, row, col_from, col_to)

    stroke('rgb(255, 255, 255)', 40, 30, 90)
    stroke('rgb(0, 0, 0)', 120, 130, 200)
    assert page.run() == 'done'
    trimap = page.download('image_trimap.png', downloads)
    assert trimap.shape == (height, width)
    assert (trimap[40, 35:86] == 255).all()
    assert (trimap[120, 135:196] == 0).all()
    # Elsewhere the start (all unknown), up to the brush's radius around
    # each stroke (the editor's default size).
    reach = 40
    for level, row, cols in ((255, 40, (30, 90)), (0, 120, (130, 200))):
        rows, columns = np.nonzero(trimap == level)
        assert abs(rows - row).max() <= reach
        assert cols[0] - reach <= columns.min()
        assert columns.max() <= cols[1] + reach
    assert set(np.unique(trimap)) == {0, 128, 255}


def test_mask_gives_the_mask_rule_trimap(browser, app_url, inputs,
                                         downloads):
    page = Page(browser, app_url)
    page.upload('image', inputs / 'image.png')
    page.source('mask')
    page.upload('mask', inputs / 'mask.png')
    band = page.find('#band input[type=number]')
    band.clear()
    band.send_keys('7\t')
    assert page.run() == 'done'
    expected = mask_to_trimap(as_mask(read(inputs / 'mask.png')), 7)
    assert (page.download('image_trimap.png', downloads) == expected).all()


def test_wrong_size_trimap_shows_the_cli_message_then_works(
        browser, app_url, inputs, app_checkpoint, child_env, tmp_path):
    stderr = cli(inputs, app_checkpoint, child_env, tmp_path, 'image.png',
                 'trimap_small.png')
    # The host may warn on stderr too (MMagic's diffusers does).
    [expected] = [line for line in stderr.splitlines()
                  if line.startswith('error: ')]
    assert expected.startswith("error: trimap 'trimap_small.png' is 80x224")
    page = Page(browser, app_url)
    page.upload('image', inputs / 'image.png')
    page.source('trimap')
    page.upload('trimap', inputs / 'trimap_small.png')
    assert page.run() == expected
    page.clear('trimap')
    page.upload('trimap', inputs / 'trimap.png')
    assert page.run() == 'done'


def test_two_requests_at_once_both_complete(browser, app_url, inputs):
    tabs = []
    for _ in range(2):
        if tabs:
            browser.switch_to.new_window('tab')
        page = Page(browser, app_url)
        page.upload('image', inputs / 'image.png')
        page.source('trimap')
        page.upload('trimap', inputs / 'trimap.png')
        tabs.append((browser.current_window_handle, page))
    for handle, page in tabs:
        browser.switch_to.window(handle)
        page.find('#run').click()
    for handle, page in tabs:
        browser.switch_to.window(handle)
        assert page.wait_done() == 'done'
        assert page.find('#downloads a[download="image.png"]')
    browser.close()
    browser.switch_to.window(tabs[0][0])


def test_gradio_client_predict_gives_the_cli_alpha(app_url, inputs,
                                                   cli_alpha):
    client = Client(app_url, verbose=False)
    alpha_png, rgba_png, trimap_png = client.predict(
        handle_file(str(inputs / 'image.png')),
        handle_file(str(inputs / 'trimap.png')),
        api_name='/predict')
    assert np.abs(read(alpha_png).astype(int) - cli_alpha).max() == 0
    assert (read(trimap_png) == read(inputs / 'trimap.png')).all()
    assert (read(rgba_png)[..., 3] == cli_alpha).all()


def test_fill_from_person_starts_the_drawing_from_the_auto_mask(
        browser, app_url, downloads, person_segmenter, tmp_path):
    photo = astronaut(192)
    cv2.imwrite(str(tmp_path / 'astronaut.png'), photo)
    page = Page(browser, app_url)
    page.upload('image', tmp_path / 'astronaut.png')
    page.source('trimap')  # the button switches to drawing
    page.find('#fill_person').click()
    assert page.wait_done() == FILLED
    assert page.find('#source input[value=draw]').is_selected()
    assert page.run() == 'done'
    assert (page.download('astronaut_trimap.png', downloads) ==
            person_segmenter.trimap(photo)).all()


@pytest.mark.skipif(
    GRADIO_MAJOR < 6,
    reason="Gradio 5's editor (mmagic's host) has another toolbar, whose "
    'swatch menu covers the canvas; drawing is tested with Gradio 6')
def test_fill_from_a_box_starts_the_drawing_from_grabcut(
        browser, app_url, downloads, tmp_path):
    image = object_scene()[0]
    cv2.imwrite(str(tmp_path / 'scene.png'), image)
    page = Page(browser, app_url)
    page.upload('image', tmp_path / 'scene.png')
    page.brush('rgb(255, 0, 0)')
    page.drag_between(*image.shape[:2], (45, 45), (180, 230))
    page.find('#fill_box').click()
    message = page.wait_done()
    prefix, suffix = FILLED_BOX.split('{}')
    assert message.startswith(prefix) and message.endswith(suffix)
    box = parse_box(message[len(prefix):-len(suffix)])
    assert page.run() == 'done'
    assert (page.download('scene_trimap.png', downloads) ==
            box_trimap(image, box)).all()
