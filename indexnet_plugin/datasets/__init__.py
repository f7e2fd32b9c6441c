"""Datasets and data-pipeline transforms of indexnet_plugin."""
from . import transforms  # noqa: F401
