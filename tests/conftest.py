"""Shared test fixtures: the repo root on sys.path and the real data folder (``shared_data``)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The real data: $FINEBOOKS_SHARED_DATA, else <repo root>/../shared/data. Missing data fails the test."""
    env = os.environ.get("FINEBOOKS_SHARED_DATA")
    path = Path(env) if env else REPO_ROOT.parent / "shared" / "data"
    if not path.is_dir():
        pytest.fail(
            f"shared data folder not found at {path} (set FINEBOOKS_SHARED_DATA or place it at ../shared/data "
            "beside the repo); tests that read real data cannot run without it",
            pytrace=False,
        )
    return path
