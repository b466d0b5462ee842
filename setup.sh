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
# KenLM's trainer (lmplz) for the kenlm_perplexity signal: built once from the kenlm sdist into
# ~/.cache/finebooks/kenlm-bin when cmake and Boost are installed (about a minute), else say how to get it
if command -v cmake >/dev/null 2>&1 && [ -e /usr/include/boost/program_options.hpp ]; then
  .venv/bin/python -m filters.signals.kenlm_bin || echo "KenLM tools not built; the kenlm_perplexity trainer will not run"
else
  echo "KenLM tools (lmplz) not built: cmake or Boost missing. To train kenlm_perplexity models:" \
    "apt-get install cmake build-essential libboost-program-options-dev libboost-system-dev" \
    "libboost-thread-dev libboost-test-dev libeigen3-dev zlib1g-dev libbz2-dev liblzma-dev && ./setup.sh"
fi
# The CER estimator's default model (ocr_cer_estimate; the quickstart filters on it): trained once on the ICDAR2019
# and GHT OCR/gold pairs of ../shared/data (not on the quickstart's own collections) into
# $FINEBOOKS_CACHE/models (80 s on the 2-core VM, 2026-11-30); trained again when the features changed since
DATA=${FINEBOOKS_SHARED_DATA:-../shared/data}
CER_MODEL=${FINEBOOKS_CACHE:-$HOME/.cache/finebooks}/models/cer-estimator.joblib
if [ -d "$DATA/ocr_gold/icdar2019" ] && [ -d "$DATA/ocr_gold/ght" ]; then
  if ! .venv/bin/python -c "import sys; from filters.signals.cer_model import load_model; load_model(sys.argv[1])" \
    "$CER_MODEL" 2>/dev/null; then
    echo "training the CER estimator's default model into $CER_MODEL"
    .venv/bin/python -m filters.signals.train_cer --threads 1 --out "$CER_MODEL" \
      --gold "icdar:$DATA/ocr_gold/icdar2019/evaluation_4M_without_Finnish" \
      --gold "ght:$DATA/ocr_gold/ght/guten_ht_high_dev.tsv" --gold "ght:$DATA/ocr_gold/ght/guten_ht_low_dev.tsv" \
      --gold "ght:$DATA/ocr_gold/ght/guten_ht_high_test.tsv" --gold "ght:$DATA/ocr_gold/ght/guten_ht_low_test.tsv" \
      | grep -v "^features: " \
      || echo "ERROR: the CER estimator's default model was not trained; the quickstart needs it (see above)" >&2
  fi
else
  echo "no OCR/gold data at $DATA: the CER estimator's default model (used by the quickstart) is not trained;" \
    "train one with python -m filters.signals.train_cer (README)"
fi
# nanotron's config classes for tests/test_nanotron.py, in their own environment: lighteval breaks when nanotron is
# importable beside it. PyPI's nanotron 0.4 on the CPU torch (about 20 s); GPU training installs nanotron from its
# repository instead (docs/nanotron.md).
if { [ -x .venv-nanotron/bin/python ] || "$PYTHON" -m venv .venv-nanotron; } \
  && .venv-nanotron/bin/python -m pip install --quiet "torch==2.13.0" \
  && .venv-nanotron/bin/python -m pip install --quiet "nanotron==0.4"; then
  echo "nanotron 0.4 (config checks only) installed in $(pwd)/.venv-nanotron"
else
  echo "ERROR: .venv-nanotron could not be set up (see pip's messages above); tests/test_nanotron.py fails until" \
    "./setup.sh completes it" >&2
fi
# Tesseract 5 and the models the OCR benchmark's tests and configs/ocrbench_ocr_images.yaml use (Debian packages,
# tessdata_fast): installed when this runs as root on a machine with apt-get; FINEBOOKS_NO_TESSERACT=1 skips it.
TESSERACT_PACKAGES="tesseract-ocr tesseract-ocr-eng tesseract-ocr-fra tesseract-ocr-deu tesseract-ocr-frk \
  tesseract-ocr-lat tesseract-ocr-ita tesseract-ocr-cos tesseract-ocr-script-latn tesseract-ocr-script-frak"
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 && [ -z "${FINEBOOKS_NO_TESSERACT:-}" ] \
  && ! { command -v tesseract >/dev/null 2>&1 && tesseract --list-langs 2>/dev/null | grep -qx Fraktur \
         && tesseract --list-langs 2>/dev/null | grep -qx cos; }; then
  # shellcheck disable=SC2086
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $TESSERACT_PACKAGES >/dev/null \
    || echo "ERROR: Tesseract packages not installed; tests/test_ocrbench*.py will fail" >&2
elif ! command -v tesseract >/dev/null 2>&1; then
  echo "Tesseract not found: the OCR benchmark's tesseract engine needs apt-get install $TESSERACT_PACKAGES" >&2
fi
# A single-node SLURM cluster for tests/test_slurm.py (Debian slurm-wlm + munge, about 10 s): installed when this
# runs as root on a machine with apt-get and no SLURM; FINEBOOKS_NO_SLURM=1 skips it. Started by the tests.
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 && ! command -v sbatch >/dev/null 2>&1 \
  && [ -z "${FINEBOOKS_NO_SLURM:-}" ]; then
  slurm/local_cluster.sh install || echo "ERROR: SLURM packages not installed; tests/test_slurm.py will fail" >&2
fi
echo "FineBooks installed in $(pwd)/.venv"
