"""The benchmark's CER/WER/BoW (ablations/ocrbench/metrics.py) against the dinglehopper package on real pairs, and
each switch of the normalisation (ablations/ocrbench/normalize.py) on its own."""

from __future__ import annotations

import random
import sys
import unicodedata
from pathlib import Path

import pytest
import uniseg.wordbreak
from dinglehopper.character_error_rate import character_error_rate_n
from dinglehopper.word_error_rate import patch_word_break, word_error_rate_n, words_normalized
from uniseg.graphemecluster import grapheme_clusters

from ablations.ocrbench.metrics import (
    alignment_excerpt,
    bow_errors,
    char_errors,
    graphemes,
    score_pair,
    word_errors,
    words,
)
from ablations.ocrbench.normalize import Normalization, normalize
from filters.signals.goldtext import read_icdar
from pipelines.readers.hocr import hocr_pages

ALL_OFF = Normalization(
    mufi=False,
    long_s=False,
    combining_e=False,
    ligatures=False,
    quotes=False,
    dashes=False,
    hyphens=False,
    whitespace=False,
)
TRICKY = [
    "Ich h\ue42ctte ihr unſere Templower nennen, iſt \ue72bber 13000",  # MUFI (de_ocrd gold)
    "Dum duo colludunt: certant\ue8bf vter inter vtrun\ue8bf",  # MUFI -que (lat_cremma gold)
    "aͤ oͤ uͤ Weidenro\u0364ſlein q\u0303 n\u0304 e\u0301",  # combining marks
    "Große 👍🏽 Freude 🇩🇪 und 👨\u200d👩\u200d👧 — «ça» ‚so‘ ﬁn ﬂ ﬅ",  # emoji, flags, ZWJ, quotes, ligatures
    "line one\r\nline two\n\n  tab\there ¬\nend",
    "",
]


def dinglehopper_pair(ref: str, hyp: str) -> tuple[float, int, float, int]:
    """dinglehopper's (CER, n, WER, n). Its word_error_rate_n(str, str) is ambiguous under this multimethod
    version, so its words come from its own words_normalized and the WER from its list overload."""
    cer, cn = character_error_rate_n(ref, hyp)
    wer, wn = word_error_rate_n(list(words_normalized(ref)), list(words_normalized(hyp)))
    return cer, cn, wer, wn


def assert_agrees(ref: str, hyp: str) -> tuple[float, float]:
    """Raw counts equal dinglehopper's; returns (CER, WER) differences in percentage points (0 here)."""
    cer, cn, wer, wn = dinglehopper_pair(ref, hyp)
    ce, n = char_errors(ref, hyp)
    we, m = word_errors(ref, hyp)
    assert (n, m) == (cn, wn)
    d_cer = abs(100 * (ce / n if n else 0) - 100 * (cer if n else 0))
    d_wer = abs(100 * (we / m if m else 0) - 100 * (wer if m else 0))
    assert d_cer == 0 and d_wer == 0, (ref[:80], d_cer, d_wer)
    return d_cer, d_wer


def has_private_use(text: str) -> bool:
    return any("\ue000" <= c <= "\uf8ff" for c in text)


def test_raw_metrics_equal_dinglehopper_on_old_books_tesseract_and_ocropus(shared_data: Path):
    books = shared_data / "ocr_pages" / "old_books"
    gold = sorted((books / "groundtruth").glob("*.txt"))[::16]  # 21 of the 322 pages (dinglehopper takes 0.5 s a pair)
    assert len(gold) > 20
    for path in gold:
        ref = path.read_text(encoding="utf-8")
        assert_agrees(ref, (books / "tesseract_otsu_txt" / f"{path.stem}.tess.txt").read_text(encoding="utf-8"))
        hocr = books / "ocropus_otsu_hocr" / f"{path.stem}.ocropus.html"
        (page,) = hocr_pages(hocr.read_bytes(), str(hocr))
        assert_agrees(ref, page.text)


def test_raw_metrics_equal_dinglehopper_on_icdar2019_across_languages(shared_data: Path):
    root = shared_data / "ocr_gold" / "icdar2019" / "evaluation_4M_without_Finnish"
    folders = sorted(p for p in root.glob("*/*") if p.is_dir())
    assert len(folders) >= 15, f"ICDAR2019 subsets missing under {root}"
    checked = 0
    for folder in folders:
        docs = [read_icdar(p) for p in sorted(folder.glob("*.txt"), key=lambda p: p.stat().st_size)[:2]]
        for doc in docs:
            if not has_private_use(doc.gold + doc.ocr_input):  # private use: see the next test
                assert_agrees(doc.gold, doc.ocr_input)
                checked += 1
    assert checked >= 25


def test_private_use_characters_are_letters_as_dinglehopper_intends():
    # dinglehopper patches uniseg.wordbreak.word_break so that private-use characters are letters; uniseg >= 0.9
    # binds word_break as a default argument of words(), so its patch has no effect there: it is passed explicitly
    if not sys.modules["dinglehopper.word_error_rate"].word_break_patched:
        patch_word_break()
    patched = uniseg.wordbreak.word_break
    pairs = [(TRICKY[0], "Ich hätte ihr unſere Templower nennen, iſt über 13000"), (TRICKY[1], "certantq; vter")]
    for ref, hyp in pairs:
        ding_ref, ding_hyp = _dinglehopper_words(ref, patched), _dinglehopper_words(hyp, patched)
        assert (words(ref), words(hyp)) == (ding_ref, ding_hyp)
        wer, n = word_error_rate_n(ding_ref, ding_hyp)
        errors, m = word_errors(ref, hyp)
        assert m == n and errors / m == pytest.approx(wer)
        cer, cn = character_error_rate_n(ref, hyp)
        errors, m = char_errors(ref, hyp)
        assert m == cn and errors / m == pytest.approx(cer)
    assert words("certant\ue8bf vter") == ["certant\ue8bf", "vter"]


def _dinglehopper_words(text: str, word_break) -> list[str]:
    """dinglehopper's words() with its private-use patch in force."""
    unwanted = ("O", "M", "P", "Z", "S")
    keep = [
        w
        for w in uniseg.wordbreak.words(unicodedata.normalize("NFC", text), property=word_break)
        if not all(unicodedata.category(c)[0] in unwanted or unicodedata.category(c) in ("Cc", "Cf") for c in w)
    ]
    return keep


def n_clusters(text: str) -> int:
    return len(list(grapheme_clusters(unicodedata.normalize("NFC", text))))


@pytest.mark.parametrize("ref", TRICKY)
def test_raw_metrics_equal_dinglehopper_on_marks_emoji_and_line_breaks(ref: str):
    hyp = ref.replace("e", "c").replace("ſ", "f")[::-1][: len(ref) // 2][::-1] + " extra"
    cer, cn, _, _ = dinglehopper_pair(ref, hyp)
    errors, n = char_errors(ref, hyp)
    assert n == cn and (n == 0 or errors / n == pytest.approx(cer))
    if not has_private_use(ref):
        assert_agrees(ref, hyp)


def test_fast_segmentation_equals_uniseg_on_random_strings():
    alphabet = list(
        "aZ09 .,'’:;_-\t\n\r\u00ad\u0301\u0364\u200d\u202f\u00a0·ſ\ue8bf👍🏽\U0001f1e9\U0001f1ea가\u0600\u094d«ª²"
    )
    rng = random.Random(0)
    for _ in range(3000):
        s = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 10)))
        assert graphemes(s) == list(grapheme_clusters(unicodedata.normalize("NFC", s))), repr(s)
        assert words(s) == _dinglehopper_words(s, _pua_letter), repr(s)


def _pua_letter(c: str):
    return uniseg.wordbreak.WordBreak.ALETTER if "\ue000" <= c <= "\uf8ff" else uniseg.wordbreak.word_break(c)


SWITCHES = [
    ("unicode", "ﬁne ſ ²", "fine s 2", {"unicode": "NFKC"}),
    ("mufi", "h\ue42ctte certant\ue8bf \ueba7", "hätte certantq ſſi", {}),
    ("long_s", "Verfaſſung", "Verfassung", {}),
    ("combining_e", "Weidenro\u0364ſlein Ua\u0364", "Weidenröſlein Uä", {}),
    ("ligatures", "ﬀ ﬁ ﬂ ﬃ ﬄ ﬅ ﬆ ĳ æ œ", "ff fi fl ffi ffl ſt st ij æ œ", {}),
    ("quotes", "„so“ ‚so‘ «so» ‹so› ’s", "\"so\" 'so' \"so\" 'so' 's", {}),
    ("dashes", "a‐b‑c‒d–e—f―g⸗h¬i", "a-b-c-d-e-f-g-h-i", {}),
    ("hyphens", "Verfaſ-\nsung Wiſ⸗\n  ſen Nord-\nAmerika 19-\n20", "Verfaſsung Wiſſen Nord-\nAmerika 19-\n20", {}),
    ("whitespace", "  a \t b\n\nc\u00a0d  ", "a b c d", {}),
]


@pytest.mark.parametrize("switch, text, relaxed, extra", SWITCHES, ids=[s[0] for s in SWITCHES])
def test_each_normalisation_switch_on_its_own(switch: str, text: str, relaxed: str, extra: dict):
    only = ALL_OFF.model_copy(update=extra or {switch: True})
    assert normalize(text, only) == unicodedata.normalize(only.unicode, relaxed)
    assert normalize(text, ALL_OFF) == unicodedata.normalize("NFC", text)  # off: only NFC


def test_defaults_are_all_on_and_unknown_keys_are_errors():
    norm = Normalization()
    assert norm.unicode == "NFC" and all(v for k, v in norm.model_dump().items() if k != "unicode")
    with pytest.raises(ValueError, match="long_ss"):
        Normalization.model_validate({"long_ss": True})
    full = normalize("Die „Verfaſ-\nſung“ — h\ue42ctte\n", norm)
    assert full == 'Die "Verfassung" - hätte'
    assert normalize("\ue000x", norm) == "\ue000x"  # a private-use character not in the table is kept


def test_hyphen_join_turns_a_line_end_split_into_no_error():
    ref, hyp = "Die Verfaſſung des Landes", "Die Verfaſ-\nſung des Landes"
    score = score_pair(ref, hyp, Normalization())
    assert score.wer_errors == 2 and score.cer_errors == 2
    assert score.norm_wer_errors == 0 and score.norm_cer_errors == 0
    off = score_pair(ref, hyp, Normalization(hyphens=False))
    assert off.norm_wer_errors == 2


def test_bag_of_words_ignores_reading_order_and_counts_a_substitution_once():
    ref = "first column line one\nfirst column line two\nmarginal note here"
    lines = ref.split("\n")
    shuffled = "\n".join([lines[2], lines[0], lines[1]])
    assert bow_errors(ref, shuffled) == (0, 11)
    assert word_errors(ref, shuffled)[0] > 0
    assert bow_errors("a b c", "a x c") == (1, 3) == word_errors("a b c", "a x c")
    assert bow_errors("a b", "a b b b") == (2, 2)
    score = score_pair(ref, shuffled, Normalization())
    assert score.bow == 0 and score.norm_bow == 0 and score.wer > 0


def test_empty_reference_has_no_rate():
    score = score_pair("", "some text", Normalization())
    assert (score.cer_n, score.wer_n, score.bow_n) == (0, 0, 0)
    assert score.cer is None and score.wer is None and score.bow is None and score.norm_cer is None
    assert score.cer_errors == 9 and score.wer_errors == 2
    assert score_pair("", "", Normalization()).cer is None


def test_rates_are_errors_over_reference_length():
    score = score_pair("Die Verfaſſung", "Dic Verfassung", Normalization())
    assert (score.cer_errors, score.cer_n) == (3, 14) and score.cer == pytest.approx(3 / 14)
    assert (score.norm_cer_errors, score.norm_cer_n) == (1, 14)  # ſ -> s on both sides: only e/c is left
    assert (score.wer_errors, score.wer_n, score.norm_wer_errors) == (2, 2, 1)


def test_excerpt_shows_the_worst_region_aligned_with_its_errors():
    good = "All clean and correct text here. " * 20
    ref = good + "Die Verfaſſung des Landes\nist gut." + good
    hyp = good + "Dic Verfaffung des Land es\nist gur" + good
    excerpt = alignment_excerpt(ref, hyp, width=40, max_lines=6)
    lines = excerpt.split("\n")
    assert len(lines) <= 6 and lines[0].startswith("ref: ") and lines[1].startswith("ocr: ")
    assert "Verfaſſung" in excerpt and "Verfaffung" in excerpt and "↵" in excerpt and "∅" in excerpt
    block = [lines[i : i + 3] for i in range(0, len(lines), 3)]
    for top, bottom, marks in block:
        for i, mark in enumerate(marks):
            if mark == "^":
                assert top[i] != bottom[i]
    assert sum(m.count("^") for _, _, m in block) == char_errors(ref, hyp)[0]
    assert alignment_excerpt("same", "same") == ""
    wide = alignment_excerpt("日本語", "日木語")
    assert wide.split("\n")[2].count("^") == 2  # a wide character is two columns


READ_AS_FILES = [
    *TRICKY,
    "\ufeffBOM first\r\nthen CR LF\r\n",
    "old Mac\rline ends\r\rand a blank line\n",
    "  spaces around  \n\tand tabs\t\n\n\n",
    "== — ’ ⸗ \ue72b \ue42c \ue644 \uf50e \ue8bf ﬆ ĳ \ueba7",  # dinglehopper's table
    "line\u2028separator\x0bvertical tab\x1cfile sep\x85next line",  # not line ends for readlines
]


@pytest.mark.parametrize("text", READ_AS_FILES)
def test_as_read_is_how_dinglehopper_reads_a_text_file(text: str, tmp_path: Path):
    from dinglehopper.extracted_text import normalize_sbb
    from dinglehopper.ocr_files import plain_extract

    from ablations.ocrbench.reading import as_read, sbb

    path = tmp_path / "page.txt"
    path.write_bytes(text.encode("utf-8"))
    extracted = plain_extract(str(path), encoding="utf-8-sig")
    assert as_read(text) == extracted.text
    assert graphemes(as_read(text)) == extracted.grapheme_clusters
    assert sbb(text) == normalize_sbb(text)
