"""Fixtures of the transform tests."""
import pytest
from matting_samples import write_comp1k


@pytest.fixture
def comp1k_sample(tmp_path) -> dict:
    """A 120 x 90 Comp-1k-layout sample written to tmp_path."""
    return write_comp1k(str(tmp_path), 'sample', 90, 120, seed=3)
