"""Write a small synthetic Composition-1k download (Adobe layout, plus COCO-
and VOC-style background folders), deterministic from ``--seed``.

Example::

    python tools/make_synthetic_comp1k.py /tmp/synthetic --seed 0
    python tools/prepare_comp1k.py /tmp/synthetic /tmp/synthetic/coco \\
        /tmp/synthetic/VOCdevkit --out data/adobe_composition-1k

or both at once with ``--prepare-into data/adobe_composition-1k``.
"""
import argparse
import sys
import time

from indexnet_plugin.datasets.comp1k import (make_synthetic_comp1k,
                                             prepare_comp1k)


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.split('\n\n')[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument('root', help='output folder')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--train-fg', type=int, default=4)
    parser.add_argument('--train-bg-per-fg', type=int, default=2)
    parser.add_argument('--test-fg', type=int, default=2)
    parser.add_argument('--test-bg-per-fg', type=int, default=2)
    parser.add_argument(
        '--min-size',
        type=int,
        nargs=2,
        default=[320, 320],
        metavar=('H', 'W'),
        help='smallest foreground')
    parser.add_argument(
        '--max-size',
        type=int,
        nargs=2,
        default=[400, 480],
        metavar=('H', 'W'),
        help='largest foreground')
    parser.add_argument(
        '--prepare-into',
        metavar='OUT',
        help='also prepare the result into this root (as prepare_comp1k.py)')
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    start = time.perf_counter()
    try:
        sources = make_synthetic_comp1k(
            args.root,
            seed=args.seed,
            num_train_fg=args.train_fg,
            train_bg_per_fg=args.train_bg_per_fg,
            num_test_fg=args.test_fg,
            test_bg_per_fg=args.test_bg_per_fg,
            min_size=tuple(args.min_size),
            max_size=tuple(args.max_size))
    except ValueError as error:
        print(f'error: {error}', file=sys.stderr)
        return 2
    print(f'wrote the synthetic download to {args.root} in '
          f'{time.perf_counter() - start:.1f} s')
    if args.prepare_into:
        report = prepare_comp1k(*sources, out_root=args.prepare_into)
        if report.problems:
            print('\n'.join(map(str, report.problems)), file=sys.stderr)
            return 1
        print(f'prepared {args.prepare_into} '
              f'({report.written + report.skipped} composites)')
    return 0


if __name__ == '__main__':
    sys.exit(main())
