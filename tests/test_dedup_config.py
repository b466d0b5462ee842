"""The recipe's dedup section: kinds, pinned defaults, errors naming file:line:key, the shipped fragment."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from pydantic import TypeAdapter

from ablations.recipe.loader import ConfigError, dump_recipe, load_recipe
from pipelines.dedup.config import REGISTRY, DedupSpec
from pipelines.dedup.records import quality_of

REPO = Path(__file__).resolve().parents[1]

RECIPE = """\
experiment:
  name: t
data:
  sources:
    - name: books
      format: text
      path: /tmp/books
filter:
  - block: book_length
dedup:
  - kind: exact
  - kind: minhash
    containment: drop
  - kind: repeated_paragraphs
    min_books: 3
"""


def write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "recipe.yaml"
    p.write_text(text)
    return p


def test_dedup_stages_resolve_with_every_parameter_pinned_and_round_trip(tmp_path):
    cfg = load_recipe(write(tmp_path, RECIPE))
    assert [d.kind for d in cfg.dedup] == ["exact", "minhash", "repeated_paragraphs"]
    assert [d.id for d in cfg.dedup] == ["exact", "minhash", "repeated_paragraphs"]
    assert [b.id for b in cfg.blocks()] == ["book_length"]  # dedup stages are not process-stage blocks
    minhash = cfg.dedup[1]
    assert (
        minhash.containment == "drop" and minhash.keep == "best_quality" and minhash.quality_key == "word_confidence"
    )
    dumped = yaml.safe_load(dump_recipe(cfg))["dedup"][1]
    assert (
        set(dumped) == {"kind", "id", "keep_dropped", *REGISTRY.parameters("minhash")} and dumped["kind"] == "minhash"
    )
    resolved = tmp_path / "resolved.yaml"
    resolved.write_text(dump_recipe(cfg))
    assert load_recipe(resolved) == cfg


def test_misspelled_dedup_parameter_names_line_and_key_without_the_kind_tag(tmp_path):
    path = write(tmp_path, RECIPE.replace("    containment: drop", "    n_gram: 5"))
    with pytest.raises(ConfigError) as e:
        load_recipe(path)
    assert f"{path}:13: dedup.1.n_gram: unknown key" in str(e.value)


def test_unknown_or_out_of_range_dedup_parameter_names_its_line_and_the_kinds_keys(tmp_path):
    path = write(tmp_path, RECIPE.replace("  - kind: exact\n", "  - kind: exact\n    normalise: false\n"))
    keys = "kind, id, keep_dropped, keep, quality_key, quality_higher_is_better, quality_fallback, normalize"
    assert f"{path}:12: dedup.0.normalise: unknown key (dedup kind 'exact' takes {keys})" in error(path)
    path = write(tmp_path, RECIPE.replace("    containment: drop", "    n_grams: 100"))
    msg = error(path)
    assert (
        f"{path}:13: dedup.1.n_grams: dedup kind 'minhash' parameter 'n_grams'" in msg
        and "less than or equal to 64" in msg
    )


def error(path: Path) -> str:
    with pytest.raises(ConfigError) as e:
        load_recipe(path)
    return str(e.value)


def test_unknown_kind_and_bad_values_are_errors(tmp_path):
    with pytest.raises(ConfigError, match="dedup.0"):
        load_recipe(write(tmp_path, RECIPE.replace("kind: exact", "kind: fuzzy")))
    with pytest.raises(ConfigError, match="dedup.1.containment"):
        load_recipe(write(tmp_path, RECIPE.replace("containment: drop", "containment: delete")))
    with pytest.raises(ConfigError, match="at least 16"):
        load_recipe(write(tmp_path, RECIPE.replace("containment: drop", "num_buckets: 4")))


def test_dedup_ids_must_not_repeat_block_or_stage_ids(tmp_path):
    with pytest.raises(ConfigError, match="repeated: \\['book_length'\\]"):
        load_recipe(write(tmp_path, RECIPE.replace("  - kind: exact", "  - kind: exact\n    id: book_length")))
    with pytest.raises(ConfigError, match="repeated: \\['exact'\\]"):
        load_recipe(write(tmp_path, RECIPE + "  - kind: exact\n"))


def test_shipped_dedup_fragment_lists_every_parameter_with_its_default():
    raw = yaml.safe_load((REPO / "configs/blocks/dedup.yaml").read_text())["dedup"]
    specs = TypeAdapter(list[DedupSpec]).validate_python(raw)
    assert {s.kind for s in specs} == {"minhash", "exact", "repeated_paragraphs"}
    for spec, written in zip(specs, raw, strict=True):
        assert written == spec.model_dump(mode="json")  # every key present, nothing extra
        assert written == type(spec)(kind=spec.kind).model_dump(mode="json")  # and the values are the defaults


def test_quality_key_reads_a_key_a_dotted_path_or_a_book_level_ocr_signal():
    meta = {"word_confidence": 0.9, "ocr_signals": {"ocr_cer_estimate": 0.04}, "x": {"y": 2}, "bad": True}
    assert quality_of(meta, "word_confidence") == 0.9
    assert quality_of(meta, "ocr_cer_estimate") == 0.04  # the filter section's book-level signal
    assert quality_of(meta, "ocr_signals.ocr_cer_estimate") == 0.04 and quality_of(meta, "x.y") == 2.0
    assert quality_of(meta, "missing") is None and quality_of(meta, "x.z") is None and quality_of(meta, "bad") is None
    assert quality_of({"word_confidence": None}, "word_confidence") is None
