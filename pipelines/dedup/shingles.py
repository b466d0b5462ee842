"""Book shingles hashed in bulk, and one-permutation MinHash signatures that datatrove's bucket stage reads.

Normalisation (``normalize=True``) makes two OCR runs of a page agree more: Unicode compatibility forms (so long s
``ſ`` becomes ``s`` and ligatures split), diacritics dropped, lower case, and only runs of letters kept as words
(punctuation, digits such as page numbers, and underscores separate words). Shingles are word or character
n-grams of the normalised text, hashed to 64 bits with numpy (xxhash of each word, then a mixing of n
consecutive hashes), so no Python object is made per n-gram.

The signature is one-permutation MinHash (Li, Owen & Zhang 2012): each shingle hash falls in one of K bins
(``hash % K``) and the bin keeps its smallest ``hash // K``; empty bins (short books) borrow the value of a bin
chosen by a fixed pseudo-random sequence (optimal densification, Shrivastava 2017). Two books agree in a bin
with probability equal to their Jaccard similarity, as with K separate hash functions, at the cost of one hash
per shingle instead of K.
"""

from __future__ import annotations

import re
import unicodedata

import numpy as np
import xxhash

from pipelines.dedup.arrays import distinct

_WORD = re.compile(r"[^\W\d_]+")
_COMBINING = re.compile(r"[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]+")
_EMPTY = np.iinfo(np.uint64).max
_PRIME = np.uint64(0x9E3779B97F4A7C15)


def normalized_words(text: str, normalize: bool = True) -> list[str]:
    """Words of ``text``: with ``normalize``, runs of letters of the NFKD, diacritic-free, lower-cased text."""
    if not normalize:
        return text.split()
    if not text.isascii():
        text = _COMBINING.sub("", unicodedata.normalize("NFKD", text))
    return _WORD.findall(text.lower())


def _mix(h: np.ndarray, seed: int) -> np.ndarray:
    """splitmix64 finaliser: spreads every input bit over the 64 output bits (wrapping uint64 arithmetic)."""
    h = h ^ np.uint64(seed & 0xFFFFFFFFFFFFFFFF)
    h ^= h >> np.uint64(30)
    h *= np.uint64(0xBF58476D1CE4E5B9)
    h ^= h >> np.uint64(27)
    h *= np.uint64(0x94D049BB133111EB)
    h ^= h >> np.uint64(31)
    return h


def word_hashes(words: list[str]) -> np.ndarray:
    return np.fromiter(map(xxhash.xxh64_intdigest, words), dtype=np.uint64, count=len(words))


def _ngram_hashes(units: np.ndarray, n: int, seed: int) -> np.ndarray:
    """One hash per window of ``n`` consecutive unit hashes (order-sensitive)."""
    if len(units) < n:
        return np.empty(0, dtype=np.uint64)
    count = len(units) - n + 1
    with np.errstate(over="ignore"):
        h = units[:count].copy()
        for j in range(1, n):
            h = h * _PRIME + units[j : j + count]
        return _mix(h, seed)


def shingle_hashes(text: str, unit: str = "word", n_grams: int = 3, normalize: bool = True, seed: int = 1):
    """Distinct 64-bit hashes of the word (or character) n-grams of ``text``; empty when it is too short."""
    words = normalized_words(text, normalize)
    if unit == "word":
        units = word_hashes(words)
    elif unit == "char":
        joined = " ".join(words)
        units = np.frombuffer(joined.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    else:
        raise ValueError(f"shingle unit must be 'word' or 'char', not {unit!r}")
    return distinct(_ngram_hashes(units, n_grams, seed))


class OnePermutationMinhash:
    """K-bin one-permutation MinHash with optimal densification; ``signature`` returns K uint64 values < 2**64 / K."""

    def __init__(self, num_hashes: int, seed: int = 1, attempts: int = 64):
        if num_hashes < 16:
            raise ValueError("one-permutation MinHash needs at least 16 bins (num_buckets * hashes_per_bucket)")
        self.k = num_hashes
        rng = np.random.default_rng(seed)
        # the bins an empty bin borrows from, tried in order: the same sequence for every book
        self.borrow = rng.integers(0, num_hashes, size=(num_hashes, attempts), dtype=np.int64)

    def signature(self, shingles: np.ndarray) -> np.ndarray:
        k = np.uint64(self.k)
        sig = np.full(self.k, _EMPTY, dtype=np.uint64)
        np.minimum.at(sig, (shingles % k).astype(np.int64), shingles // k)
        empty = np.flatnonzero(sig == _EMPTY)
        if len(empty) and len(empty) < self.k:
            filled = sig != _EMPTY
            source = np.full(len(empty), -1, dtype=np.int64)
            for t in range(self.borrow.shape[1]):
                todo = source < 0
                if not todo.any():
                    break
                cand = self.borrow[empty[todo], t]
                ok = filled[cand]
                idx = np.flatnonzero(todo)[ok]
                source[idx] = cand[ok]
            for i in np.flatnonzero(source < 0):  # rare: fall back to the next filled bin to the right
                j = (empty[i] + 1 + np.argmax(np.roll(filled, -(empty[i] + 1)))) % self.k
                source[i] = j
            sig[empty] = sig[source]
        return sig
