"""Quantize a trained mattor's network to int8 (OpenVINO IR) with NNCF.

    python tools/quantize.py CHECKPOINT OUT.xml [--config CONFIG]
        [--crops 300] [--keep-fp32 index_blocks] [--accuracy-aware]

Calibration crops come from the config's training set through its training
pipeline (``--cfg-options`` changes either, e.g. ``data_root``). The report
compares the fp32 and int8 networks' SAD on other random crops of the
training images (``--validation-crops``), which the accuracy-aware mode also
uses to return layers to fp32. Predict with the file through
``indexnet-predict --model-file OUT.xml`` or
``indexnet_plugin.apis.init_exported_predictor``; see
:mod:`indexnet_plugin.apis.quantize` for what is quantized.
"""
import argparse
import logging
import time

import numpy as np
from mmengine.config import Config, DictAction

from indexnet_plugin.apis import CheckpointError, init_model
from indexnet_plugin.apis.export import save_openvino
from indexnet_plugin.apis.quantize import (DEFAULT_CROPS,
                                           DEFAULT_FP32_PARTS,
                                           DEFAULT_MAX_SAD_INCREASE,
                                           FP32_PARTS, compile_for_cpu,
                                           crop_sad, int8_share,
                                           quantize_network, to_openvino,
                                           training_crops)
from indexnet_plugin.apis.settings import MattingSettings
from indexnet_plugin.configs import DEFAULT_CONFIG, resolve_config


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('checkpoint', help='weights: path or http(s) URL')
    parser.add_argument('out', help='output OpenVINO IR (.xml; its .bin '
                        'is written beside it)')
    parser.add_argument(
        '--config', default=DEFAULT_CONFIG,
        help='training config: a file or a packaged config name (default: '
        f'{DEFAULT_CONFIG})')
    parser.add_argument('--crops', type=int, default=DEFAULT_CROPS,
                        help='calibration crops (default: %(default)s)')
    parser.add_argument('--validation-crops', type=int, default=64,
                        help='other crops for the report and the '
                        'accuracy-aware mode (default: %(default)s; 0: none)')
    parser.add_argument('--seed', type=int, default=0,
                        help='seed of the random crops')
    parser.add_argument(
        '--keep-fp32', nargs='*', choices=sorted(FP32_PARTS),
        default=list(DEFAULT_FP32_PARTS),
        help='graph parts left fp32 (default: %(default)s; none: give the '
        'flag alone)')
    parser.add_argument(
        '--accuracy-aware', action='store_true',
        help="NNCF's accuracy-aware mode: return layers to fp32 until the "
        'validation SAD is within --max-sad-increase of fp32')
    parser.add_argument('--max-sad-increase', type=float,
                        default=DEFAULT_MAX_SAD_INCREASE,
                        help='relative, e.g. 0.01 = 1%% (default: '
                        '%(default)s)')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config settings, key=value')
    args = parser.parse_args()
    if not args.out.endswith('.xml'):
        parser.error(f'OUT must be an OpenVINO IR .xml file, got {args.out!r}')
    if args.crops < 1:
        parser.error(f'--crops must be at least 1, got {args.crops}')
    if args.validation_crops < 0:
        parser.error('--validation-crops must be 0 or more, got '
                     f'{args.validation_crops}')
    if args.accuracy_aware and args.validation_crops == 0:
        parser.error('--accuracy-aware needs --validation-crops > 0')
    if args.max_sad_increase <= 0:
        parser.error('--max-sad-increase must be positive, got '
                     f'{args.max_sad_increase}')
    return args


def mean_sad(compiled, crops, settings: MattingSettings) -> float:
    return float(np.mean([crop_sad(compiled, crop, settings)
                          for crop in crops]))


def main() -> None:
    args = parse_args()
    # NNCF lists every operator it leaves alone at INFO.
    logging.getLogger('nncf').setLevel(logging.WARNING)
    config = Config.fromfile(str(resolve_config(args.config)))
    if args.cfg_options:
        config.merge_from_dict(args.cfg_options)
    try:
        model = init_model(config, args.checkpoint)
    except (CheckpointError, FileNotFoundError) as error:
        raise SystemExit(f'error: {error}')
    settings = MattingSettings.from_model(model)
    start = time.perf_counter()
    try:
        crops = training_crops(config, args.crops, args.seed,
                               'calibration crops')
        # Another seed: other random crops of the same training images.
        validation = training_crops(
            config, args.validation_crops, args.seed + 1,
            'validation crops') if args.validation_crops else []
    except (FileNotFoundError, ValueError) as error:
        raise SystemExit(f'error: {error}')
    quantized = quantize_network(
        model, crops, args.keep_fp32,
        validation if args.accuracy_aware else None, args.max_sad_increase)
    path = save_openvino(quantized, settings, args.out)
    int8, total = int8_share(quantized)
    print(f'{path}: {int8} of {total} convolutions int8 '
          f'({time.perf_counter() - start:.0f} s)')
    if validation:
        fp32_sad = mean_sad(compile_for_cpu(to_openvino(model)),
                            validation, settings)
        int8_sad = mean_sad(compile_for_cpu(quantized), validation,
                            settings)
        print(f'SAD on {len(validation)} validation crops: fp32 '
              f'{fp32_sad:.4f}, int8 {int8_sad:.4f} '
              f'({100 * (int8_sad / fp32_sad - 1):+.2f} %)')


if __name__ == '__main__':
    main()
