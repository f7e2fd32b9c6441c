"""Convert the IndexNet authors' checkpoint for this plugin.

    python tools/convert_original_checkpoint.py \\
        indexnet_matting.pth.tar indexnet_mobv2_original.pth

SRC is ``pretrained/indexnet_matting.pth.tar`` of poppinace/indexnet_matting
(the paper's M2O DINs model). DST loads like a released OpenMMLab checkpoint;
use it with ``configs/indexnet_mobv2_original.py`` (the authors' test
protocol). A file that is not the authors' checkpoint, is already converted or
does not fit the network is refused with the reason (exit status 2) and
nothing is written.
"""
import argparse
import sys

from indexnet_plugin.apis import CheckpointError
from indexnet_plugin.apis import convert_original_checkpoint


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('src', help="the authors' indexnet_matting.pth.tar")
    parser.add_argument('dst', help='converted checkpoint to write')
    args = parser.parse_args(argv)
    try:
        meta = convert_original_checkpoint(args.src, args.dst)
    except CheckpointError as error:
        print(f'error: {error}', file=sys.stderr)
        return 2
    print(f"{args.dst} (from {meta['source']}, sha256 "
          f"{meta['source_sha256'][:12]}...)")
    return 0


if __name__ == '__main__':
    sys.exit(main())
