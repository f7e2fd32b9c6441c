#!/usr/bin/env bash
# Build the project's virtual environment (.venv) from nothing, idempotently.
#
#   tools/bootstrap.sh          # build or update .venv, skip when up to date
#   tools/bootstrap.sh --check  # exit 0 when .venv is up to date, 1 otherwise
#   INDEXNET_HOST=mmagic tools/bootstrap.sh   # the MMagic 1.2.0 host in .venv-mmagic
#
# The host (mmedit 1.0.0rc7 by default, or mmagic 1.2.0) gets its own venv:
# mmedit.engine and mmagic.engine cannot be imported in one process.
#
# A stamp keyed on the requirement files and this script makes a second run
# a no-op. Every pip step runs under requirements/constraints.txt. Any failing
# step stops the script with its name; the stamp is written last, so a broken
# environment is never taken for a finished one.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
HOST="${INDEXNET_HOST:-mmedit}"
case "$HOST" in
  mmedit) HOST_REQUIREMENTS=(mmedit==1.0.0rc7); DEFAULT_VENV="$ROOT/.venv" ;;
  mmagic) HOST_REQUIREMENTS=(-r "$ROOT/requirements/mmagic.txt"); DEFAULT_VENV="$ROOT/.venv-mmagic" ;;
  *) echo "[bootstrap] INDEXNET_HOST must be mmedit or mmagic, got '$HOST'" >&2; exit 2 ;;
esac
VENV="${INDEXNET_VENV:-$DEFAULT_VENV}"
PYTHON="${INDEXNET_PYTHON:-python3.11}"
CONSTRAINTS="$ROOT/requirements/constraints.txt"
STAMP="$VENV/.bootstrap-stamp"

fingerprint() {
  { echo "host $HOST"; cat "$ROOT"/requirements/*.txt "$ROOT/setup.py" "$ROOT/tools/bootstrap.sh" \
    "$ROOT/tools/cxx_std20.sh"; } | sha256sum | cut -d' ' -f1
}

step() { echo "[bootstrap] $*"; CURRENT_STEP="$*"; }
trap 'echo "[bootstrap] FAILED at step: ${CURRENT_STEP:-start}" >&2' ERR

if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$(fingerprint)" ]; then
  echo "[bootstrap] $VENV is up to date"
  exit 0
elif [ "${1:-}" = "--check" ]; then
  echo "[bootstrap] $VENV is missing or out of date"
  exit 1
fi
rm -f "$STAMP"

step "create virtual environment $VENV with $PYTHON"
command -v "$PYTHON" >/dev/null || { echo "[bootstrap] $PYTHON not found; set INDEXNET_PYTHON" >&2; false; }
[ -x "$VENV/bin/python" ] || "$PYTHON" -m venv "$VENV"
PIP=("$VENV/bin/python" -m pip install --constraint "$CONSTRAINTS")

step "build tools (setuptools<81 keeps pkg_resources for openmim, mmengine, mmcv)"
"${PIP[@]}" --upgrade pip wheel 'setuptools>=77,<81' ninja

step "torch and torchvision"
"${PIP[@]}" -r "$ROOT/requirements/torch.txt"

step "mmengine and openmim"
"${PIP[@]}" mmengine==0.10.7 openmim==0.3.9 'numpy<2'

if "$VENV/bin/python" -c "import mmcv, mmcv.ops; assert mmcv.__version__ == '2.0.1'" 2>/dev/null; then
  step "mmcv 2.0.1 with ops already installed"
else
  step "mmcv 2.0.1 with ops: a prebuilt wheel from pip's cache or PIP_FIND_LINKS, else a source build (about 30 minutes on 2 cores the first time)"
  MMCV_WITH_OPS=1 MAX_JOBS="${MAX_JOBS:-$(nproc)}" CXX="$ROOT/tools/cxx_std20.sh" \
    "${PIP[@]}" --no-build-isolation --progress-bar on --verbose mmcv==2.0.1 \
    | grep --line-buffered -E '^(Building|Collecting|Processing|Using cached|Installing|Successfully|Created wheel|building|\[[0-9]+/[0-9]+\])' || true
  "$VENV/bin/python" -c "import mmcv, mmcv.ops; assert mmcv.__version__ == '2.0.1'" \
    || { echo "[bootstrap] mmcv 2.0.1 with ops did not install (see the pip output above)" >&2; false; }
fi

# One resolution for the host, the runtime and the [auto] extra: mediapipe
# needs protobuf<5, so pip picks the onnx that accepts it (installed apart,
# mediapipe would downgrade protobuf under an onnx that needs 6).
step "host $HOST, runtime requirements and the [auto] extra (mediapipe)"
"${PIP[@]}" "${HOST_REQUIREMENTS[@]}" -r "$ROOT/requirements/runtime.txt" -r "$ROOT/requirements/auto.txt"

step "indexnet_plugin (editable) with test requirements, the [auto], [quantize], [ray] and [video] extras and the app's Gradio for $HOST"
"${PIP[@]}" -e "$ROOT[tests,auto,app,quantize,ray,video]" -r "$ROOT/requirements/app-$HOST.txt"

# The app's browser tests drive Debian's Chromium (never a downloaded build).
if command -v chromium >/dev/null && command -v chromedriver >/dev/null; then
  step "chromium and chromium-driver already installed"
elif [ "$(id -u)" = 0 ]; then
  step "chromium and chromium-driver (Debian packages, for the app's browser tests)"
  flock /tmp/apt.lock apt-get update -qq
  DEBIAN_FRONTEND=noninteractive flock /tmp/apt.lock apt-get install -y -qq chromium chromium-driver
else
  step "chromium and chromium-driver missing: the app's browser tests need them (as root: apt-get install chromium chromium-driver)"
fi

step "check imports"
INDEXNET_PLUGIN_HOST="$HOST" "$VENV/bin/python" -c "import $HOST.models, mmcv.ops, indexnet_plugin; print('[bootstrap] import check passed')"

fingerprint > "$STAMP"
echo "[bootstrap] done: $VENV"
