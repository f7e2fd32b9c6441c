"""Quantize a trained mattor's network to int8 (OpenVINO IR) with NNCF.

    python tools/quantize.py CHECKPOINT OUT.xml [--config CONFIG]
        [--crops 300] [--validation-crops 64] [--max-sad-increase 0.01]
        [--keep-fp32 [PART ...]] [--accuracy-aware]

Calibration crops come from the config's training set through its training
pipeline (``--cfg-options`` changes either, e.g.
``train_dataloader.dataset.data_root``). Other random crops of the training
images (``--validation-crops``) score the int8 network's SAD against the
fp32 network's. By default every layer is int8 unless that raises the SAD
by more than ``--max-sad-increase``; then the index blocks stay fp32
(``--keep-fp32`` fixes the parts instead; ``--accuracy-aware`` runs NNCF's
slow layer-by-layer search). Predict with the file through
``indexnet-predict --model-file OUT.xml`` or
``indexnet_plugin.apis.init_exported_predictor``; see
:mod:`indexnet_plugin.apis.convert.quantize`.
"""
import argparse
import logging
import sys
import time

from mmengine.config import Config, DictAction

from indexnet_plugin.apis import (CheckpointError, MattingSettings,
                                  init_model, save_openvino)
from indexnet_plugin.apis.convert.calibration import training_crops
from indexnet_plugin.apis.convert.export import openvino_model
from indexnet_plugin.apis.convert.quantize import (DEFAULT_CROPS,
                                                   DEFAULT_MAX_SAD_INCREASE,
                                                   FALLBACK_FP32_PARTS,
                                                   FP32_PARTS, Attempt,
                                                   mean_sad, quantize_network,
                                                   quantize_within_bound)
from indexnet_plugin.apis.runtimes.openvino_network import int8_share
from indexnet_plugin.configs import DEFAULT_CONFIG, resolve_config

DEFAULT_VALIDATION_CROPS = 64


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
    parser.add_argument(
        '--validation-crops', type=int, default=DEFAULT_VALIDATION_CROPS,
        help='other crops scoring int8 against fp32 (default: %(default)s; '
        '0: no check, with --keep-fp32)')
    parser.add_argument('--seed', type=int, default=0,
                        help='seed of the random crops')
    parser.add_argument('--max-sad-increase', type=float,
                        default=DEFAULT_MAX_SAD_INCREASE,
                        help='relative SAD increase accepted, e.g. 0.01 = '
                        '1%% (default: %(default)s)')
    parser.add_argument(
        '--keep-fp32', nargs='*', choices=sorted(FP32_PARTS),
        help='graph parts left fp32, no fallback (the flag alone: every '
        'layer int8)')
    parser.add_argument(
        '--accuracy-aware', action='store_true',
        help="NNCF's accuracy-aware mode: return layers to fp32 one group "
        'at a time until within --max-sad-increase (slow: minutes to hours)')
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
    if args.validation_crops == 0 and args.keep_fp32 is None:
        parser.error('--validation-crops 0 (no check) needs --keep-fp32 to '
                     'say which parts stay fp32')
    if args.validation_crops == 0 and args.accuracy_aware:
        parser.error('--accuracy-aware needs --validation-crops > 0')
    if args.max_sad_increase <= 0:
        parser.error('--max-sad-increase must be positive, got '
                     f'{args.max_sad_increase}')
    return args


def describe(parts) -> str:
    return (f"{' and '.join(parts)} fp32" if parts else 'every layer int8')


def quantize(args, model, crops, validation) -> Attempt:
    """The attempt the user asked for (printing each one's SAD)."""
    parts = tuple(args.keep_fp32 or ())
    if not validation:
        return Attempt(quantize_network(model, crops, parts), parts,
                       float('nan'), float('nan'))
    if args.accuracy_aware:
        fp32_model, settings = openvino_model(model)
        quantized = quantize_network(model, crops, parts, validation,
                                     args.max_sad_increase)
        attempts = [Attempt(quantized, parts,
                            mean_sad(fp32_model, validation, settings),
                            mean_sad(quantized, validation, settings))]
    else:
        # Given parts are the only attempt; by default, the fallbacks.
        fallbacks = (FALLBACK_FP32_PARTS
                     if args.keep_fp32 is None else (parts, ))
        attempts = quantize_within_bound(model, crops, validation,
                                         args.max_sad_increase, fallbacks)
    for attempt in attempts:
        print(f'{describe(attempt.keep_fp32)}: SAD on {len(validation)} '
              f'validation crops {attempt.int8_sad:.4f} against fp32 '
              f'{attempt.fp32_sad:.4f} ({100 * attempt.sad_increase:+.2f} %)')
    return attempts[-1]


def main() -> None:
    args = parse_args()
    # NNCF lists every operator it leaves alone at INFO.
    logging.getLogger('nncf').setLevel(logging.WARNING)
    config = Config.fromfile(str(resolve_config(args.config)))
    if args.cfg_options:
        config.merge_from_dict(args.cfg_options)
    try:
        model = init_model(config, args.checkpoint)
        crops = training_crops(config, args.crops, args.seed,
                               'calibration crops')
        # Another seed: other random crops of the same training images.
        validation = training_crops(
            config, args.validation_crops, args.seed + 1,
            'validation crops') if args.validation_crops else []
    except (CheckpointError, FileNotFoundError, ValueError) as error:
        raise SystemExit(f'error: {error}')
    start = time.perf_counter()
    chosen = quantize(args, model, crops, validation)
    path = save_openvino(chosen.model, MattingSettings.from_model(model),
                         args.out)
    int8, total = int8_share(chosen.model)
    print(f'{path}: {describe(chosen.keep_fp32)}, {int8} of {total} '
          f'convolutions int8 ({time.perf_counter() - start:.0f} s)')
    if validation and chosen.sad_increase > args.max_sad_increase:
        print(f'warning: the int8 SAD is {100 * chosen.sad_increase:+.2f} % '
              f'of fp32\'s, above --max-sad-increase '
              f'{100 * args.max_sad_increase:g} %: try --accuracy-aware',
              file=sys.stderr)


if __name__ == '__main__':
    main()
