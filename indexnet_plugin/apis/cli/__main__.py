"""``python -m indexnet_plugin.apis.cli``: ``indexnet-predict``."""
import sys

from .predict import main

sys.exit(main())
