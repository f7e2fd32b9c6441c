"""Data-pipeline transforms of indexnet_plugin (both augmentation schemes)."""
