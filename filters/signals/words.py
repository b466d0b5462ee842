"""Word normalisation, word lists (from the ``wordfreq`` package) and book language, shared by the signals.

A printed token is looked up as: historic letter forms normalised (long s -> s, ligatures split, curly
apostrophes straightened), lower-cased, punctuation stripped from both ends; then whole, then (when not found)
with elisions and contractions resolved (``l'homme`` -> ``homme``, ``lov'd`` -> ``loved``, ``king's`` ->
``king``) and hyphenated parts looked up one by one.
"""

from __future__ import annotations

import re
from functools import lru_cache

# letter forms of historic print and of Unicode presentation blocks, mapped to their modern spelling
HISTORIC = str.maketrans(
    {"ſ": "s", "ﬁ": "fi", "ﬂ": "fl", "ﬀ": "ff", "ﬃ": "ffi", "ﬄ": "ffl", "ﬅ": "st", "ﬆ": "st", "’": "'", "‘": "'"}
)
# stripped from both ends of a token before lookup
EDGE_PUNCT = "\"'.,;:!?()[]{}<>«»“”„‟‹›*†‡§¶|/\\_-–—―~`^·•°"
# vowels of the Latin (with Central European letters), Greek and Cyrillic alphabets (ъ and ь: Bulgarian and
# pre-reform spelling use them as vowels; ѣ yat)
VOWELS = frozenset(
    "aeiouyàáâãäåæèéêëìíîïòóôõöøùúûüýÿœāăąēĕėęěīĭįıōŏőūŭůűųAEIOUYÀÁÂÃÄÅÆÈÉÊËÌÍÎÏÒÓÔÕÖØÙÚÛÜÝŸŒĀĂĄĒĔĖĘĚĪĬĮİŌŎŐŪŬŮŰŲ"
    "αεηιουωάέήίόύώϊϋΐΰΑΕΗΙΟΥΩΆΈΉΊΌΎΏ"
    "аеёиоуыэюяіїєъьѣѫѧАЕЁИОУЫЭЮЯІЇЄЪЬѢѪѦ"
)
# inside a token, anything but letters, digits and apostrophes separates words: "me—and", "you.Juno" (print
# without spaces, flattened line breaks), "sea-shore" (each part must be a word)
_SPLIT = re.compile(r"[^\w']+")
ELISIONS = ("l'", "d'", "j'", "m'", "n'", "s'", "t'", "c'", "qu'", "jusqu'", "lorsqu'", "puisqu'")


_ASCII_LETTER = re.compile("[A-Za-z]").search


def core_form(token: str) -> str:
    """A printed token with historic forms modernised and edge punctuation stripped (case kept)."""
    if token.isascii():  # no historic form is ASCII: skip the translation
        return token.strip(EDGE_PUNCT)
    return token.translate(HISTORIC).strip(EDGE_PUNCT)


def normalise(token: str) -> str:
    """The lookup form of a printed token: historic forms modernised, lower-cased, edge punctuation stripped.

    Equal to ``core_form(token).lower()``: lower-casing neither makes nor unmakes edge punctuation."""
    return core_form(token).lower()


def has_letter(word: str) -> bool:
    if word.isascii():  # the ASCII characters that are alphabetic are A-Z and a-z
        return _ASCII_LETTER(word) is not None
    return any(map(str.isalpha, word))


@lru_cache(maxsize=32)
def wordlist(lang: str, min_zipf: float = 1.0) -> frozenset[str]:
    """Words of ``lang`` from wordfreq's best list whose Zipf frequency is at least ``min_zipf``.

    Zipf = log10(occurrences per billion words); 1.0 keeps words seen about once in 100 million words, which
    drops most OCR junk that wordfreq's web and book sources contain while keeping rare real words.
    """
    import wordfreq

    if lang not in wordfreq.available_languages(wordlist="best"):
        raise ValueError(f"wordfreq has no word list for language {lang!r}")
    min_freq = 10 ** (min_zipf - 9)
    return frozenset(w for w, f in wordfreq.get_frequency_dict(lang, "best").items() if f >= min_freq)


def in_dictionary(word: str, words: frozenset[str]) -> bool:
    """Whether a normalised token (letters present) is made of words of the list: each part between punctuation
    marks (hyphen, dash, period glued between words) must be a word, allowing elisions and contractions."""
    return word in words or in_dictionary_parts(word, words)


def in_dictionary_parts(word: str, words: frozenset[str]) -> bool:
    """``in_dictionary`` for a word already known not to be in ``words`` itself."""
    parts = _SPLIT.split(word)
    if len(parts) > 1:
        for p in parts:  # all parts with letters are known
            known = p in words if "'" not in p else _known(p, words)  # _known without an apostrophe: p in words
            if not known and has_letter(p):
                return False
        return True
    return "'" in word and _known(word, words)


def _known(word: str, words: frozenset[str]) -> bool:
    word = word.strip("'")
    if word in words:
        return True
    if "'" in word:
        for e in ELISIONS:
            if word.startswith(e) and word[len(e) :] in words:
                return True
        if word.endswith("'s") and word[:-2] in words:
            return True
        if word.endswith("'d") and (word[:-2] + "ed" in words or word[:-2] + "d" in words):
            return True
        if word.endswith("'st") and word[:-3] + "est" in words:
            return True
        return all(p in words for p in word.split("'") if len(p) > 1)
    return False


_IDENTIFIERS: dict[tuple[str, ...], object] = {}
# py3langid codes whose word list wordfreq files under another code (Croatian and Bosnian in Serbo-Croatian's
# Latin-script list, Norwegian in Bokmål, Tagalog in Filipino)
WORDLIST_ALIASES = {"hr": "sh", "bs": "sh", "no": "nb", "tl": "fil"}


def identifier(languages: list[str] | tuple[str, ...] = ()):
    """py3langid's identifier restricted to ``languages`` (empty = every language its model knows), cached."""
    key = tuple(sorted(set(languages)))
    ident = _IDENTIFIERS.get(key)
    if ident is None:
        from py3langid.langid import MODEL_FILE, LanguageIdentifier

        ident = LanguageIdentifier.from_model_file(MODEL_FILE)
        if key:
            ident.set_languages(list(key))
        _IDENTIFIERS[key] = ident
    return ident


def detect_language(text: str, languages: list[str] | tuple[str, ...] = ()) -> str:
    """The most likely of ``languages`` (empty = all py3langid knows) for ``text``; its model ships in the package."""
    if len(languages) == 1:
        return languages[0]
    return identifier(languages).classify(text)[0]


def language_code(given: object) -> str | None:
    """A language as the source gives it (``en``, ``en-US``, ``fil``) as a py3langid code, or None."""
    if not isinstance(given, str) or not given.strip():
        return None
    base = re.split(r"[-_]", given.strip().lower())[0]
    if len(base) == 2 or base in WORDLIST_ALIASES.values() or base in identifier().nb_classes:
        return base
    return base[:2]


def book_language(text: str, metadata: dict, languages: list[str] = (), sample_chars: int = 3_000) -> str:
    """``metadata["language"]`` when set (and one of ``languages`` when they are given), else detected on a sample
    of the text among ``languages`` (empty = every language py3langid knows)."""
    given = language_code(metadata.get("language"))
    if given and (not languages or given in languages):
        return given
    if len(text) > sample_chars:  # three slices: beginning, middle, end
        third = sample_chars // 3
        mid = len(text) // 2
        text = text[:third] + " " + text[mid - third // 2 : mid + third // 2] + " " + text[-third:]
    return detect_language(text, languages)


@lru_cache(maxsize=256)
def wordlist_language(lang: str) -> str | None:
    """wordfreq's code of the best word list for language ``lang``, or None when wordfreq has none."""
    import wordfreq

    code = WORDLIST_ALIASES.get(lang, lang)
    return code if code in wordfreq.available_languages(wordlist="best") else None
