"""The clean-up stack lowers the word error rate of real OCR against gold; the config snippet validates."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bench.cleanup_wer import apply, default_stack, gold_pages, page_ids, read_books, total, wer_by_book

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def wer_runs(shared_data):
    docs = read_books(shared_data)
    gold = {d.id: gold_pages(shared_data, page_ids(d)) for d in docs}
    stack = default_stack()
    repair = [b for b in stack if b[0] != "page_furniture"]
    return {
        "before": wer_by_book(docs, gold),
        "after": wer_by_book(apply(stack, docs), gold),  # apply() also checks every book keeps its pages
        "after_repair": wer_by_book(apply(repair, docs), gold),
    }


def test_the_cleanup_stack_lowers_the_word_error_rate_of_real_ocr_against_gold(wer_runs):
    assert len(wer_runs["before"]) == 10
    for how in ("strict", "folded", "words"):
        assert total(wer_runs["after"], how) < total(wer_runs["before"], how)


def test_every_book_gains_from_the_text_repairs(wer_runs):
    """Without page_furniture (the gold transcribes most running heads and page numbers, so removing them counts
    as deletions), unicode repair, dehyphenation and unwrapping lower the WER of every book."""
    for book, before in wer_runs["before"].items():
        (e_before, n), (e_after, _) = before["strict"], wer_runs["after_repair"][book]["strict"]
        assert e_after < e_before, f"book {book}: {e_after} edits after the repairs, {e_before} before ({n} words)"


def test_the_cleanup_config_snippet_names_every_block_with_every_parameter_pinned():
    from filters.registry import resolved_params
    from pipelines.config import BlockSpec

    snippet = yaml.safe_load((REPO / "configs/blocks/cleanup.yaml").read_text())
    specs = [BlockSpec(**b) for b in snippet["clean"]]
    names = [s.block for s in specs]
    assert names == [
        "gutenberg_boilerplate",
        "unicode_fix",
        "historic_normalize",
        "page_furniture",
        "dehyphenate",
        "unwrap_lines",
        "remove_page_separators",
    ]
    for raw, spec in zip(snippet["clean"], specs, strict=True):
        assert set(raw["params"]) == set(resolved_params(spec.block, {})), f"{spec.block}: not every parameter pinned"
