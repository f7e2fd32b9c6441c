"""Fixtures of every test folder; the helpers they use are in helpers/."""
import pytest
from helpers.models import host_indexnet


@pytest.fixture(scope='module')
def host_model():
    """The host's IndexNet with non-trivial weights and statistics, the
    reference of the parity tests. One per module: tests may set its
    ``test_cfg``."""
    return host_indexnet()
