"""Fixtures of every test folder; the helpers they use are in helpers/."""
import pytest
from helpers.models import host_indexnet


@pytest.fixture(scope='module')
def host_model():
    """The host's IndexNet with non-trivial weights and statistics, the
    reference of the parity tests, one per module. A test that changes it
    (``test_cfg``) does so through ``monkeypatch``, so the next test gets it
    as built."""
    return host_indexnet()
