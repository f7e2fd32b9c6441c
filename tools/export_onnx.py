"""Export a trained mattor's network to ONNX (dynamic batch, height, width).

    python tools/export_onnx.py CHECKPOINT OUT.onnx [--config CONFIG]

CONFIG is a config file or a packaged config name (``indexnet_mobv2``).

See :mod:`indexnet_plugin.apis.export` for what the graph contains; predict
with it through ``indexnet_plugin.apis.export.init_onnx_predictor``.
"""
import argparse

from indexnet_plugin.apis import CheckpointError, init_model
from indexnet_plugin.apis.export import DEFAULT_OPSET, export_onnx


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('checkpoint', help='weights: path or http(s) URL')
    parser.add_argument('out', help='output .onnx file')
    parser.add_argument(
        '--config',
        help='model config: a file or a packaged config name (default: '
        'indexnet_mobv2)')
    parser.add_argument('--opset', type=int, default=DEFAULT_OPSET)
    args = parser.parse_args()
    try:
        model = init_model(args.config, args.checkpoint)
    except (CheckpointError, FileNotFoundError) as error:
        parser.error(str(error))
    print(export_onnx(model, args.out, args.opset))


if __name__ == '__main__':
    main()
