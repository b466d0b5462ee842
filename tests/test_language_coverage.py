"""No language is dropped for lack of resources: ICDAR2019 Czech, Polish, Slovene, Bulgarian and Latin OCR."""

import pytest
from datatrove.data import Document

from filters.ocr_quality_filter import OcrQualityFilter
from filters.signals.base import ABSTAIN_KEY, BOOK_KEY
from filters.signals.goldtext import icdar_files, read_icdar
from pipelines.stats import silent_signal_warnings

ICDAR2019 = "ocr_gold/icdar2019/evaluation_4M_without_Finnish"


def judge(shared_data, subset: str) -> tuple[OcrQualityFilter, list[tuple[Document, float | None, bool]]]:
    f = OcrQualityFilter()
    out = []
    for p in icdar_files(shared_data / ICDAR2019 / subset):
        gold = read_icdar(p)
        doc = Document(text=gold.ocr_input, id=p.name)
        out.append((doc, gold.cer, f.filter(doc) is True))
    return f, out


@pytest.mark.parametrize(("subset", "lang"), [("CZ/CZ1", "cs"), ("PL/PL1", "pl"), ("SL/SL1", "sl"), ("BG/BG1", "bg")])
def test_good_ocr_in_a_language_without_set_thresholds_is_kept(shared_data, subset, lang):
    # before: every document dropped (dict_ratio against the Portuguese, English, Italian or German list)
    f, judged = judge(shared_data, subset)
    langs = [d.metadata["language"] for d, _, _ in judged]
    assert langs.count(lang) >= len(langs) - 1  # CZ1: one document (mostly numbers) reads as Latin
    good = [kept for _, cer, kept in judged if cer is not None and cer <= 0.10]
    assert len(good) >= 5 and all(good)
    counted = {k: v.total for k, v in f.stats.stats.items() if k.startswith("uncalibrated_dict_ratio_")}
    assert counted[f"uncalibrated_dict_ratio_{lang}"] == langs.count(lang)


def test_latin_is_kept_with_dict_ratio_abstained_and_counted(shared_data):
    f, judged = judge(shared_data, "DE/DE4")  # GT4Hist EarlyModernLatin
    assert "uti" in judged[0][0].text.split() or " est " in judged[0][0].text or "non" in judged[0][0].text.split()
    assert all(kept for _, _, kept in judged) and len(judged) == 63
    for doc, _, _ in judged:
        assert doc.metadata["language"] == "la" and doc.metadata[BOOK_KEY]["dict_ratio"] is None
        assert doc.metadata[ABSTAIN_KEY] == {"dict_ratio": "no word list for language 'la'"}
    assert f.stats.stats["abstained_dict_ratio_la"].total == 63
    metrics = {k: v.total for k, v in f.stats.stats.items()}
    (warning, *_) = silent_signal_warnings("ocr_quality", metrics)
    assert warning.startswith("ocr_quality: dict_ratio abstained on 63 books (la: 63): no resource")


def test_a_configured_language_list_still_restricts_detection():
    from filters.signals.dict_ratio import DictRatioSignal

    doc = Document(text="Na Novém městě je hostinec u černého koníka v platnéřské ulici a v poštovské.", id="cs")
    assert DictRatioSignal(languages=("en", "fr", "pt")).measure(doc) is not None
    assert doc.metadata["language"] in ("en", "fr", "pt")
