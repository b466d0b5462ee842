"""configs/readers_demo.yaml shows every reader in its output: ALTO and PAGE books kept, as Markdown."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
from test_process import REPO, run_cli


@pytest.mark.slow
def test_readers_demo_keeps_alto_and_page_books(tmp_path: Path, shared_data: Path):
    res = run_cli(
        str(REPO / "configs/readers_demo.yaml"),
        "--stage",
        "process",
        "--set",
        f"experiment.output_dir={tmp_path}",
        env_extra={"FINEBOOKS_SHARED_DATA": str(shared_data)},
    )
    assert res.returncode == 0, res.stderr[-3000:]
    summary = json.loads((tmp_path / "readers_demo" / "summary.json").read_text())
    stage = Path(summary["stages"]["process"]["folder"])
    docs = [json.loads(line) for f in sorted((stage / "output").glob("*.jsonl*")) for line in gzip.open(f, "rt")]
    formats = {d["metadata"]["source"] for d in docs}
    assert {"old_books", "old_books_hocr", "dach_alto", "dach_page"} <= formats
    alto = {d["id"] for d in docs if d["metadata"]["source"] == "dach_alto"}
    assert "dach_alto/data/DE-4/urn_nbn_de_hebis_04-eb2010-01689/alto" in alto
    assert len(alto) == 3 and sum(d["metadata"]["source"] == "dach_page" for d in docs) == 6
    assert all(d["metadata"]["text_format"] == "markdown" for d in docs)
    with_roles = {d["metadata"]["source"] for d in docs if d["metadata"]["markdown_fallback"] is None}
    assert {"dach_alto", "dach_page"} <= with_roles  # written from ALTO tags and PAGE region types
    dropped = summary["documents"]["dropped"]["book_length"]
    assert sum(dropped.values()) >= 1  # the 4-page newspaper issue
