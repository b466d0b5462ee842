"""A user's own reader and dedup kind, from a module outside the project, named by dotted path in a recipe: checked
against their own signatures (file:line errors), pinned in the resolved recipe, run by the real stages."""

from __future__ import annotations

import gzip
import json
import os
from pathlib import Path

import pytest

from ablations.recipe.loader import ConfigError, dump_recipe, load_recipe
from pipelines.chain import run_processing
from pipelines.process import ProcessStage

USER_MODULE = '''\
"""Not part of FineBooks: a reader of page-marked books and a dedup kind dropping books that open alike."""

from typing import Annotated

from datatrove.pipeline.filters.base_filter import BaseFilter
from datatrove.pipeline.writers import JsonlWriter
from pydantic import Field

from pipelines.dedup.config import DedupKind
from pipelines.dedup.steps import _apply_steps
from pipelines.readers.base import BookReader, BookRef, PageText


class MarkedPagesReader(BookReader):
    name = "marked pages"

    def __init__(self, path: str, marker: str = "=== page ===", suffix: str = ".book", **kwargs):
        super().__init__(path, **kwargs)
        self.marker = marker
        self.suffix = suffix

    def list_units(self):
        files = sorted(self.data_folder.list_files(glob_pattern="*" + self.suffix))
        return [BookRef(f.removesuffix(self.suffix), (f,)) for f in files]

    def read_unit(self, unit):
        path = unit.paths[0]
        with self.data_folder.open(path, "rt") as f:
            pages = f.read().split("\\n" + self.marker + "\\n")
        yield self.book_from_pages(unit.id, path, [(path, PageText(p)) for p in pages], {"marker": self.marker})


class _DropSameOpening(BaseFilter):
    name = "same opening"

    def __init__(self, chars, exclusion_writer=None):
        super().__init__(exclusion_writer)
        self.chars = chars
        self.seen = set()

    def filter(self, doc):
        opening = doc.text[: self.chars]
        if opening in self.seen:
            return False, "same_opening"
        self.seen.add(opening)
        return True


class SameOpening(DedupKind):
    def __init__(self, chars: Annotated[int, Field(ge=1)] = 40, **kwargs):
        super().__init__(**kwargs)
        self.chars = chars

    def steps(self, input_folder, folder, executor):
        writer = JsonlWriter(str(folder / "excluded"), output_filename="${rank}.jsonl")
        drop = _DropSameOpening(self.chars, exclusion_writer=writer if self.keep_dropped else None)
        return [_apply_steps(input_folder, folder, self, [drop], executor)]
'''


@pytest.fixture
def plugins(tmp_path: Path, monkeypatch) -> Path:
    """The user module in a folder of its own, importable here and in any worker process."""
    folder = tmp_path / "plugins"
    folder.mkdir()
    (folder / "finebooks_user_plugins.py").write_text(USER_MODULE)
    monkeypatch.syspath_prepend(str(folder))
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(folder), os.environ.get("PYTHONPATH")])))
    return folder


def recipe(tmp_path: Path, reader_keys: str = "", dedup_keys: str = "    chars: 30\n") -> Path:
    books = tmp_path / "books"
    books.mkdir(exist_ok=True)
    marker = "\n=== page ===\n"
    (books / "a.book").write_text(f"Call me Ishmael. Some years ago{marker}never mind how long")
    (books / "b.book").write_text(f"Call me Ishmael. Some years ago, a copy{marker}of the same book{marker}again")
    (books / "c.book").write_text(f"It was the best of times{marker}it was the worst of times")
    (books / "notes.txt").write_text("not a book")
    path = tmp_path / "user.yaml"
    path.write_text(
        f"""\
experiment:
  name: user
  output_dir: {tmp_path / "runs"}
data:
  sources:
    - name: mine
      format: finebooks_user_plugins:MarkedPagesReader
      path: {books}
{reader_keys}dedup:
  - kind: finebooks_user_plugins.SameOpening
{dedup_keys}executor:
  tasks: 1
  workers: 1
"""
    )
    return path


def read_jsonl(folder: Path) -> list[dict]:
    return [json.loads(line) for f in sorted(folder.glob("*.jsonl*")) for line in gzip.open(f, "rt")]


def test_user_reader_and_dedup_kind_run_through_the_process_and_dedup_stages(tmp_path, plugins):
    cfg = load_recipe(recipe(tmp_path))
    source, dedup = cfg.data.sources[0], cfg.dedup[0]
    assert source.params() == {"path": str(tmp_path / "books"), "marker": "=== page ===", "suffix": ".book"}
    assert dedup.id == "SameOpening" and dedup.params() == {"chars": 30} and dedup.keep_dropped
    resolved = tmp_path / "resolved.yaml"
    resolved.write_text(dump_recipe(cfg))
    assert load_recipe(resolved) == cfg  # the defaults are pinned and read back

    result = run_processing(cfg.data, cfg.blocks(), cfg.dedup, cfg.executor, tmp_path / "stages", progress=False)
    summary = result.summary
    assert summary["in"] == {"documents": 3, "pages": 7, "bytes": summary["in"]["bytes"]}
    assert summary["dropped"] == {"SameOpening": {"same_opening": 1}}
    assert summary["kept"]["documents"] == 2 and summary["unaccounted"] == 0
    kept = {d["id"]: d for d in read_jsonl(result.folder / "output")}
    assert set(kept) == {"mine/a", "mine/c"} and kept["mine/a"]["metadata"]["n_pages"] == 2
    assert kept["mine/c"]["text"] == "It was the best of times\n\f\nit was the worst of times"
    assert kept["mine/c"]["metadata"]["marker"] == "=== page ==="
    (dropped,) = read_jsonl(result.folder / "excluded")
    assert dropped["id"] == "mine/b" and dropped["metadata"]["filter_reason"] == "same_opening"


def test_user_plugin_parameters_are_checked_against_their_signature_with_file_and_line(tmp_path, plugins):
    path = recipe(tmp_path, reader_keys="      markr: '#'\n")
    with pytest.raises(ConfigError) as e:
        load_recipe(path)
    assert f"{path}:9: data.sources.0.markr: unknown key (reader 'finebooks_user_plugins:MarkedPagesReader'" in str(
        e.value
    )
    assert "takes name, format, limit, path, marker, suffix" in str(e.value)
    path = recipe(tmp_path, dedup_keys="    chars: 0\n")
    with pytest.raises(ConfigError) as e:
        load_recipe(path)
    assert f"{path}:11: dedup.0.chars: dedup kind 'finebooks_user_plugins.SameOpening' parameter 'chars'" in str(
        e.value
    )
    assert "greater than or equal to 1" in str(e.value)
    path = recipe(tmp_path, dedup_keys="    chars: 30\n    window: 3\n")
    with pytest.raises(ConfigError, match=f"{path}:12: dedup.0.window: unknown key"):
        load_recipe(path)


def test_a_class_that_is_no_reader_is_refused(tmp_path, plugins):
    path = recipe(tmp_path)
    path.write_text(path.read_text().replace(":MarkedPagesReader", ":SameOpening"))
    with pytest.raises(ConfigError, match=f"{path}:6: data.sources.0: .*is not a subclass of .*BookReader"):
        load_recipe(path)


def test_every_reader_parameter_names_the_process_stage_folder(tmp_path, plugins):
    """Two sources differing in one parameter (even one left at its default elsewhere) never share a folder."""
    cfg = load_recipe(recipe(tmp_path))
    other = load_recipe(recipe(tmp_path, reader_keys="      marker: '---'\n"))
    same = load_recipe(recipe(tmp_path, reader_keys="      marker: '=== page ==='\n"))
    folder = ProcessStage(cfg.data, [], cfg.executor, tmp_path / "stages").folder
    assert folder != ProcessStage(other.data, [], other.executor, tmp_path / "stages").folder
    assert folder == ProcessStage(same.data, [], same.executor, tmp_path / "stages").folder
