"""Prediction: a mattor's test-time rules around any runtime's network.

:mod:`.settings` (normalisation, resizing, write-back, read from a config),
:mod:`.memory` (the budget and what fits in it), :mod:`.tiling`,
:mod:`.predictor` (batches, tiles, failures per image) and :mod:`.reading`
(one image with its guide and the notes to show).

Imports :mod:`~indexnet_plugin.apis.inputs` and
:mod:`~indexnet_plugin.apis.runtimes`.
"""
