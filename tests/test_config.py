"""The recipe schema: safe loading, validation errors naming file:line:key, --set overrides, round-trip."""

from __future__ import annotations

from pathlib import Path

import pytest

from ablations.recipe.loader import ConfigError, dump_recipe, load_recipe

REPO = Path(__file__).resolve().parents[1]
QUICKSTART = REPO / "configs" / "quickstart.yaml"

MINIMAL = """\
experiment:
  name: t
data:
  sources:
    - name: books
      format: text
      path: /tmp/books
filter:
  - block: book_length
    params:
      min_words: 10
"""


def write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "recipe.yaml"
    p.write_text(text)
    return p


def error_of(path: Path, overrides: list[str] | None = None) -> str:
    with pytest.raises(ConfigError) as e:
        load_recipe(path, overrides)
    return str(e.value)


def test_every_shipped_config_validates():
    from ablations.ocrbench.config import OcrBenchConfig
    from ablations.recipe.loader import load_config

    for cfg in sorted((REPO / "configs").glob("*.yaml")):
        if cfg.name.startswith("ocrbench_"):  # OCR benchmark configs (ablations/ocrbench/config.py)
            load_config(cfg, OcrBenchConfig)
        else:
            load_recipe(cfg)


def test_resolved_config_fills_every_block_default_and_round_trips(tmp_path):
    cfg = load_recipe(write(tmp_path, MINIMAL))
    assert cfg.filter[0].params == {"min_words": 10, "min_pages": 1}
    assert cfg.executor.tasks == 1 and cfg.training.backend == "hf"
    resolved = tmp_path / "resolved.yaml"
    resolved.write_text(dump_recipe(cfg))
    assert load_recipe(resolved) == cfg


def test_stock_filter_parameters_are_pinned_in_the_resolved_config(tmp_path):
    text = MINIMAL.replace("block: book_length", "block: gopher_quality").replace("min_words: 10", "max_doc_words: 10")
    params = load_recipe(write(tmp_path, text)).filter[0].params
    assert params["max_doc_words"] == 10
    assert params["min_doc_words"] == 50 and params["min_stop_words"] == 2  # upstream defaults, written down


def test_misspelled_key_names_file_line_and_key_path(tmp_path):
    path = write(tmp_path, MINIMAL.replace("      path: /tmp/books", "      path: /tmp/books\n      book_patern: x"))
    msg = error_of(path)
    assert f"{path}:8: data.sources.0.book_patern: unknown key" in msg


def test_unknown_or_wrong_reader_parameter_names_its_line_and_the_readers_keys(tmp_path):
    path = write(tmp_path, MINIMAL.replace("      path: /tmp/books", "      path: /tmp/books\n      encodng: latin-1"))
    keys = "name, format, limit, path, glob_pattern, book_pattern, encoding, form_feed_pages"
    assert f"{path}:8: data.sources.0.encodng: unknown key (reader 'text' takes {keys})" in error_of(path)
    path = write(
        tmp_path, MINIMAL.replace("      path: /tmp/books", "      path: /tmp/books\n      form_feed_pages: 7")
    )
    assert f"{path}:8: data.sources.0.form_feed_pages: reader 'text' parameter 'form_feed_pages'" in error_of(path)
    path = write(tmp_path, MINIMAL.replace("format: text\n      path: /tmp/books", "format: hub"))
    assert f"{path}:5: data.sources.0.repo: reader 'hub' needs parameter 'repo'" in error_of(path)


def test_source_defaults_come_from_the_reader_and_are_pinned(tmp_path):
    text = MINIMAL.replace(
        "      path: /tmp/books\n",
        "      path: /tmp/books\n"
        "    - {name: j, format: jsonl, path: /tmp/j}\n"
        "    - {name: h, format: hub, repo: storytracer/LoC-PD-Books, id_field: lccn}\n",
    )
    text_source, jsonl, hub = load_recipe(write(tmp_path, text)).data.sources
    assert text_source.params() == {
        "path": "/tmp/books",
        "glob_pattern": "**/*.txt",
        "book_pattern": None,
        "encoding": "utf-8",
        "form_feed_pages": True,
    }
    assert jsonl.glob_pattern == "**/*.jsonl*" and jsonl.text_field == "text" and jsonl.metadata_fields is None
    assert hub.params() == {
        "repo": "storytracer/LoC-PD-Books",
        "subset": None,
        "split": "train",
        "revision": None,
        "text_field": "text",
        "pages_field": None,
        "id_field": "lccn",
        "metadata_fields": None,
    }


def test_holdout_text_source_is_checked_like_a_data_source(tmp_path):
    holdout = (
        "evaluation:\n  holdout:\n    source: books\n    documents: 2\n"
        "    text_source: {name: g, format: icdar2017, path: /tmp/g, side: both}\n"
    )
    path = write(tmp_path, MINIMAL + holdout)
    assert f"{path}:16: evaluation.holdout.text_source.side: reader 'icdar2017' parameter 'side'" in error_of(path)


def test_wrong_type_names_line(tmp_path):
    path = write(tmp_path, MINIMAL + "executor:\n  tasks: many\n")
    assert f"{path}:13: executor.tasks: Input should be a valid integer" in error_of(path)


def test_unknown_block_parameter_points_at_the_parameter_line(tmp_path):
    path = write(tmp_path, MINIMAL.replace("min_words: 10", "min_word: 10"))
    msg = error_of(path)
    assert f"{path}:11: filter.0.params.min_word: block 'book_length' has no parameter 'min_word'" in msg


def test_wrong_block_parameter_type_and_unknown_block(tmp_path):
    assert "parameter 'min_words'" in error_of(write(tmp_path, MINIMAL.replace("min_words: 10", "min_words: lots")))
    msg = error_of(write(tmp_path, MINIMAL.replace("block: book_length", "block: book_lenght")))
    assert ":9: filter.0: " in msg and "unknown block 'book_lenght'" in msg


def test_unknown_source_format_and_missing_required_key(tmp_path):
    msg = error_of(write(tmp_path, MINIMAL.replace("format: text", "format: pdf")))
    assert "data.sources.0" in msg and "'text'" in msg
    msg = error_of(write(tmp_path, MINIMAL.replace("  name: t\n", "  seed: 1\n")))
    assert "experiment.name: required key is missing" in msg


def test_all_problems_are_reported_at_once(tmp_path):
    path = write(tmp_path, MINIMAL + "executor:\n  taks: 2\ntracking:\n  wandb: maybe\n")
    msg = error_of(path)
    assert "2 problem(s)" in msg and "executor.taks" in msg and "tracking.wandb" in msg


def test_duplicate_keys_and_bad_yaml_are_errors(tmp_path):
    twice = MINIMAL.replace("  name: t\n", "  name: t\n  name: u\n")
    assert "duplicate key experiment.name" in error_of(write(tmp_path, twice))
    assert "not valid YAML" in error_of(write(tmp_path, MINIMAL + "executor: [unclosed\n"))


def test_yaml_loading_is_safe(tmp_path):
    msg = error_of(write(tmp_path, MINIMAL.replace("name: t", "name: !!python/object/apply:os.system ['true']")))
    assert "not valid YAML" in msg


def test_set_overrides_any_value_including_list_items(tmp_path):
    path = write(tmp_path, MINIMAL)
    cfg = load_recipe(
        path, ["executor.tasks=4", "data.sources.0.limit=3", "filter.0.params.min_pages=2", "tracking.wandb=disabled"]
    )
    assert cfg.executor.tasks == 4 and cfg.data.sources[0].limit == 3
    assert cfg.filter[0].params["min_pages"] == 2 and cfg.tracking.wandb == "disabled"


def test_bad_set_overrides_are_named(tmp_path):
    path = write(tmp_path, MINIMAL)
    assert "--set executor.taks=4: executor.taks: unknown key" in error_of(path, ["executor.taks=4"])
    assert "--set data.sources.5.path" in error_of(path, ["data.sources.5.path=x"])
    assert "expected KEY.PATH=VALUE" in error_of(path, ["executor.tasks"])


def test_environment_variables_are_interpolated(tmp_path, monkeypatch):
    path = write(tmp_path, MINIMAL.replace("/tmp/books", "${BOOKS_ROOT:-/default}/x"))
    monkeypatch.delenv("BOOKS_ROOT", raising=False)
    assert load_recipe(path).data.sources[0].path == "/default/x"
    monkeypatch.setenv("BOOKS_ROOT", "/elsewhere")
    assert load_recipe(path).data.sources[0].path == "/elsewhere/x"
    path = write(tmp_path, MINIMAL.replace("/tmp/books", "${NO_SUCH_FINEBOOKS_VAR}"))
    assert "data.sources.0.path: environment variable NO_SUCH_FINEBOOKS_VAR is not set" in error_of(path)


def test_keep_dropped_only_for_blocks_that_drop(tmp_path):
    text = MINIMAL + "clean:\n  - block: datatrove.pipeline.formatters:PIIFormatter\n    keep_dropped: true\n"
    assert "does not drop documents" in error_of(write(tmp_path, text))


def test_block_ids_must_be_unique(tmp_path):
    text = MINIMAL + "  - block: book_length\n"
    assert "block ids must be unique" in error_of(write(tmp_path, text))


CANDIDATES = """\
evaluation:
  tasks:
    - {name: bpb_gold, kind: bpb, path: /tmp/gold}
ablation:
  candidates:
    - block: book_length
      params: {min_words: 100}
    - block: book_length
      id: book_length_1000
      params: {min_words: 1000}
"""


def test_candidate_ids_are_unique_and_apart_from_the_recipes_block_ids(tmp_path):
    base_block = "  - block: book_length\n    params:\n      min_words: 10\n"
    other = MINIMAL.replace(base_block, "  - block: ocr_quality_filter\n")
    cfg = load_recipe(write(tmp_path, other + CANDIDATES))
    assert [c.id for c in cfg.ablation.candidates] == ["book_length", "book_length_1000"]
    same = other + CANDIDATES.replace("      id: book_length_1000\n", "")
    line = same.splitlines().index("  candidates:") + 1
    err = error_of(write(tmp_path, same))
    assert f"recipe.yaml:{line}: ablation.candidates: candidate ids must be unique" in err
    assert "'book_length' at items 0, 1" in err
    # a kept candidate joins the recipe: its id may not be a block id the recipe already has
    err = error_of(write(tmp_path, MINIMAL + CANDIDATES))
    assert "ids already used by recipe blocks (set another `id:`): ['book_length']" in err


def test_a_default_that_defies_its_type_hint_survives_a_second_validation():
    """datatrove's SamplerFilter declares ``seed: int = None``: a candidate without a seed leaves it out (the recipe
    derives one from experiment.seed), and building its block from the candidate (which validates the parameters
    again) must not reject it."""
    from ablations.decide.loop import Variant, with_candidate
    from ablations.recipe.schema import CandidateSpec

    cand = CandidateSpec(block="sampler", section="filter", params={"rate": 0.5})
    assert cand.params == {"rate": 0.5}
    variant = with_candidate(Variant("baseline", [], []), cand)
    assert variant.filter[0].params == {"rate": 0.5}
