"""Accuracy of an int8 file (``tools/quantize.py``) against its fp32 model.

On a config's test set (its test pipeline, as ``mim test`` reads it), the
fp32 model (the fast path, equal to the mattor's ``test_step`` within one
level) and the int8 file each predict every image; the host's own metrics
(SAD, MSE, GRAD, CONN, as ``mim test`` reports them) score both, and the
alphas are compared (largest difference in uint8 levels, share of pixels
more than one level apart). Speed: ``bench/bench_inference.py --int8``.

After ``make demo``::

    .venv/bin/python tools/quantize.py work_dirs/indexnet_demo/iter_400.pth \\
        work_dirs/indexnet_demo/int8.xml --config configs/indexnet_demo.py
    .venv/bin/python bench/bench_quantized.py work_dirs/indexnet_demo/int8.xml \\
        --config configs/indexnet_demo.py \\
        --checkpoint work_dirs/indexnet_demo/iter_400.pth
"""
import argparse
from typing import Dict, List

import numpy as np
import torch
from mmengine.config import Config

METRICS = {
    'SAD': 'SAD',
    'MattingMSE': 'MSE',
    'GradientError': 'GRAD',
    'ConnectivityError': 'CONN'
}


def host_metrics(alphas: List[np.ndarray], samples) -> Dict[str, float]:
    """The host's matting metrics of uint8 alphas, by the paper's names."""
    from indexnet_plugin.host import registry
    scored = [
        dict(ori_alpha=torch.from_numpy(sample.alpha)[None],
             ori_trimap=torch.from_numpy(sample.trimap)[None],
             output=dict(pred_alpha=torch.from_numpy(alpha)))
        for alpha, sample in zip(alphas, samples)
    ]
    results = {}
    for host_name, name in METRICS.items():
        metric = registry.METRICS.build(dict(type=host_name))
        metric.process([], scored)
        (value, ) = metric.compute_metrics(metric.results).values()
        results[name] = float(value)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('int8', help='int8 file from tools/quantize.py')
    parser.add_argument('--config', required=True, help='the model config')
    parser.add_argument('--checkpoint', required=True,
                        help='the fp32 weights the file was made from')
    args = parser.parse_args()
    from indexnet_plugin.apis import init_exported_predictor, init_predictor
    from indexnet_plugin.configs import resolve_config
    from indexnet_plugin.apis.convert.calibration import pipeline_samples
    config = Config.fromfile(str(resolve_config(args.config)))
    samples = pipeline_samples(config.test_dataloader.dataset)
    fp32 = init_predictor(config, args.checkpoint)
    int8 = init_exported_predictor(args.int8)
    print(f'{len(samples)} test images; fp32: {fp32.backend}, int8: '
          f'{int8.backend} ({int8.precision})')
    alphas = {}
    for name, predictor in (('fp32', fp32), ('int8', int8)):
        alphas[name] = [predictor.predict(s.image, s.trimap)
                        for s in samples]
    scores = {name: host_metrics(a, samples) for name, a in alphas.items()}
    for name, values in scores.items():
        change = '' if name == 'fp32' else '  vs fp32: ' + '  '.join(
            f'{key} {100 * (values[key] / scores["fp32"][key] - 1):+.2f} %'
            for key in values)
        print(f'{name}: ' + '  '.join(f'{key} {value:.4f}'
                                      for key, value in values.items()) +
              change)
    levels = [np.abs(a.astype(int) - b.astype(int))
              for a, b in zip(alphas['fp32'], alphas['int8'])]
    pixels = sum(level.size for level in levels)
    print(f'int8 vs fp32 alpha: max {max(int(l.max()) for l in levels)} '
          'levels, '
          f'{sum(int((l > 1).sum()) for l in levels) / pixels:.2%} of pixels '
          'more than one level apart')


if __name__ == '__main__':
    main()
