#!/usr/bin/env bash
# Set up FineBooks on a fresh machine: a virtual environment in .venv with everything installed.
# Without an NVIDIA GPU, torch is pinned to the 2.13.0 CPU build first, so nothing pulls a multi-GB CUDA build.
set -euo pipefail
cd "$(dirname "$0")"
PYTHON=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
.venv/bin/python -m pip install --quiet --upgrade pip
if ! command -v nvidia-smi >/dev/null 2>&1 || ! nvidia-smi >/dev/null 2>&1; then
  .venv/bin/python -m pip install --quiet "torch==2.13.0"
fi
.venv/bin/python -m pip install --quiet -e ".[dev]"
echo "FineBooks installed in $(pwd)/.venv"
