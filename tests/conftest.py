"""Fixtures of every test folder; the helpers they use are in helpers/."""
import sys

import pytest
from helpers.models import host_indexnet

from indexnet_plugin.apis import PersonSegmenter


@pytest.fixture(scope='module')
def host_model():
    """The host's IndexNet with non-trivial weights and statistics, the
    reference of the parity tests, one per module. A test that changes it
    (``test_cfg``) does so through ``monkeypatch``, so the next test gets it
    as built."""
    return host_indexnet()


@pytest.fixture(scope='session')
def person_segmenter():
    """The bundled person segmenter with its defaults, built once."""
    with PersonSegmenter() as segmenter:
        yield segmenter


@pytest.fixture
def without_mediapipe(monkeypatch):
    """Make ``import mediapipe`` (and its modules the segmenter imports)
    fail for one test, as where the [auto] extra is not installed."""
    for name in ('mediapipe', 'mediapipe.python',
                 'mediapipe.python.solutions',
                 'mediapipe.python.solutions.selfie_segmentation'):
        monkeypatch.setitem(sys.modules, name, None)
