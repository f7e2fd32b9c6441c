"""Prediction with an exported file: ONNX or OpenVINO IR, fp32 or int8.

An exported file holds the network and, under :data:`METADATA_KEY` (the
ONNX metadata or the IR's ``rt_info``), the predictor's settings as JSON;
:mod:`~indexnet_plugin.apis.convert.export` and ``tools/quantize.py``
write them. :func:`init_exported_predictor` reads the settings and runs the
network on OpenVINO or onnxruntime; a file whose graph holds quantized
layers is reported as ``'int8'`` (``MattingPredictor.precision``).
"""
import warnings
from pathlib import Path
from typing import Optional, Tuple, Union

from ..inference import memory
from ..inference.predictor import MattingPredictor
from ..inference.settings import MattingSettings
from ..runtimes.base import last_line
from ..runtimes.compiled_cache import CompiledCache, file_key
from ..runtimes.onnx_graph import graph_precision
from ..runtimes.onnxruntime_network import OnnxNetwork
from ..runtimes.openvino_network import (OpenVinoNetwork, model_precision,
                                         read_model)
from ..runtimes.selection import FastPathWarning

METADATA_KEY = 'indexnet_plugin.settings'
# Where each kind of file comes from, for the messages about one.
WRITERS = {
    '.onnx': 'tools/export_onnx.py or indexnet_plugin.apis.export_onnx',
    '.xml': 'tools/export_onnx.py --format openvino, tools/quantize.py or '
    'indexnet_plugin.apis.export_openvino',
}
# init_exported_predictor's backends ('auto': OpenVINO when installed).
EXPORTED_BACKENDS = ('auto', 'openvino', 'onnxruntime')


def _stored_settings(text: Optional[str], path: Path,
                     where: str) -> MattingSettings:
    """Settings from a file's stored JSON, or an error naming the file."""
    if text is None:
        raise ValueError(f"model file '{path}': no {METADATA_KEY!r} {where}"
                         ' (the settings of an exported IndexNet file); '
                         f'write one with {WRITERS[path.suffix]}')
    try:
        return MattingSettings.from_json(text)
    except ValueError as error:
        raise ValueError(f"model file '{path}': invalid {METADATA_KEY!r} "
                         f'{where} ({error})') from error


def onnx_file_info(path: Path) -> Tuple[MattingSettings, str]:
    """The settings and precision (``'fp32'`` or ``'int8'``) stored in an
    ``.onnx`` file.

    Raises:
        ValueError: Not an ONNX file, or one without the settings.
    """
    import onnx
    from google.protobuf.message import DecodeError
    try:
        graph = onnx.load(str(path), load_external_data=False)
    except DecodeError as error:
        raise ValueError(f"model file '{path}': not an ONNX file ({error})"
                         ) from error
    stored = {entry.key: entry.value for entry in graph.metadata_props}
    settings = _stored_settings(stored.get(METADATA_KEY), path, 'metadata')
    return settings, graph_precision(graph)


def _check_file(path: Path, backend: str) -> None:
    """Refuse what :func:`init_exported_predictor` cannot run, naming the
    file and what was expected."""
    if backend not in EXPORTED_BACKENDS:
        raise ValueError(
            f"model file '{path}': backend must be one of "
            f'{EXPORTED_BACKENDS} (an exported file runs on OpenVINO or '
            f'onnxruntime), got {backend!r}')
    if path.suffix not in WRITERS:
        raise ValueError(f"model file '{path}': expected an exported .onnx "
                         'or OpenVINO .xml file')
    if not path.is_file():
        raise FileNotFoundError(f"model file '{path}': file not found")
    weights = path.with_suffix('.bin')
    if path.suffix == '.xml' and not weights.is_file():
        raise FileNotFoundError(
            f"model file '{path}': its weights '{weights}' are missing (an "
            'OpenVINO IR is an .xml with its .bin beside it)')
    if path.suffix == '.xml' and backend == 'onnxruntime':
        raise ValueError(f"model file '{path}': onnxruntime runs .onnx files"
                         ', an OpenVINO IR runs on openvino')


def _openvino_model(path: Path):
    """An ``.xml`` or ``.onnx`` file read by OpenVINO (``openvino.Model``).

    Raises:
        ImportError: OpenVINO is not installed.
        ValueError: OpenVINO cannot read the file.
    """
    try:
        return read_model(path)
    except ImportError as error:
        raise ImportError(f"model file '{path}': runs on OpenVINO, which is "
                          f'not installed ({error})') from error
    except RuntimeError as error:  # OpenVINO's parse errors
        raise ValueError(f"model file '{path}': OpenVINO cannot read it "
                         f'({last_line(error)})') from error


def _openvino_missing() -> Optional[str]:
    """Why OpenVINO cannot be imported; None when it can."""
    try:
        import openvino  # noqa: F401
    except ImportError as error:
        return str(error)
    return None


def init_exported_predictor(path: Union[str, Path],
                            backend: str = 'auto',
                            **kwargs) -> MattingPredictor:
    """A CPU predictor running an exported file, fp32 or int8.

    An ``.xml`` (OpenVINO IR) runs on OpenVINO; an ``.onnx`` on OpenVINO
    (``'auto'``, ``'openvino'``) when it is installed, else (with a
    :class:`~indexnet_plugin.apis.runtimes.selection.FastPathWarning`) or
    with ``'onnxruntime'`` on onnxruntime. OpenVINO computes in fp32 (see
    :func:`~indexnet_plugin.apis.runtimes.openvino_network.compile_config`);
    an int8 file's quantized layers still run in int8. The predictor's
    ``backend`` names what runs and its ``precision`` is ``'int8'`` for a
    quantized file; its memory budget uses that backend's cost per pixel
    (:mod:`~indexnet_plugin.apis.inference.memory`).

    Args:
        path: ``.onnx`` from ``export_onnx``, or ``.xml`` (``.bin``
            beside it) from ``export_openvino`` or ``tools/quantize.py``.
        backend: ``'auto'``, ``'openvino'`` or ``'onnxruntime'``.
        **kwargs: Tiling, batching, memory and trimap arguments of
            :class:`~indexnet_plugin.apis.inference.predictor.
            MattingPredictor`.

    Returns:
        MattingPredictor: The predictor.

    Raises:
        ValueError: Unknown backend or suffix, a file that is not what its
            suffix says or has no stored settings, or an ``.xml`` with
            ``backend='onnxruntime'``.
        FileNotFoundError: The file, or an ``.xml``'s ``.bin``, is missing.
        ImportError: An ``.xml`` and OpenVINO is not installed.
    """
    path = Path(path)
    _check_file(path, backend)
    if path.suffix == '.xml':
        ov_model = _openvino_model(path)
        stored = (ov_model.get_rt_info([METADATA_KEY]).astype(str)
                  if ov_model.has_rt_info([METADATA_KEY]) else None)
        settings = _stored_settings(stored, path, 'rt_info')
        network = OpenVinoNetwork(
            ov_model, precision=model_precision(ov_model),
            compiled_cache=CompiledCache(file_key([path, path.with_suffix(
                '.bin')])))
    else:  # settings first: a file without them fails before converting
        settings, precision = onnx_file_info(path)
        missing = None if backend == 'onnxruntime' else _openvino_missing()
        if missing is not None:
            warnings.warn(FastPathWarning(
                f'model file: openvino not installed ({missing}); running '
                'onnxruntime'))
        if backend == 'onnxruntime' or missing is not None:
            network = OnnxNetwork(path, precision=precision)
        else:
            network = OpenVinoNetwork(
                _openvino_model(path), precision=precision,
                compiled_cache=CompiledCache(file_key([path])))
    kwargs.setdefault('memory_path', memory.cost_path(network.backend))
    return MattingPredictor(network, settings, 'cpu', **kwargs)
