"""Prepare Adobe Composition-1k for the IndexNet configs.

Composites every foreground of the Adobe Deep Image Matting download onto its
listed COCO (training) or VOC (test) backgrounds and writes
``training_list.json`` / ``test_list.json`` for mmedit's
``AdobeComp1kDataset`` under ``--out`` (default
``data/adobe_composition-1k``). Resumable: composites already written are
skipped. Missing or unreadable inputs are listed at the end and make the exit
status 1; a split with problems gets no annotation file.

Example::

    python tools/prepare_comp1k.py /data/adobe /data/coco /data/VOCdevkit \\
        --out data/adobe_composition-1k --nproc 8
"""
import argparse
import sys

from indexnet_plugin.datasets.comp1k import SPLITS, prepare_comp1k


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.split('\n\n')[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument(
        'adobe_root',
        help='Adobe download: the folder containing Combined_Dataset/ or '
        'Combined_Dataset/ itself')
    parser.add_argument(
        'coco_root', help='COCO root with train2014/ or train2017/')
    parser.add_argument(
        'voc_root', help='VOCdevkit root with VOC2012/JPEGImages/')
    parser.add_argument(
        '--out',
        default='data/adobe_composition-1k',
        help='prepared root; the download itself prepares in place')
    parser.add_argument(
        '--splits',
        nargs='+',
        choices=sorted(SPLITS),
        default=['training', 'test'],
        help='splits to prepare')
    parser.add_argument(
        '--nproc', type=int, default=1, help='worker processes')
    parser.add_argument(
        '--no-progress', action='store_true', help='hide the progress bars')
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    try:
        report = prepare_comp1k(
            args.adobe_root,
            args.coco_root,
            args.voc_root,
            out_root=args.out,
            splits=args.splits,
            nproc=args.nproc,
            progress=not args.no_progress)
    except (ValueError, FileNotFoundError) as error:
        print(f'error: {error}', file=sys.stderr)
        return 2
    print(f'{report.written} composites written, {report.skipped} already '
          'present')
    for ann_file in report.ann_files:
        print(f'wrote {ann_file}')
    if report.problems:
        print(
            f'{len(report.problems)} problem(s); the annotation file of a '
            'split with problems was not written:',
            file=sys.stderr)
        for problem in report.problems:
            print(f'  {problem}', file=sys.stderr)
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
