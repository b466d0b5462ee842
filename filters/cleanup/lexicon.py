"""Word lookups for the clean-up blocks: a frequency dictionary from ``wordfreq`` and a book's own vocabulary.

Dictionaries are loaded once per process and language (a ``wordfreq`` list, ~0.2 s) and kept as a set of the
words at or above a Zipf frequency (``min_zipf``: 3 = once per million words; 2 = once per 10 million).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from functools import cached_property, lru_cache

# characters stripped from both ends of a token before it is looked up
PUNCT = "\"'!#$%&()*+,./:;<=>?@[\\]^_`{|}~“”‘’«»„‚‹›—–-…·•¬¶§†‡*"
HYPHENS = "-\u2010\u00ad\u00ac\u2e17"  # hyphen-minus, hyphen, soft hyphen, not sign (Fraktur OCR), double hyphen
SOFT_HYPHEN = "\u00ad"


def check_language(language: str) -> None:
    """Raise ValueError naming the known languages when wordfreq has no word list for ``language``."""
    import wordfreq

    if language not in wordfreq.available_languages(wordlist="best"):
        known = ", ".join(sorted(wordfreq.available_languages(wordlist="best")))
        raise ValueError(f"wordfreq has no word list for language {language!r}; known: {known}")


@lru_cache(maxsize=16)
def dictionary(language: str, min_zipf: float) -> frozenset[str]:
    """Words of ``language`` with a Zipf frequency of at least ``min_zipf`` in wordfreq's ``best`` list."""
    import wordfreq

    check_language(language)
    threshold = 10 ** (min_zipf - 9)  # zipf = log10(frequency per billion words)
    return frozenset(w for w, f in wordfreq.get_frequency_dict(language, wordlist="best").items() if f >= threshold)


def book_vocabulary(words: list[str]) -> dict[str, int]:
    """How often each word occurs among a book's tokens (the shared ``text_view`` words), punctuation stripped
    from its ends, lower case (apostrophes as printed). Tokens are counted first, in C, so the Python work is
    once per distinct token."""
    vocab: defaultdict[str, int] = defaultdict(int)
    for token, n in Counter(words).items():
        vocab[token.strip(PUNCT).lower()] += n
    return vocab


class HyphenJudge:
    """Decides whether a word broken at a line-end hyphen is one word (join) or a compound (keep the hyphen).

    In order: a soft hyphen always joins; a capital after the hyphen (``Anglo-Saxon``) keeps it unless the
    head is in capitals too; then the book's own usage (``well-known`` vs ``wellknown`` elsewhere in the book,
    the more frequent form wins); then the dictionary (the joined form is a word: join; else both parts are
    words: keep); else ``unknown`` ("keep" or "join"). Returns (decision, reason) or None for no word break.
    """

    def __init__(self, language: str, min_zipf: float, unknown: str):
        if unknown not in ("keep", "join"):
            raise ValueError(f"unknown must be 'keep' or 'join', got {unknown!r}")
        check_language(language)
        self.language = language
        self.min_zipf = min_zipf
        self.unknown = unknown

    @cached_property
    def words(self) -> frozenset[str]:
        """The dictionary, loaded on first use (once per process), so a pickled block stays small."""
        return dictionary(self.language, self.min_zipf)

    def decide(self, head: str, tail: str, hyphen: str, vocab: dict[str, int]) -> tuple[bool, str] | None:
        """``head``/``tail``: the tokens before and after the break (hyphen removed). (join?, reason) or None."""
        a = head.lstrip(PUNCT)
        b = tail.rstrip(PUNCT)
        if not a or not b or not a[-1].isalpha() or not b[0].isalpha():
            return None
        if hyphen == SOFT_HYPHEN:
            return True, "soft_hyphen"
        if b[0].isupper() and not a.isupper():
            return False, "capital"
        joined = (a + b).lower()
        n_joined, n_compound = vocab.get(joined, 0), vocab.get(f"{a}-{b}".lower(), 0)
        if n_compound > n_joined:
            return False, "book"
        if n_joined:
            return True, "book"
        if joined.replace("’", "'") in self.words:
            return True, "dictionary"
        if a.lower() in self.words and b.lower().replace("’", "'") in self.words:
            return False, "dictionary"
        return self.unknown == "join", "unknown"
