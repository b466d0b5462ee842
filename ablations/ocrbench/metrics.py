"""CER, WER and a bag-of-words error with dinglehopper's definitions, raw and normalised, as pooled counts.

- CER: Levenshtein distance between the Unicode grapheme clusters (UAX #29, via uniseg) of the NFC texts, over
  the number of clusters of the reference (dinglehopper's ``character_error_rate_n``).
- WER: Levenshtein distance between the word lists, over the reference's words. Words are UAX #29 word-break
  segments with private-use characters treated as letters, dropping segments made only of whitespace,
  punctuation, symbols, marks and control/format characters (dinglehopper's ``words``). Note: dinglehopper
  0.11 with uniseg 0.10 means to treat private-use characters as letters but its patch has no effect there
  (uniseg binds the property function as a default argument), so that combination splits "certant\\ue8bf" into
  "certant" and "\\ue8bf"; here the documented intent is applied (one word).
- Bag of words (BoW): the same words as multisets R (reference) and H (hypothesis); errors =
  max(|R - H|, |H - R|), n = |R|. It ignores reading order (a page read with its columns or marginalia in another
  order scores as if read in order), and a substituted word counts once, as in the WER.
- An empty reference has n = 0 and no rate (None), where dinglehopper gives infinity.
- Raw metrics (``score_pair``) first read both texts as dinglehopper's command line reads a text file
  (``reading.as_read``: BOM, CR LF, whitespace around each line, its NFC_SBB table), so a raw CER equals its CLI on
  the same files; a CR LF line end or a BOM is then no error. The functions below work on strings as given.

Speed: uniseg is pure Python (about 60 µs per character), so ``graphemes`` hands it only the stretches that
need its rules (characters from U+0300 up outside the letter, punctuation and private-use blocks that never join
their neighbours, and CR), and ``words`` splits at ASCII whitespace, takes plain "punctuation + letters/digits
+ punctuation" tokens as they are and caches the segmentation of the rest; both are checked against uniseg in
the tests.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache

import uniseg.wordbreak
from rapidfuzz.distance import Levenshtein
from uniseg.graphemecluster import grapheme_clusters

from ablations.ocrbench.normalize import Normalization, normalize
from ablations.ocrbench.reading import as_read

# characters that always form a grapheme cluster of their own unless a mark or joiner follows: no Extend,
# SpacingMark, Prepend, ZWJ, Hangul, regional indicator or emoji among them (CR is left out: CR LF is one cluster)
_ALONE = "\x00-\x0c\x0e-\u02ff\u1e00-\u1eff\u2010-\u2027\u2030-\u205e\ue000-\uf8ff\ufb00-\ufb06"
_NEEDS_RULES = re.compile(f"[{_ALONE}]?[^{_ALONE}]+\n?")
# Grapheme_Cluster_Break=Prepend (Unicode 15.1): joins the character after it, whatever that is
_PREPEND = re.compile(
    "[\u0600-\u0605\u06dd\u070f\u0890\u0891\u08e2\u0d4e\U000110bd\U000110cd\U000111c2\U000111c3\U0001193f"
    "\U00011941\U00011a3a\U00011a84-\U00011a89\U00011d46\U00011f02]"
)


def graphemes(text: str) -> list[str]:
    """The grapheme clusters of the NFC form of ``text`` (uniseg, as dinglehopper)."""
    text = unicodedata.normalize("NFC", text)
    if _PREPEND.search(text):
        return list(grapheme_clusters(text))
    out: list[str] = []
    pos = 0
    for m in _NEEDS_RULES.finditer(text):
        out.extend(text[pos : m.start()])
        out.extend(grapheme_clusters(m.group()))
        pos = m.end()
    out.extend(text[pos:])
    return out


def char_errors(ref: str, hyp: str) -> tuple[int, int]:
    """(Levenshtein distance over grapheme clusters, clusters of ``ref``)."""
    r, h = graphemes(ref), graphemes(hyp)
    return Levenshtein.distance(r, h), len(r)


def _word_break(c: str) -> uniseg.wordbreak.WordBreak:
    """uniseg's Word_Break with private-use characters as ALetter (dinglehopper's patch, passed explicitly)."""
    return uniseg.wordbreak.WordBreak.ALETTER if "\ue000" <= c <= "\uf8ff" else uniseg.wordbreak.word_break(c)


def _unwanted(c: str) -> bool:
    cat = unicodedata.category(c)
    return cat[0] in "OMPZS" or cat in ("Cc", "Cf")


def _range_chars(ranges: str, keep) -> str:
    chars = (chr(i) for a, b in zip(ranges[::2], ranges[1::2], strict=True) for i in range(ord(a), ord(b) + 1))
    return re.escape("".join(c for c in chars if keep(c)))


# letters and digits that join each other (ALetter, Numeric) and punctuation/symbols that join nothing on either
# side when no letter or digit is on their other side (not "_" and the other ExtendNumLet, not marks or formats)
_LETTERS = _range_chars("09AZaz\u00aa\u024f\u1e00\u1eff", lambda c: c.isalpha() or c in "0123456789") + (
    "\ue000-\uf8ff"
)
_PUNCT = _range_chars(
    "!/:@[`{~\u00a1\u00bf\u00d7\u00d7\u00f7\u00f7\u2010\u2027\u2030\u205e",
    lambda c: unicodedata.category(c)[0] in "PS" and c not in "_\u203f\u2040\u2054",
)
_PLAIN_TOKEN = re.compile(f"[{_PUNCT}]*([{_LETTERS}]+)[{_PUNCT}]*")
_ASCII_SPACE = re.compile("[ \t\n\r\f\v]+")


@lru_cache(maxsize=200_000)
def _token_words(token: str) -> tuple[str, ...]:
    return tuple(w for w in uniseg.wordbreak.words(token, property=_word_break) if not all(map(_unwanted, w)))


def words(text: str) -> list[str]:
    """The words of the NFC form of ``text`` (dinglehopper's definition, module docstring)."""
    out: list[str] = []
    for token in _ASCII_SPACE.split(unicodedata.normalize("NFC", text)):
        plain = _PLAIN_TOKEN.fullmatch(token)
        if plain:
            out.append(plain.group(1))
        elif token:
            out.extend(_token_words(token))
    return out


def word_errors(ref: str, hyp: str) -> tuple[int, int]:
    """(Levenshtein distance over words, words of ``ref``)."""
    r, h = words(ref), words(hyp)
    return Levenshtein.distance(r, h), len(r)


def bow_errors(ref: str, hyp: str) -> tuple[int, int]:
    """(max(|R - H|, |H - R|) over the word multisets, words of ``ref``): the WER without reading order."""
    r, h = Counter(words(ref)), Counter(words(hyp))
    return max(sum((r - h).values()), sum((h - r).values())), sum(r.values())


def _rate(errors: int, n: int) -> float | None:
    return errors / n if n else None


@dataclass(frozen=True)
class PairScore:
    """Error counts of one (reference, hypothesis) pair: raw (dinglehopper's definitions on the texts as they
    are) and ``norm_`` (after ``normalize``). Pool pages by summing errors and n; the rates are per pair."""

    cer_errors: int
    cer_n: int
    wer_errors: int
    wer_n: int
    bow_errors: int
    bow_n: int
    norm_cer_errors: int
    norm_cer_n: int
    norm_wer_errors: int
    norm_wer_n: int
    norm_bow_errors: int
    norm_bow_n: int

    @property
    def cer(self) -> float | None:
        return _rate(self.cer_errors, self.cer_n)

    @property
    def wer(self) -> float | None:
        return _rate(self.wer_errors, self.wer_n)

    @property
    def bow(self) -> float | None:
        return _rate(self.bow_errors, self.bow_n)

    @property
    def norm_cer(self) -> float | None:
        return _rate(self.norm_cer_errors, self.norm_cer_n)

    @property
    def norm_wer(self) -> float | None:
        return _rate(self.norm_wer_errors, self.norm_wer_n)

    @property
    def norm_bow(self) -> float | None:
        return _rate(self.norm_bow_errors, self.norm_bow_n)


def score_pair(ref: str, hyp: str, norm: Normalization) -> PairScore:
    """Raw and normalised CER, WER and BoW counts of ``hyp`` against the reference ``ref``. Raw: both texts as
    dinglehopper's CLI reads them from files (``reading.as_read``), so the raw CER and WER equal its CLI's."""
    nref, nhyp = normalize(ref, norm), normalize(hyp, norm)
    rref, rhyp = as_read(ref), as_read(hyp)
    return PairScore(
        *char_errors(rref, rhyp),
        *word_errors(rref, rhyp),
        *bow_errors(rref, rhyp),
        *char_errors(nref, nhyp),
        *word_errors(nref, nhyp),
        *bow_errors(nref, nhyp),
    )


_SHOWN = {"\n": "↵", "\r": "␍", "\t": "⇥"}
GAP = "∅"  # a column where one side has nothing (an insertion or a deletion)


def _columns(ref: list[str], hyp: list[str]) -> list[tuple[str, str]]:
    """The Levenshtein alignment as (reference cluster, hypothesis cluster) columns, ``GAP`` where one is missing."""
    cols: list[tuple[str, str]] = []
    for tag, i1, i2, j1, j2 in Levenshtein.opcodes(ref, hyp):
        if tag == "equal":
            cols.extend(zip(ref[i1:i2], hyp[j1:j2], strict=True))
            continue
        r, h = ref[i1:i2], hyp[j1:j2]
        common = min(len(r), len(h))
        cols.extend(zip(r[:common], h[:common], strict=True))
        cols.extend((c, GAP) for c in r[common:])
        cols.extend((GAP, c) for c in h[common:])
    return cols


def _cell(cluster: str) -> tuple[str, int]:
    """A cluster as printed (line breaks and tabs as symbols) and its width in a monospaced font."""
    shown = _SHOWN.get(cluster, cluster)
    wide = any(unicodedata.east_asian_width(c) in "WF" for c in shown)
    return shown, 2 if wide else 1


def alignment_excerpt(ref: str, hyp: str, width: int = 60, max_lines: int = 6) -> str:
    """The worst stretch of the alignment of ``hyp`` to ``ref`` as plain text for a Markdown code block.

    Grapheme clusters are aligned by Levenshtein (rapidfuzz opcodes on NFC clusters, the alignment the CER
    counts). The excerpt is the run of ``width * (max_lines // 3)`` aligned columns with the most differing
    columns, printed in blocks of three lines of ``width`` columns: ``ref:`` the reference, ``ocr:`` the
    hypothesis, then ``^`` under each error. ``∅`` marks a missing character, ``↵`` a line break, ``⇥`` a tab.
    Returns "" when the texts agree.
    """
    cols = _columns(graphemes(ref), graphemes(hyp))
    bad = [r != h for r, h in cols]
    if not any(bad):
        return ""
    span = width * max(1, max_lines // 3)
    # the window [start, start + span) with the most errors (prefix sums), first such window
    sums = [0]
    for b in bad:
        sums.append(sums[-1] + b)
    start = max(range(max(1, len(cols) - span + 1)), key=lambda s: sums[min(len(cols), s + span)] - sums[s])
    lines: list[str] = []
    for block in range(start, min(len(cols), start + span), width):
        top, bottom, marks = "ref: ", "ocr: ", "     "
        for (r, h), wrong in zip(cols[block : block + width], bad[block : block + width], strict=True):
            (rs, rw), (hs, hw) = _cell(r), _cell(h)
            w = max(rw, hw)
            top += rs + " " * (w - rw)
            bottom += hs + " " * (w - hw)
            marks += ("^" if wrong else " ") * w
        lines += [top.rstrip(), bottom.rstrip(), marks.rstrip()]
    return "\n".join(lines)
