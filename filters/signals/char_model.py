"""Character trigram models of a language's words, built from its ``wordfreq`` list (no download, no training data).

A printed word is scored by the mean log2 probability of its character trigrams (with word-boundary marks) under
the model of the book's language: words of the language score high, OCR debris (``tbe``, ``fuch``, ``w1th``)
scores low even when it is not in any word list. The model is built once per language from the words and
frequencies of wordfreq's "best" list (about a second), so it needs nothing the package does not ship.
"""

from __future__ import annotations

import math
from collections import Counter
from functools import lru_cache
from itertools import islice

BOUND = "\x02"  # word start/end mark
TOP_WORDS = 60_000  # most frequent words of the list used to build the model


class CharTrigramModel:
    """log2 P(c | two previous characters), interpolated with the bigram and unigram estimates (fixed weights)."""

    def __init__(self, words: dict[str, float]):
        tri: Counter = Counter()
        bi: Counter = Counter()
        uni: Counter = Counter()
        for word, freq in words.items():
            w = f"{BOUND}{BOUND}{word}{BOUND}"
            weight = freq**0.5  # damped: frequent function words do not swamp the rest
            for i in range(2, len(w)):
                tri[w[i - 2 : i + 1]] += weight
                bi[w[i - 1 : i + 1]] += weight
                uni[w[i]] += weight
        ctx2: Counter = Counter()
        ctx1: Counter = Counter()
        for t, c in tri.items():
            ctx2[t[:2]] += c
        for b, c in bi.items():
            ctx1[b[0]] += c
        total = sum(uni.values())
        floor = 1.0 / (total * 100)  # an unseen character
        self._logp: dict[str, float] = {}
        self._tri, self._bi, self._uni, self._ctx2, self._ctx1, self._total, self._floor = (
            tri, bi, uni, ctx2, ctx1, total, floor,
        )  # fmt: skip

    def logp(self, trigram: str) -> float:
        """log2 of the interpolated probability of the trigram's last character."""
        cached = self._logp.get(trigram)
        if cached is not None:
            return cached
        p3 = self._tri[trigram] / self._ctx2[trigram[:2]] if self._ctx2[trigram[:2]] else 0.0
        p2 = self._bi[trigram[1:]] / self._ctx1[trigram[1]] if self._ctx1[trigram[1]] else 0.0
        p1 = self._uni[trigram[2]] / self._total
        value = math.log2(0.6 * p3 + 0.3 * p2 + 0.1 * p1 + self._floor)
        if len(self._logp) < 2_000_000:
            self._logp[trigram] = value
        return value

    def word_score(self, word: str) -> float:
        """Mean log2 probability per character (end mark included) of a lower-cased word."""
        w = f"{BOUND}{BOUND}{word}{BOUND}"
        return sum(self.logp(w[i - 2 : i + 1]) for i in range(2, len(w))) / (len(w) - 2)


@lru_cache(maxsize=16)
def char_model(lang: str) -> CharTrigramModel | None:
    """The model of ``lang``, or None when wordfreq has no list for it."""
    import wordfreq

    if lang not in wordfreq.available_languages(wordlist="best"):
        return None
    freqs = wordfreq.get_frequency_dict(lang, "best")  # most frequent first (wordfreq stores its lists so)
    top = dict(islice(freqs.items(), TOP_WORDS))
    return CharTrigramModel({w: f for w, f in top.items() if any(map(str.isalpha, w))})
