"""What runs the matting network: one module per runtime and the choice
between them.

:mod:`.base` (the :class:`~.base.Network` contract and what runtimes
raise), :mod:`.fusion` (batch norms folded into convolutions),
:mod:`.onnx_graph` (the network traced to ONNX), :mod:`.openvino_form`
(the same network in the operators OpenVINO runs fastest), :mod:`.cache`
(converted graphs on disk), :mod:`.onnxruntime_network`,
:mod:`.openvino_network`, :mod:`.torchscript_network`, and
:mod:`.selection` (the fast path: the first runtime that gives the plain
network's alpha).

Imports nothing from the rest of :mod:`indexnet_plugin.apis`.
"""
