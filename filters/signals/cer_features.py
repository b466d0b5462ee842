"""Features of a page's OCR text that predict its character error rate (``filters.signals.cer_estimate``).

Every feature is a share or mean over the page's whitespace tokens, computed from per-token values that are worked
out once per distinct token and language (a memo, as the other token signals do), so a page costs one lookup per
distinct token. Language-independent features (token shapes, character classes, OCR-debris patterns) are always
measured; language features need the book language's resources and are NaN (missing) when it has none:

- ``known``: share of words in the language's wordfreq list (Zipf >= 1), ``common``: Zipf >= 3, ``zipf``: mean Zipf;
- ``char_lp``: mean log2 probability per character under the language's character trigram model
  (``filters.signals.char_model``), ``char_low``: share of words scoring below the model's typical word by 2 bits
  (a word of the list counts as a typical word: only the others are scored);
- ``confusable``: share of words not in the list that become a common word (Zipf >= 3) by undoing one typical OCR
  confusion (rn/m, li/h, ii/n, long s read as f, c/e, 1/l, 0/o, u/n, ...).

The model learns how much to trust each; trained with some rows' language features blanked, it still estimates
when a language has no resources (``filters.signals.cer_model``).
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from itertools import islice

import numpy as np

from filters.signals.char_model import CharTrigramModel, char_model
from filters.signals.words import core_form, has_letter

LANGUAGE_FEATURES = ("known", "common", "zipf", "char_lp", "char_low", "confusable", "known_letters", "short_unknown")
SHAPE_FEATURES = (
    "log_tokens", "mean_len", "letter_tokens", "digit_mix", "inner_punct", "mixed_case", "short_word",
    "no_vowel", "triple", "punct_only", "letters", "digits", "punct", "symbols", "non_ascii", "upper_words",
    "long_word",
)  # fmt: skip
FEATURES = SHAPE_FEATURES + LANGUAGE_FEATURES
# how each feature may move the estimate (+1: more of it, more errors; -1: fewer; 0: either): the model is held to
# these directions, so it cannot learn a collection's quirk backwards (``filters.signals.cer_model``)
DIRECTION = {
    "letter_tokens": -1, "digit_mix": 1, "inner_punct": 1, "mixed_case": 1, "no_vowel": 1, "triple": 1,
    "punct_only": 1, "letters": -1, "symbols": 1, "long_word": 1, "known": -1, "common": -1, "zipf": -1,
    "char_lp": -1, "char_low": 1, "confusable": 1, "known_letters": -1, "short_unknown": 1,
}  # fmt: skip
CONFUSIONS = (
    ("rn", "m"), ("m", "rn"), ("li", "h"), ("h", "li"), ("ii", "n"), ("n", "ii"), ("in", "m"), ("ri", "n"),
    ("vv", "w"), ("cl", "d"), ("tl", "d"), ("f", "s"), ("c", "e"), ("e", "c"), ("u", "n"), ("n", "u"), ("o", "a"),
    ("a", "o"), ("t", "f"), ("b", "h"), ("h", "b"), ("l", "i"), ("i", "l"), ("1", "l"), ("l", "1"), ("0", "o"),
    ("5", "s"), ("8", "s"), ("ii", "u"), ("y", "v"), ("v", "y"), ("é", "e"), ("e", "é"),
)  # fmt: skip
_VOWELS = frozenset("aeiouyàáâãäåæèéêëìíîïòóôõöøùúûüýÿœěůąęóиаеоуыэюяъьіїєαεηιουωάέήίόύώ")
_LOW_MARGIN = 2.0  # bits per character below the language's typical word that mark a word as unlikely
# token fields (one tuple per distinct token): see ``token_values``
_N_FIELDS = 25


def _language_resources(lang: str | None) -> tuple[dict[str, float], CharTrigramModel, float] | None:
    """(word -> Zipf, character model, the model's typical word score) of ``lang``, or None without them."""
    if not lang:
        return None
    cached = _RESOURCES.get(lang)
    if cached is None and lang not in _RESOURCES:
        cached = _RESOURCES[lang] = _load_resources(lang)
    return cached


_RESOURCES: dict[str, tuple | None] = {}


def _load_resources(lang: str) -> tuple[dict[str, float], CharTrigramModel, float] | None:
    model = char_model(lang)
    if model is None:
        return None
    import wordfreq

    zipf = {w: math.log10(f) + 9 for w, f in wordfreq.get_frequency_dict(lang, "best").items() if f >= 1e-8}
    # the median score of the language's words (every tenth of the 20,000 most frequent: wordfreq lists them first)
    top = [w for w in islice(zipf, 20_000) if w.isalpha()][::10]
    typical = sorted(model.word_score(w) for w in top)[len(top) // 2]
    return zipf, model, typical


def _confusable(word: str, zipf: dict[str, float]) -> bool:
    """Whether undoing one OCR confusion turns ``word`` into a common word of the list."""
    for wrong, right in CONFUSIONS:
        start = word.find(wrong)
        while start >= 0:
            if zipf.get(word[:start] + right + word[start + len(wrong) :], 0.0) >= 3.0:
                return True
            start = word.find(wrong, start + 1)
    return False


def _char_classes(token: str) -> tuple[int, int, int, int, int]:
    """(letters, digits, punctuation, other symbols, non-ASCII characters) of a token."""
    if token.isalpha():
        return len(token), 0, 0, 0, 0 if token.isascii() else sum(1 for ch in token if ord(ch) > 127)
    letters = digits = punct = symbols = 0
    for ch in token:
        if ch.isalpha():
            letters += 1
        elif ch.isdigit():
            digits += 1
        elif unicodedata.category(ch)[0] == "P":
            punct += 1
        else:
            symbols += 1
    non_ascii = 0 if token.isascii() else sum(1 for ch in token if ord(ch) > 127)
    return letters, digits, punct, symbols, non_ascii


_INNER_PUNCT = re.compile(r"\w[^\w\s'’\-]+\w")
_MIXED_CASE = re.compile(r"[^\W\d_][^\W\d_]*?(?<=[a-zß-ÿ])[A-ZÀ-Þ]")
_TRIPLE = re.compile(r"([^\W\d_])\1\1", re.IGNORECASE)


def token_values(token: str, resources: tuple | None) -> tuple:  # long: one flat record of every token value
    """The per-token values the page features sum: see ``_N_FIELDS``; language values are 0 without resources."""
    letters, digits, punct, symbols, non_ascii = _char_classes(token)
    core = core_form(token)
    word = core.lower()
    is_word = has_letter(word)
    alpha = word.isalpha()
    digit_mix = is_word and digits > 0
    inner = is_word and not alpha and _INNER_PUNCT.search(core) is not None
    mixed = (
        is_word and not (core.islower() or core.isupper() or core.istitle()) and _MIXED_CASE.search(core) is not None
    )
    short = alpha and len(word) == 1
    no_vowel = alpha and len(word) >= 4 and not (_VOWELS & set(word))
    triple = alpha and _TRIPLE.search(word) is not None
    upper = alpha and len(core) > 1 and core.isupper()
    long_word = alpha and len(word) >= 15
    known = common = confusable = known_letters = short_unknown = 0
    zipf_value = char_lp = char_low = 0.0
    if resources is not None and is_word:
        zipf, model, typical = resources
        z = zipf.get(word, 0.0)
        known, common, zipf_value = int(z >= 1.0), int(z >= 3.0), z
        known_letters = letters if known else 0
        short_unknown = int(alpha and len(word) <= 2 and not known)
        if alpha:  # a listed word counts as a typical word of the language: the model scores the others only
            char_lp = typical if known else model.word_score(word)
            char_low = float(char_lp < typical - _LOW_MARGIN)
        if not known and alpha and len(word) >= 3:
            confusable = int(_confusable(word, zipf))
    return (
        len(token), int(is_word), int(digit_mix), int(inner), int(mixed), int(short), int(no_vowel), int(triple),
        int(not letters and not digits), letters, digits, punct, symbols, non_ascii, int(upper), int(long_word),
        known, common, zipf_value, char_lp, char_low, confusable, known_letters, short_unknown, int(alpha),
    )  # fmt: skip


class _TokenTable:
    """Token values of one language: token -> row of a numpy table that grows by doubling."""

    def __init__(self):
        self.index: dict[str, int] = {}
        self.rows = np.zeros((1024, _N_FIELDS))

    def add(self, tokens: list[str], resources: tuple | None) -> None:
        n = len(self.index)
        if n + len(tokens) > len(self.rows):
            grown = np.zeros((max(2 * len(self.rows), n + len(tokens)), _N_FIELDS))
            grown[:n] = self.rows[:n]
            self.rows = grown
        self.rows[n : n + len(tokens)] = [token_values(t, resources) for t in tokens]
        self.index.update(zip(tokens, range(n, n + len(tokens)), strict=True))


class PageFeatures:
    """Computes ``FEATURES`` for pages: token values worked out once per distinct token and language (a table of
    at most ``memo_limit`` tokens per language, emptied when full), summed per page in one numpy product."""

    def __init__(self, memo_limit: int = 500_000):
        self._tables: dict[str | None, _TokenTable] = {}
        self.memo_limit = memo_limit

    def features(self, counts: Counter, lang: str | None) -> list[float]:
        """The feature vector (``FEATURES`` order) of a page given its token counts and the book language."""
        resources = _language_resources(lang)
        key = lang if resources is not None else None
        table = self._tables.get(key)
        if table is None or len(table.index) > self.memo_limit:
            table = self._tables[key] = _TokenTable()
        index = table.index
        new = [t for t in counts if t not in index]
        if new:
            table.add(new, resources)
        if not counts:
            return self.from_sums([0.0] * _N_FIELDS, 0, resources is not None)
        rows = np.fromiter(map(index.__getitem__, counts), dtype=np.int64, count=len(counts))
        weights = np.fromiter(counts.values(), dtype=float, count=len(counts))
        sums = (weights @ table.rows[rows]).tolist()
        return self.from_sums(sums, int(weights.sum()), resources is not None)

    @staticmethod
    def from_sums(sums: list[float], tokens: int, has_language: bool) -> list[float]:
        """Shares and means from the summed token values."""
        nan = math.nan
        if not tokens:
            return [nan] * len(FEATURES)
        chars = sums[0] or 1.0
        words = sums[1]
        per_word = (lambda i: sums[i] / words) if words else (lambda i: nan)
        shape = [
            math.log1p(tokens), chars / tokens, words / tokens, per_word(2), per_word(3), per_word(4), per_word(5),
            per_word(6), per_word(7), sums[8] / tokens, sums[9] / chars, sums[10] / chars, sums[11] / chars,
            sums[12] / chars, sums[13] / chars, per_word(14), per_word(15),
        ]  # fmt: skip
        if not has_language or not words:
            return shape + [nan] * len(LANGUAGE_FEATURES)
        word_letters = sums[9] or 1.0
        alpha = sums[24] or 1.0  # letters-only words: those the character model scores
        language = [per_word(16), per_word(17), per_word(18), sums[19] / alpha, sums[20] / alpha, per_word(21)]
        return shape + language + [sums[22] / word_letters, per_word(23)]
