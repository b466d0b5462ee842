#!/usr/bin/env bash
# Set up FineBooks on a fresh machine: a virtual environment in .venv with everything installed.
# Without an NVIDIA GPU, torch is pinned to the 2.13.0 CPU build first, so nothing pulls a multi-GB CUDA build.
set -euo pipefail
cd "$(dirname "$0")"
PYTHON=${PYTHON:-python3}
FAILED=()  # steps that were tried and failed: named at the end, and setup.sh exits 1 (CI then fails)
# apt-get install, after one apt-get update per run (a fresh image has no package lists)
APT_UPDATED=
apt_install() {
  if [ -z "$APT_UPDATED" ]; then apt-get update -qq >/dev/null && APT_UPDATED=1 || return 1; fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}
can_apt() { [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; }
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
.venv/bin/python -m pip install --quiet --upgrade pip
if ! command -v nvidia-smi >/dev/null 2>&1 || ! nvidia-smi >/dev/null 2>&1; then
  .venv/bin/python -m pip install --quiet "torch==2.13.0"
fi
# the signals extra (fastText, KenLM: blocks no shipped recipe uses) too, so that their tests run
.venv/bin/python -m pip install --quiet -e ".[dev,signals]"
# KenLM's trainer (lmplz) for the kenlm_perplexity signal: built once from the kenlm sdist into
# ~/.cache/finebooks/kenlm-bin (about a minute). Its build dependencies (the list .ci/run installs too) are
# installed first when this runs as root on a machine with apt-get; FINEBOOKS_NO_KENLM=1 skips both.
KENLM_PACKAGES="cmake build-essential libboost-program-options-dev libboost-system-dev libboost-thread-dev \
  libboost-test-dev libeigen3-dev zlib1g-dev libbz2-dev liblzma-dev"
if [ -z "${FINEBOOKS_NO_KENLM:-}" ]; then
  if can_apt; then
    # shellcheck disable=SC2086
    missing=$(for p in $KENLM_PACKAGES; do
      dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || echo "$p"; done)
    if [ -n "$missing" ]; then
      # shellcheck disable=SC2086
      apt_install $missing || FAILED+=("apt-get install of KenLM's build dependencies ($(echo $missing))")
    fi
  fi
  if command -v cmake >/dev/null 2>&1 && [ -e /usr/include/boost/program_options.hpp ]; then
    .venv/bin/python -m filters.signals.kenlm_bin || FAILED+=("KenLM build (python -m filters.signals.kenlm_bin)")
  else
    # shellcheck disable=SC2086
    echo "KenLM tools (lmplz) not built: cmake or Boost missing. To train kenlm_perplexity models (and for" \
      "tests/test_kenlm*): apt-get install $(echo $KENLM_PACKAGES) && ./setup.sh" >&2
  fi
fi
# The CER estimator's default model (ocr_cer_estimate; the quickstart filters on it): trained once on the ICDAR2019
# and GHT OCR/gold pairs of ../shared/data (not on the quickstart's own collections) into
# $FINEBOOKS_CACHE/models (80 s on the 2-core VM, 2026-11-30); trained again when the features or the file format
# changed since (load_model refuses it; an earlier version's cer-estimator.joblib, a pickle, is no longer read)
DATA=${FINEBOOKS_SHARED_DATA:-../shared/data}
CER_MODEL=${FINEBOOKS_CACHE:-$HOME/.cache/finebooks}/models/cer-estimator.npz
if [ -d "$DATA/ocr_gold/icdar2019" ] && [ -d "$DATA/ocr_gold/ght" ]; then
  if ! .venv/bin/python -c "import sys; from filters.signals.cer_model import load_model; load_model(sys.argv[1])" \
    "$CER_MODEL" 2>/dev/null; then
    echo "training the CER estimator's default model into $CER_MODEL"
    .venv/bin/python -m filters.signals.train_cer --threads 1 --out "$CER_MODEL" \
      --gold "icdar:$DATA/ocr_gold/icdar2019/evaluation_4M_without_Finnish" \
      --gold "ght:$DATA/ocr_gold/ght/guten_ht_high_dev.tsv" --gold "ght:$DATA/ocr_gold/ght/guten_ht_low_dev.tsv" \
      --gold "ght:$DATA/ocr_gold/ght/guten_ht_high_test.tsv" --gold "ght:$DATA/ocr_gold/ght/guten_ht_low_test.tsv" \
      | grep -v "^features: " \
      || FAILED+=("the CER estimator's default model (the quickstart needs it; see above)")
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
  FAILED+=(".venv-nanotron (see pip's messages above; tests/test_nanotron.py needs it)")
fi
# Tesseract 5 and the models the OCR benchmark's tests and configs/ocrbench_ocr_images.yaml use (Debian packages,
# tessdata_fast): installed when this runs as root on a machine with apt-get; FINEBOOKS_NO_TESSERACT=1 skips it.
TESSERACT_PACKAGES="tesseract-ocr tesseract-ocr-eng tesseract-ocr-fra tesseract-ocr-deu tesseract-ocr-frk \
  tesseract-ocr-lat tesseract-ocr-ita tesseract-ocr-cos tesseract-ocr-script-latn tesseract-ocr-script-frak"
if can_apt && [ -z "${FINEBOOKS_NO_TESSERACT:-}" ] \
  && ! { command -v tesseract >/dev/null 2>&1 && tesseract --list-langs 2>/dev/null | grep -qx Fraktur \
         && tesseract --list-langs 2>/dev/null | grep -qx cos; }; then
  # shellcheck disable=SC2086
  apt_install $TESSERACT_PACKAGES || FAILED+=("Tesseract packages (tests/test_ocrbench*.py need them)")
elif ! command -v tesseract >/dev/null 2>&1; then
  echo "Tesseract not found: the OCR benchmark's tesseract engine needs apt-get install $TESSERACT_PACKAGES" >&2
fi
# A single-node SLURM cluster for tests/test_slurm.py (Debian slurm-wlm + munge, about 10 s): installed when this
# runs as root on a machine with apt-get and no SLURM; FINEBOOKS_NO_SLURM=1 skips it. Started by the tests.
if can_apt && ! command -v sbatch >/dev/null 2>&1 && [ -z "${FINEBOOKS_NO_SLURM:-}" ]; then
  { [ -n "$APT_UPDATED" ] || apt-get update -qq >/dev/null; } && slurm/local_cluster.sh install \
    || FAILED+=("SLURM packages (tests/test_slurm.py needs them)")
fi
if [ ${#FAILED[@]} -gt 0 ]; then
  echo "ERROR: setup.sh did not complete ${#FAILED[@]} step(s):" >&2
  printf '  %s\n' "${FAILED[@]}" >&2
  exit 1
fi
echo "FineBooks installed in $(pwd)/.venv"
