"""Turning a trained model into other files: ONNX and OpenVINO IR
(:mod:`.export`), int8 (:mod:`.quantize` on the crops of
:mod:`.calibration`), and the IndexNet authors' checkpoint into ours
(:mod:`.original_checkpoint`).

Imports :mod:`~indexnet_plugin.apis.loading`,
:mod:`~indexnet_plugin.apis.inference` and
:mod:`~indexnet_plugin.apis.runtimes`.
"""
