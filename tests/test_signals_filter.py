"""The ocr_quality_filter block: book- and page-level drops with exact reasons, page offsets kept true."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from datatrove.data import Document
from helpers import counter, read_all

from filters.ocr_quality_filter import OcrQualityFilter
from filters.pages import join_pages, split_pages
from filters.registry import BlockError, resolved_params
from filters.signals.base import BOOK_KEY, PAGE_KEY
from filters.signals.goldtext import icdar_files, read_icdar
from filters.signals.word_confidence import WordConfidenceSignal
from pipelines.config import BlockSpec
from pipelines.readers.text import TextBookReader

REPO = Path(__file__).resolve().parents[1]


def book(pages: list[str], **metadata) -> Document:
    text, offsets = join_pages(pages)
    return Document(text=text, id="t/1", metadata={"page_offsets": offsets, "n_pages": len(pages), **metadata})


@pytest.fixture(scope="module")
def real_pages(shared_data):
    """Clean pages (ICDAR gold of English monographs) and garbage pages (the worst ICDAR OCR, scrambled)."""
    docs = [read_icdar(p) for p in icdar_files(shared_data / "ocr_gold/icdar2017/Full_12M/eng_monograph")[:12]]
    clean = [d.gold for d in docs]
    # OCR of historic print at its worst: real OCR tokens with digits/symbols forced into every other word
    bad = [
        " ".join(w if i % 2 else w[:1] + "^" + w[1:] + "3" for i, w in enumerate(d.ocr_input.split())) for d in docs
    ]
    return clean, bad


def run(flt: OcrQualityFilter, docs: list[Document]) -> list[Document]:
    return list(flt.run(iter(docs)))


def test_book_level_drops_with_the_exact_reason(real_pages):
    clean, bad = real_pages
    flt = OcrQualityFilter()
    kept = run(flt, [book(clean[:3]), book(bad[:3]), book(clean[3:5], page_word_confidence=[0.3, 0.2])])
    assert [d.id for d in kept] == ["t/1"] and kept[0].text == book(clean[:3]).text
    assert counter(flt, "dropped_dict_ratio_below_min") == 1
    assert counter(flt, "dropped_word_confidence_below_min") == 1
    assert counter(flt, "computed_dict_ratio") == 3


def test_a_max_threshold_drops_with_above_max():
    flt = OcrQualityFilter(min={}, max={"garbage_ratio": 0.1})
    doc = book(["wh^t 1s th1s g#rbage t3xt " * 20])
    assert flt.filter(doc) == (False, "garbage_ratio_above_max")


def test_missing_confidence_has_no_say_and_present_confidence_is_stored(real_pages):
    clean, _ = real_pages
    doc = book(clean[:2])
    assert OcrQualityFilter().filter(doc) is True
    assert doc.metadata[BOOK_KEY]["word_confidence"] is None
    doc = book(clean[:2], page_word_confidence=[0.9, None], word_confidence=0.9)
    assert WordConfidenceSignal().measure(doc) == 0.9
    assert doc.metadata[PAGE_KEY]["word_confidence"]["values"] == [0.9, None]


def test_page_level_drops_bad_pages_and_keeps_offsets_true(real_pages):
    clean, bad = real_pages
    pages = [clean[0], bad[0], clean[1], clean[2], bad[1], clean[3]]
    doc = book(pages, page_files=[f"p{i}.txt" for i in range(6)], page_word_confidence=[0.9] * 6)
    flt = OcrQualityFilter(level="page")
    kept = run(flt, [doc])
    assert len(kept) == 1
    meta = doc.metadata
    assert split_pages(doc.text, meta["page_offsets"]) == [clean[0], clean[1], clean[2], clean[3]]
    assert meta["n_pages"] == 4
    assert meta["pages_dropped"] == [
        {"page": 1, "reason": "dict_ratio_below_min"},
        {"page": 4, "reason": "dict_ratio_below_min"},
    ]
    assert meta["pages_dropped_fraction"] == pytest.approx(2 / 6)
    assert meta["page_files"] == ["p0.txt", "p2.txt", "p3.txt", "p5.txt"]
    assert meta["page_numbers"] == [0, 2, 3, 5]
    assert len(meta[PAGE_KEY]["dict_ratio"]["values"]) == 4
    assert meta[BOOK_KEY]["dict_ratio"] > 0.9  # recomputed over the kept pages
    assert counter(flt, "pages_dropped_dict_ratio_below_min") == 2
    # a second page-level pass keeps counting pages as they were read
    again = book([doc.text.split("\n\f\n")[0], bad[2]])
    again.metadata.update(page_numbers=[5, 9], pages_dropped=list(meta["pages_dropped"]))
    run(OcrQualityFilter(level="page"), [again])
    assert again.metadata["pages_dropped"][-1] == {"page": 9, "reason": "dict_ratio_below_min"}
    assert again.metadata["pages_dropped_fraction"] == pytest.approx(3 / 4)  # 2 pages seen + 2 dropped before


def test_page_level_drops_the_book_when_too_few_pages_survive(real_pages):
    clean, bad = real_pages
    flt = OcrQualityFilter(level="page", min_kept_fraction=0.5)
    assert flt.filter(book([clean[0], bad[0], bad[1]])) == (False, "too_few_pages_kept")


def test_short_pages_are_not_judged(real_pages):
    clean, _ = real_pages
    doc = book([clean[0], "Pl. 3 fig. 2 xq", clean[1]])
    assert OcrQualityFilter(level="page").filter(doc) is True
    assert doc.metadata["n_pages"] == 3 and "pages_dropped" not in doc.metadata


def test_a_model_signal_that_was_not_computed_is_a_clear_error(real_pages):
    flt = OcrQualityFilter(max={"kenlm_perplexity": 20.0})
    with pytest.raises(ValueError, match="put the 'kenlm_perplexity' block before this filter"):
        flt.filter(book(real_pages[0][:1]))


def test_config_names_unknown_signals_and_pins_defaults():
    with pytest.raises(BlockError) as e:
        resolved_params("ocr_quality_filter", {"min": {"dict_ratoi": 0.9}})
    assert e.value.key == "min"
    resolved = resolved_params("ocr_quality_filter", {"level": "page"})
    assert resolved["min"]["dict_ratio"] == 0.85 and resolved["max"] == {"garbage_ratio": 0.05}
    with pytest.raises(BlockError):
        resolved_params("ocr_quality_filter", {"level": "chapter"})


def test_stock_books_snippet_validates():
    snippet = yaml.safe_load((REPO / "configs/blocks/stock_books.yaml").read_text())
    specs = [BlockSpec(**b) for b in snippet["filter"]]
    assert specs[1].params["max_doc_words"] == 3_000_000


def test_page_level_filter_on_real_tesseract_books(shared_data):
    """Old Internet Archive books as read by our text reader: whatever is dropped, offsets stay true."""
    reader = TextBookReader(
        str(shared_data / "ocr_pages/old_books/tesseract_otsu_txt"), glob_pattern="*.txt", book_pattern=r"^([a-z]+)\d+"
    )
    books = read_all(reader)
    flt = OcrQualityFilter(level="page", min={"dict_ratio": 0.9}, max={"garbage_ratio": 0.03})
    before = {d.id: split_pages(d.text, d.metadata["page_offsets"]) for d in books}
    kept = run(flt, books)
    assert kept and counter(flt, "pages_dropped") > 0
    for d in kept:
        pages = split_pages(d.text, d.metadata["page_offsets"])
        assert len(pages) == d.metadata["n_pages"] == len(d.metadata["page_files"])
        dropped = {p["page"] for p in d.metadata.get("pages_dropped", [])}
        assert pages == [p for i, p in enumerate(before[d.id]) if i not in dropped]
