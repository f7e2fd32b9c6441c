"""Loading what a user has: a config and its checkpoint, or an exported
file, into a model or a predictor.

:mod:`.checkpoint` (reading weights safely), :mod:`.builder`
(``init_model``, ``init_predictor``) and :mod:`.exported`
(``init_exported_predictor``, and what an exported file stores).

Imports :mod:`~indexnet_plugin.apis.inference` and
:mod:`~indexnet_plugin.apis.runtimes`.
"""
