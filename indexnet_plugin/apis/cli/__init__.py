"""The command line: ``indexnet-predict`` (:mod:`.predict`) and its flags
(:mod:`.options`); ``python -m indexnet_plugin.apis.cli`` runs it too.

Imports every other part of :mod:`indexnet_plugin.apis`; nothing there
imports it.
"""
