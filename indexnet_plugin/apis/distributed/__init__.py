"""Prediction past one process: :mod:`.ray_batch` runs the single-process
work of :mod:`~indexnet_plugin.apis.inference.chunks` on Ray Data's worker
pools (``indexnet-predict --ray``; the ``[ray]`` extra, imported only when
a run starts).

Imports :mod:`~indexnet_plugin.apis.inputs`,
:mod:`~indexnet_plugin.apis.inference` and
:mod:`~indexnet_plugin.apis.loading`; :mod:`~indexnet_plugin.apis.cli`
imports it.
"""
