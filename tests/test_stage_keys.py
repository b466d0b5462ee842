"""Stage keys hold what decides the output (issue #14, item 6): a data file edited at equal size, or a user block's
source edited, names a new process stage folder; unchanged inputs name the same folder, in this process and in
another one."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from pipelines.code_closure import code_fingerprint
from pipelines.config import BlockSpec, DataConfig, ExecutorConfig
from pipelines.fingerprint import listing_fingerprint
from pipelines.process import ProcessStage

REPO = Path(__file__).resolve().parents[1]

BLOCK_SOURCE = """\
from datatrove.pipeline.filters.base_filter import BaseFilter


class ShortBooks(BaseFilter):
    name = "short books"

    def __init__(self, min_chars: int = 10, exclusion_writer=None):
        super().__init__(exclusion_writer)
        self.min_chars = min_chars

    def filter(self, doc):
        return len(doc.text) >= self.min_chars  # threshold: 1
"""


@pytest.fixture
def inputs(tmp_path: Path, monkeypatch) -> tuple[Path, Path, str]:
    """A data folder of two books and a block module outside the project (the module name is unique per test)."""
    data = tmp_path / "books"
    data.mkdir()
    (data / "a.txt").write_text("the first book " * 20)
    (data / "b.txt").write_text("the second book " * 20)
    module = f"user_blocks_{tmp_path.name.replace('-', '_')}"
    code = tmp_path / "code"
    code.mkdir()
    (code / f"{module}.py").write_text(BLOCK_SOURCE)
    monkeypatch.syspath_prepend(str(code))
    return data, code / f"{module}.py", f"{module}:ShortBooks"


def stage_folder(data: Path, block: str, root: Path) -> str:
    cfg = DataConfig(sources=[{"name": "books", "format": "text", "path": str(data)}])
    stage = ProcessStage(cfg, [BlockSpec(block=block)], ExecutorConfig(), root, progress=False)
    return stage.folder.name


def test_an_edit_at_equal_size_or_of_a_block_s_code_names_a_new_stage(inputs, tmp_path):
    data, source, block = inputs
    first = stage_folder(data, block, tmp_path)
    assert stage_folder(data, block, tmp_path) == first  # unchanged inputs: the same folder

    book = data / "a.txt"
    text = book.read_text()
    book.write_text(text.replace("first", "FIRST"))
    assert book.stat().st_size == len(text)  # same size, other content
    edited_data = stage_folder(data, block, tmp_path)
    assert edited_data != first

    source.write_text(BLOCK_SOURCE.replace("threshold: 1", "threshold: 2"))  # a code fix of the same size
    assert source.stat().st_size == len(BLOCK_SOURCE)
    assert stage_folder(data, block, tmp_path) not in (first, edited_data)


def test_the_key_is_the_same_in_another_process(inputs, tmp_path):
    data, source, block = inputs
    here = stage_folder(data, block, tmp_path)
    script = (
        "import sys; sys.path.insert(0, sys.argv[1]); from tests.test_stage_keys import stage_folder; "
        "from pathlib import Path; print(stage_folder(Path(sys.argv[2]), sys.argv[3], Path(sys.argv[4])))"
    )
    out = subprocess.run(
        [sys.executable, "-c", script, str(source.parent), str(data), block, str(tmp_path)],
        capture_output=True,
        text=True,
        cwd=REPO,
        check=True,
        env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"},
    )
    assert out.stdout.strip().splitlines()[-1] == here


def test_a_large_listing_falls_back_to_modification_times(tmp_path, monkeypatch):
    from datatrove.io import get_datafolder

    import pipelines.fingerprint as fp

    (tmp_path / "x.txt").write_text("abc")
    folder = get_datafolder(str(tmp_path))
    assert listing_fingerprint(folder, ["x.txt"])["content"] == "sha256"
    monkeypatch.setattr(fp, "HASH_TOTAL_LIMIT", 1)
    fingerprint = listing_fingerprint(folder, ["x.txt"])
    assert fingerprint["content"] == "mtime"
    (tmp_path / "x.txt").write_text("abd")
    os.utime(tmp_path / "x.txt", ns=(1, 1))  # another time: another key
    assert listing_fingerprint(folder, ["x.txt"])["listing_sha256"] != fingerprint["listing_sha256"]


def test_the_code_version_names_the_package_and_hashes_the_source_of_the_class_and_its_bases():
    from filters.cleanup.dehyphenate import Dehyphenate

    code = code_fingerprint(Dehyphenate)
    assert code["class"] == "filters.cleanup.dehyphenate:Dehyphenate"
    assert code["package"] and "finebooks" in code["package"]
    assert len(code["source_sha256"]) == 64
    assert json.dumps(code)  # plain JSON: the key is written to stage_key.json
