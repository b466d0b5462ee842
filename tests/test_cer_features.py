"""The CER estimator's features and gold readers, on text written here and on a small real ICDAR2019 subset."""

from __future__ import annotations

import math
from collections import Counter
from pathlib import Path

import pytest

from filters.signals.cer_features import FEATURES, LANGUAGE_FEATURES, PageFeatures, token_values
from filters.signals.cer_gold import GoldSourceError, detokenize, read_gold
from filters.signals.char_model import char_model

ROOT = Path(__file__).resolve().parents[1]
CLEAN = "It was the best of times, it was the worst of times, it was the age of wisdom and of foolishness."
DEBRIS = "It vvas tbe beft of tirnes, i1 w^s tlie w0rst of tímes, it wa5 tbe age of wifdom aud of fooli~hnefs."


def features(text: str, lang: str | None) -> dict[str, float]:
    return dict(zip(FEATURES, PageFeatures().features(Counter(text.split()), lang), strict=True))


def test_debris_scores_worse_than_clean_text_on_every_language_feature():
    clean, debris = features(CLEAN, "en"), features(DEBRIS, "en")
    assert clean["known"] == 1.0 and debris["known"] < 0.7  # wordfreq lists some debris ("tbe", "aud")
    assert debris["char_lp"] < clean["char_lp"]
    assert debris["confusable"] > clean["confusable"] == 0.0
    assert debris["digit_mix"] > 0 and clean["digit_mix"] == 0
    assert debris["inner_punct"] > 0 and clean["inner_punct"] == 0


def test_confusions_are_undone_against_the_word_list():
    zipf_en = {"modern": 4.0, "which": 6.0}
    resources = (zipf_en, char_model("en"), -3.0)
    assert token_values("rnodern", resources)[-4] == 1  # confusable (rn -> m)
    assert token_values("wliich", resources)[-4] == 1  # li -> h
    assert token_values("zzqx", resources)[-4] == 0


def test_a_language_without_word_list_has_missing_language_features_only():
    latin = features("Gallia est omnis divisa in partes tres, quarum unam incolunt Belgae", None)
    assert all(math.isnan(latin[f]) for f in LANGUAGE_FEATURES)
    assert not any(math.isnan(v) for f, v in latin.items() if f not in LANGUAGE_FEATURES)
    assert char_model("la") is None  # wordfreq has no Latin list: nothing to build


def test_empty_page_has_no_features():
    assert all(math.isnan(v) for v in PageFeatures().features(Counter(), "en"))


def test_ght_sentences_get_print_spacing_back():
    assert detokenize('\\" Yes , but ( softly ) ; you know . \\"') == '" Yes, but (softly); you know. "'


def test_gold_sources_are_read_with_counted_skips_and_clear_errors(tmp_path):
    data = Path(ROOT.parent / "shared" / "data")
    subset = data / "ocr_gold" / "icdar2019" / "evaluation_4M_without_Finnish" / "DE" / "DE2"
    if not subset.is_dir():
        pytest.fail(f"shared data missing: {subset}")
    skipped: Counter = Counter()
    pages = read_gold(f"icdar:{subset}", skipped=skipped)
    assert len(pages) + skipped["no gold"] == 50 and skipped["no gold"] >= 3  # DE2/16, 18, 26, 47 have no gold
    assert all(0 <= p.cer and p.collection == "DE2" for p in pages)
    (tmp_path / "ocr").mkdir()
    (tmp_path / "gold").mkdir()
    (tmp_path / "ocr" / "p1.tess.txt").write_text("Tbe cat sat")
    (tmp_path / "gold" / "p1.txt").write_text("The cat sat")
    (page,) = read_gold(f"pages:{tmp_path / 'ocr'},{tmp_path / 'gold'}")
    assert page.cer == pytest.approx(1 / 11)
    with pytest.raises(GoldSourceError, match="icdar:FOLDER"):
        read_gold(f"alto:{tmp_path}")
    with pytest.raises(GoldSourceError, match="does not exist"):
        read_gold(f"icdar:{tmp_path / 'nowhere'}")
    with pytest.raises(GoldSourceError, match="no OCR page with gold"):
        read_gold(f"icdar:{tmp_path / 'gold'}")
