"""The one tiny synthetic Comp-1k of the tests.

Four training composites (2 foregrounds x 2 backgrounds) and two test
composites (1 x 2) of at most 128 x 160: enough for a training iteration, a
test run and every file kind, small enough to make in about a second. A test
that needs other counts or sizes overrides only those, by name.
"""
from indexnet_plugin.datasets.comp1k import (SyntheticSources,
                                             build_demo_dataset,
                                             make_synthetic_comp1k)

TINY = dict(
    num_train_fg=2,
    train_bg_per_fg=2,
    num_test_fg=1,
    test_bg_per_fg=2,
    min_size=(96, 96),
    max_size=(128, 160))


def tiny_download(root: str, **overrides) -> SyntheticSources:
    """Write the tiny synthetic download (Adobe, COCO and VOC layouts) under
    ``root``; ``overrides`` replace entries of :data:`TINY`."""
    return make_synthetic_comp1k(root, **dict(TINY, **overrides))


def tiny_comp1k(root: str, **overrides) -> str:
    """Make and prepare the tiny Comp-1k in ``root`` (its ``data_root``);
    ``overrides`` replace entries of :data:`TINY`."""
    return build_demo_dataset(root, **dict(TINY, **overrides))
