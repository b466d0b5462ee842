"""Fast paths of the word signals: token classification equals its plain definition, and dict_ratio and
garbage_ratio measured together (one memo, one pass) equal the two signals measured one after the other."""

from __future__ import annotations

import re

import pytest
from datatrove.data import Document

import filters.signals.word_signals as word_signals
from filters.ocr_quality_filter import OcrQualityFilter
from filters.pages import join_pages
from filters.signals.base import BOOK_KEY, PAGE_KEY
from filters.signals.dict_ratio import DictRatioSignal
from filters.signals.garbage_ratio import GarbageRatioSignal
from filters.signals.goldtext import icdar_files, read_icdar, read_texts
from filters.signals.word_confidence import WordConfidenceSignal
from filters.signals.words import EDGE_PUNCT, HISTORIC, VOWELS, has_letter, in_dictionary, normalise, wordlist
from filters.textview import text_view

EDGE_CASES = [
    *"ΑΣ. ΣΑΣ İstanbul ſtate ﬁrſt ’tis ‘em Ⅻ ²nd 3² ½d ½ x²y ① ǅemal ﬀ -- ... .-- * a_b _ __init__".split(),
    *"l'homme lov'd king's 's ’s J. x. x I Mc McDonald MacKay aU shaU tHE sonOf eee iii xxx bcdfg".split(),
    *"8vo 2d 3ème 1er th^t w•rd ٣٤ a٣ Ⅳ ⅳ ｆｕｌｌ ß ẞ ŉ ' ''' Å Ω K µ ﬆ ﬅ ﬃ dé-jà t' qu'il jusqu'à".split(),
    *"aujourd'hui o'er e'er 'twas l' d' ha' th' «Bonjour» „Ja“ ¿Qué? ¡Olé! laws,For remain∣ing &c. o' '".split(),
    "e\u0301",
    "\u0301e",
    "w\u200bord",
]


# --- the plain definitions (the code before its fast paths), kept here as the specification ---------------------
_SPLIT = re.compile(r"[^\w']+")
_ELISIONS = ("l'", "d'", "j'", "m'", "n'", "s'", "t'", "c'", "qu'", "jusqu'", "lorsqu'", "puisqu'")


def plain_normalise(token: str) -> str:
    return token.translate(HISTORIC).lower().strip(EDGE_PUNCT)


def plain_has_letter(word: str) -> bool:
    return any(c.isalpha() for c in word)


def plain_known(word: str, words: frozenset[str]) -> bool:
    word = word.strip("'")
    if word in words:
        return True
    if "'" in word:
        if any(word.startswith(e) and word[len(e) :] in words for e in _ELISIONS):
            return True
        if word.endswith("'s") and word[:-2] in words:
            return True
        if word.endswith("'d") and (word[:-2] + "ed" in words or word[:-2] + "d" in words):
            return True
        if word.endswith("'st") and word[:-3] + "est" in words:
            return True
        return all(p in words for p in word.split("'") if len(p) > 1)
    return False


def plain_in_dictionary(word: str, words: frozenset[str]) -> bool:
    if word in words:
        return True
    parts = _SPLIT.split(word)
    if len(parts) > 1:
        return all(plain_known(p, words) for p in parts if plain_has_letter(p))
    return plain_known(word, words)


def plain_is_garbage(signal: GarbageRatioSignal, token: str) -> bool:
    """GarbageRatioSignal.is_garbage as first written: character loops, no ASCII shortcuts."""
    from filters.signals import garbage_ratio as g

    core = token.translate(HISTORIC).strip(EDGE_PUNCT)
    if core.isalpha() and len(core) > 1:
        if not (core.islower() or core.isupper() or core.istitle()) and g._MIXED_CASE.search(core):
            return not (core[:2] == "Mc" or core[:3] == "Mac")
        if len(core) >= signal.min_no_vowel_len and VOWELS.isdisjoint(core):
            return not g._ROMAN.match(core)
        return bool(g._TRIPLE.search(core)) and not g._ROMAN.match(core)
    if not core:
        runs = g._PUNCT_RUN.findall(token)
        return any(r not in g._ALLOWED_RUNS and set(r) - set(".-—*") for r in runs)
    has_alpha = any(c.isalpha() for c in core)
    if not has_alpha:
        return False
    if any(c.isdigit() for c in core):
        return not g._ORDINAL.match(core)
    if g._SYMBOLS.search(core):
        return True
    if len(core) == 1:
        return core not in signal.single_letter_words and not token.endswith(".") and token[0] not in "'’"
    if g._MIXED_CASE.search(core) and not (core[:2] == "Mc" or core[:3] == "Mac"):
        return True
    letters = core.replace("'", "").replace("-", "")
    if g._ROMAN.match(letters):
        return False
    if len(letters) >= signal.min_no_vowel_len and letters.isalpha() and not any(c in VOWELS for c in letters):
        return True
    return bool(g._TRIPLE.search(core))


# ------------------------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def texts(shared_data) -> list[str]:
    """Real OCR and clean print: English and French ICDAR periodical OCR (the noisiest), French monograph OCR,
    old_books Tesseract pages and three ECCO books (glued words, '∣' breaks)."""
    icdar = shared_data / "ocr_gold/icdar2017/Full_12M"
    out = [read_icdar(p).ocr_input for sub in ("eng_periodical", "fr_periodical") for p in icdar_files(icdar / sub)]
    out += [read_icdar(p).ocr_input for p in icdar_files(icdar / "fr_monograph")[:200]]
    out += [t for _, t in read_texts(shared_data / "ocr_pages/old_books/tesseract_otsu_txt")]
    out += [t for _, t in read_texts(shared_data / "clean_books/ecco_tcp")[:3]]
    return out


@pytest.fixture(scope="module")
def tokens(texts) -> list[str]:
    return sorted({t for text in texts for t in text.split()} | set(EDGE_CASES))


def test_word_lookup_fast_paths_equal_the_plain_definitions(tokens):
    assert len(tokens) > 100_000
    lists = [wordlist("en"), wordlist("fr")]
    for token in tokens:
        word = normalise(token)
        assert word == plain_normalise(token), token
        assert has_letter(word) == plain_has_letter(word), token
        assert has_letter(token) == plain_has_letter(token), token
        if plain_has_letter(word):
            assert [in_dictionary(word, w) for w in lists] == [plain_in_dictionary(word, w) for w in lists], token


def test_garbage_fast_paths_equal_the_plain_definition(tokens):
    for signal in (GarbageRatioSignal(), GarbageRatioSignal(min_no_vowel_len=4, single_letter_words="aI")):
        wrong = [t for t in tokens if signal.is_garbage(t) != plain_is_garbage(signal, t)]
        assert wrong == []


def books_of(texts: list[str], pages_per_book: int = 7) -> list[Document]:
    docs = []
    for i in range(0, len(texts), pages_per_book):
        pages = texts[i : i + pages_per_book]
        text, offsets = join_pages(pages)
        docs.append(Document(text=text, id=f"b/{i}", metadata={"page_offsets": offsets, "n_pages": len(pages)}))
    return docs


def copy(doc: Document) -> Document:
    return Document(text=doc.text, id=doc.id, metadata=dict(doc.metadata))


def alone_and_together(docs, dict_signal, garbage_signal):
    """(page scores of each signal measured alone, page scores of both measured together) for every book; the
    first are also checked against the plain definitions, page by page."""
    together = word_signals.WordSignals(dict_signal, garbage_signal)
    plain: dict[tuple, tuple[bool, bool, bool]] = {}
    for doc in docs:
        fused = together.page_scores(copy(doc))
        doc = copy(doc)
        alone = {s.signal: s.page_scores(doc, text_view(doc)) for s in (dict_signal, garbage_signal)}
        words = wordlist(doc.metadata["language"], dict_signal.min_zipf)
        expected = {"dict_ratio": [], "garbage_ratio": []}
        for page in text_view(doc).pages:
            tokens = page.split()
            for t in tokens:
                if (t, words) not in plain:
                    w = plain_normalise(t)
                    counted = plain_has_letter(w)
                    plain[t, words] = (
                        counted,
                        counted and plain_in_dictionary(w, words),
                        plain_is_garbage(garbage_signal, t),
                    )
            counted = sum(plain[t, words][0] for t in tokens)
            known = sum(plain[t, words][1] for t in tokens)
            bad = sum(plain[t, words][2] for t in tokens)
            expected["dict_ratio"].append((known / counted if counted else None, counted))
            expected["garbage_ratio"].append((bad / len(tokens) if tokens else None, len(tokens)))
        assert alone == expected
        yield alone, fused


@pytest.mark.parametrize(
    "params", [({}, {}), ({"min_zipf": 3.0}, {"min_no_vowel_len": 4, "single_letter_words": "a"})]
)
def test_both_signals_at_once_equal_each_alone(texts, params):
    dict_params, garbage_params = params
    docs = books_of(texts)
    pairs = list(alone_and_together(docs, DictRatioSignal(**dict_params), GarbageRatioSignal(**garbage_params)))
    assert len(pairs) == len(docs) >= 100
    for alone, together in pairs:
        assert together == alone


def test_a_warm_memo_gives_the_same_scores(texts):
    docs = books_of(texts[:80])
    together = word_signals.WordSignals(DictRatioSignal(), GarbageRatioSignal())
    cold = [together.page_scores(copy(d)) for d in docs]
    assert [together.page_scores(copy(d)) for d in docs] == cold


def test_pages_too_big_for_packed_counts_are_counted_field_by_field(texts, monkeypatch):
    monkeypatch.setattr(word_signals, "FIELD", 5)  # pages of 32 tokens or more take the field-by-field path
    short = " ".join(texts[0].split()[:20])
    docs = books_of([short, *texts[:20]], pages_per_book=3)
    for alone, together in alone_and_together(docs, DictRatioSignal(), GarbageRatioSignal()):
        assert together == alone


def test_the_filter_computes_both_at_once_with_the_same_metadata_as_the_blocks(texts):
    docs = books_of(texts[:60])
    by_blocks = [Document(text=d.text, id=d.id, metadata=dict(d.metadata)) for d in docs]
    for step in (DictRatioSignal(), WordConfidenceSignal(), GarbageRatioSignal()):  # the filter's signal order
        by_blocks = list(step.run(iter(by_blocks)))
    flt = OcrQualityFilter(max={"garbage_ratio": 1.0}, min={"dict_ratio": 0.0, "word_confidence": 0.0})
    by_filter = list(flt.run(iter(docs)))
    assert flt._word_signals is not None  # the fused path ran
    assert len(by_filter) == len(by_blocks)
    for a, b in zip(by_filter, by_blocks, strict=True):
        assert list(a.metadata) == list(b.metadata)
        for key in ("language", BOOK_KEY, PAGE_KEY):
            assert list(a.metadata[key]) == list(b.metadata[key])
            assert a.metadata[key] == b.metadata[key]
