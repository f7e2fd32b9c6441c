"""``python -m indexnet_plugin``: versions and the packaged configs.

    python -m indexnet_plugin --version               # for bug reports
    python -m indexnet_plugin --list-configs          # name and file per line
    python -m indexnet_plugin --config-path indexnet_demo

``--config-path`` prints the file of a packaged config, e.g. for
``mim train mmedit "$(python -m indexnet_plugin --config-path indexnet_demo)"``.
"""
import argparse
import sys
from typing import Optional, Sequence

from .configs import config_names, resolve_config
from .environment import version_report


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Run the command; returns the exit status (2: unknown config name)."""
    parser = argparse.ArgumentParser(
        prog='python -m indexnet_plugin',
        description='IndexNet matting plugin: versions and packaged configs.',
        # keeps the version report one library per line
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        '--version', action='version', version=version_report())
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument(
        '--list-configs', action='store_true',
        help='print the packaged config names and files')
    group.add_argument(
        '--config-path', metavar='NAME',
        help='print the file of the packaged config NAME')
    args = parser.parse_args(argv)
    if args.list_configs:
        for name in config_names():
            print(name, resolve_config(name))
        return 0
    try:
        print(resolve_config(args.config_path))
    except FileNotFoundError as error:
        parser.error(str(error))
    return 0


if __name__ == '__main__':
    sys.exit(main())
