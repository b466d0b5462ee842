"""Training-free OCR-quality signals: dictionary-word ratio and garbage-token ratio, on real OCR and gold text."""

from __future__ import annotations

import pytest
from datatrove.data import Document

from filters.pages import join_pages
from filters.signals.base import BOOK_KEY, PAGE_KEY
from filters.signals.dict_ratio import DictRatioSignal
from filters.signals.garbage_ratio import GarbageRatioSignal
from filters.signals.goldtext import icdar_files, read_icdar
from filters.signals.words import in_dictionary, normalise, wordlist


def book(pages: list[str], **metadata) -> Document:
    text, offsets = join_pages(pages)
    return Document(text=text, id="t/1", metadata={"page_offsets": offsets, "n_pages": len(pages), **metadata})


@pytest.fixture(scope="module")
def worst_periodicals(shared_data):
    """The three English periodical extracts of ICDAR2017 with the highest true CER (all above 8%)."""
    docs = [read_icdar(p) for p in icdar_files(shared_data / "ocr_gold/icdar2017/Full_12M/eng_periodical")]
    worst = sorted(docs, key=lambda d: d.cer, reverse=True)[:3]
    assert all(d.cer > 0.08 for d in worst)
    return worst


def test_historic_forms_and_punctuation_are_normalised_for_lookup():
    assert normalise("“Moſt,") == "most"
    assert normalise("ﬁrſt") == "first"
    words = wordlist("en")
    assert in_dictionary("lov'd", words)  # 'd resolved to -ed
    assert in_dictionary("me—and", words)  # em dash between words, as printed
    assert in_dictionary("sea-shore", words)
    assert not in_dictionary("generahty", words)
    assert in_dictionary("l'homme", wordlist("fr"))


def test_gold_text_has_a_higher_dictionary_ratio_than_its_ocr(worst_periodicals):
    step = DictRatioSignal()
    for d in worst_periodicals:
        gold = step.measure(Document(text=d.gold, id="g", metadata={}))
        ocr = step.measure(Document(text=d.ocr_scored, id="o", metadata={}))
        assert gold > ocr + 0.03, (d.path, gold, ocr)


def test_gold_text_has_a_lower_garbage_ratio_than_its_ocr(worst_periodicals):
    step = GarbageRatioSignal()
    for d in worst_periodicals:
        gold = step.measure(Document(text=d.gold, id="g", metadata={}))
        ocr = step.measure(Document(text=d.ocr_scored, id="o", metadata={}))
        assert ocr > gold, (d.path, gold, ocr)


def test_language_is_detected_and_recorded_when_the_source_does_not_give_it(shared_data):
    doc = read_icdar(shared_data / "ocr_gold/icdar2017/Full_12M/fr_monograph/10.txt")
    d = Document(text=doc.gold, id="f", metadata={})
    DictRatioSignal().measure(d)
    assert d.metadata["language"] == "fr"
    given = Document(text=doc.gold, id="f", metadata={"language": "en"})
    # read as English, French text is mostly not English words
    assert DictRatioSignal().measure(given) < d.metadata[BOOK_KEY]["dict_ratio"] - 0.1


def test_signals_are_stored_per_page_and_the_book_value_is_the_weighted_page_mean():
    clean = "the quick brown fox jumps over the lazy dog " * 5
    bad = "tbe qnick hrown f0x jnmps ovcr tlie lazv d0g " * 5
    doc = book([clean, bad, ""])
    value = DictRatioSignal().measure(doc)
    pages = doc.metadata[PAGE_KEY]["dict_ratio"]
    assert pages["n"] == [45, 45, 0]
    assert pages["values"][0] == 1.0 and pages["values"][2] is None
    assert pages["values"][1] < 0.5
    assert value == pytest.approx((pages["values"][0] + pages["values"][1]) / 2)
    assert doc.metadata[BOOK_KEY]["dict_ratio"] == value


@pytest.mark.parametrize(
    "token, garbage",
    [
        ("th^t", True),  # symbol inside a word
        ("l0ve", True),  # letters and digits
        ("8vo", False),  # book format
        ("12s.", False),  # shillings
        ("wrthlss", True),  # long word, no vowel
        ("MDCCLXXIII.", False),  # roman numeral
        ("shaU", True),  # ll read as U
        ("caUed", True),
        ("sonOf", False),  # two words glued by a lost line break
        ("eee", True),
        ("•-~'-", True),  # run of punctuation
        ("...", False),
        ("—", False),
        ("t", True),  # broken word
        ("J.", False),  # initial
        ("a", False),
        ("'s", False),
        ("me—and", False),
    ],
)
def test_garbage_tokens(token, garbage):
    assert GarbageRatioSignal().is_garbage(token) is garbage
