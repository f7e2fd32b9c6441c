"""Export a trained mattor's network to ONNX or OpenVINO IR (dynamic batch,
height, width).

    python tools/export_onnx.py CHECKPOINT OUT.onnx [--config CONFIG]
    python tools/export_onnx.py CHECKPOINT OUT.xml [--config CONFIG]

CONFIG is a config file or a packaged config name (``indexnet_mobv2``). The
format follows OUT's suffix (``--format onnx|openvino`` says it explicitly):
an ``.onnx`` file, or an OpenVINO IR ``.xml`` with its ``.bin`` beside it
(fp32 weights; ``tools/quantize.py`` makes an int8 one).

See :mod:`indexnet_plugin.apis.convert.export` for what the files contain;
predict with either through ``indexnet_plugin.apis.init_exported_predictor`` or
``indexnet-predict --model-file OUT``.
"""
import argparse
from pathlib import Path

from indexnet_plugin.apis import (CheckpointError, export_onnx,
                                  export_openvino, init_model)
from indexnet_plugin.apis.runtimes.onnx_graph import DEFAULT_OPSET

# Output suffix of each format.
SUFFIXES = {'onnx': '.onnx', 'openvino': '.xml'}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('checkpoint', help='weights: path or http(s) URL')
    parser.add_argument('out', help='output .onnx or .xml file')
    parser.add_argument(
        '--config',
        help='model config: a file or a packaged config name (default: '
        'indexnet_mobv2)')
    parser.add_argument(
        '--format', choices=tuple(SUFFIXES),
        help='onnx (.onnx) or openvino (OpenVINO IR: .xml and .bin); '
        "default: by OUT's suffix")
    parser.add_argument(
        '--opset', type=int,
        help=f'with onnx: the ONNX opset (default: {DEFAULT_OPSET})')
    args = parser.parse_args()
    suffix = Path(args.out).suffix
    formats = [name for name, known in SUFFIXES.items() if known == suffix]
    if args.format is None and not formats:
        parser.error(f"cannot tell the format from '{args.out}': name it "
                     '.onnx or .xml, or give --format')
    fmt = args.format or formats[0]
    if suffix != SUFFIXES[fmt]:
        parser.error(f"--format {fmt} writes a {SUFFIXES[fmt]} file, got "
                     f"'{args.out}'")
    if fmt != 'onnx' and args.opset is not None:
        parser.error('--opset applies to --format onnx only')
    try:
        model = init_model(args.config, args.checkpoint)
    except (CheckpointError, FileNotFoundError) as error:
        parser.error(str(error))
    if fmt == 'onnx':
        print(export_onnx(model, args.out, DEFAULT_OPSET if args.opset is None
                          else args.opset))
    else:
        print(export_openvino(model, args.out))


if __name__ == '__main__':
    main()
