"""``python -m indexnet_plugin.app``: the same as ``indexnet-app``."""
import sys

from .cli import main

sys.exit(main())
