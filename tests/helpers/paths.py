"""Where the repository and the environment's executables are."""
import sys
from pathlib import Path

# tests/helpers/paths.py -> the repository.
REPO = Path(__file__).resolve().parents[2]
# Console scripts of the environment that runs the tests (mim,
# indexnet-predict, ...).
BIN = Path(sys.executable).parent
