"""The relaxed reading of a text for the normalised CER, WER and bag-of-words error.

The raw metrics compare the texts as they are (NFC and grapheme clusters only, exactly as dinglehopper does). The
normalised ones first pass both sides, gold and OCR alike, through ``normalize`` with the benchmark's
``Normalization``: every switch is on by default and can be turned off in the config. The steps, in this order:

0. always: a leading BOM is dropped and CR LF / CR line ends become LF (``reading.file_conventions``).
1. ``unicode``: NFC (default; canonical composition only) or NFKC, which also folds compatibility characters
   (ligatures ﬁ -> fi, ſ -> s, superscripts, full-width forms, … -> ...), whatever the switches below say.
2. ``mufi``: MUFI private-use characters (U+E000-U+F8FF) -> their letters by the table in ``mufi.py``: ligatures
   -> their letters, a/o/u with a small e above -> ä/ö/ü, letters with abbreviation marks -> the base letter
   (U+E8BF ``q;`` -> ``q``). A private-use character not in the table is kept (it stays an error against any
   other character, and a letter inside a word).
3. ``combining_e``: a, o, u, A, O, U + U+0364 COMBINING LATIN SMALL LETTER E -> ä, ö, ü, Ä, Ö, Ü.
4. ``ligatures``: presentation-form ligatures ﬀ ﬁ ﬂ ﬃ ﬄ ﬅ ﬆ (U+FB00-U+FB06) and ĳ/Ĳ -> their letters (ﬅ -> ſt,
   so the long s follows the ``long_s`` switch). Æ, æ, Œ, œ are letters of their languages and stay.
5. ``long_s``: ſ -> s.
6. ``hyphens``: a word broken at a line end is joined: a letter, a hyphen (- ‐ ‑ ⸗ ¬ or soft hyphen), optional
   spaces, a line break, optional spaces and a lower-case letter -> the two halves without hyphen or break
   ("Verfaſ-\\nsung" -> "Verfaſsung"). Before an upper-case letter or a digit the hyphen is kept (a compound such
   as "Nord-\\nAmerika"). En and em dashes at a line end are never joined.
7. ``quotes``: the Latin-script quotation marks ' ‘ ’ ‚ ‛ ‹ › and ＇ -> ', and " “ ” „ ‟ « » ⹂ and ＂ -> ".
8. ``dashes``: ‐ ‑ ‒ – — ― ⸗ ⸺ ⸻ ¬ ﹘ ﹣ － -> - (after the hyphen join, so a line-end ¬ or ⸗ is still seen).
9. ``whitespace``: every run of whitespace (spaces, tabs, line breaks, no-break and other Unicode spaces: what
   ``str.split`` splits on) -> one space; leading and trailing whitespace removed.

Compared with dinglehopper: its default normalisation (``NFC_SBB``, applied by its CLI to every file it reads,
text, ALTO or PAGE, but not by its functions to plain strings; the raw metrics apply it as the CLI does) is NFC plus
one fixed table, with no switches. It unjoins ligatures (including MUFI ones, keeping ſ), maps
U+E42C/U+E644/U+E72B and a/o/u + U+0364 to ä/ö/ü, ’ -> ', ⸗ -> -, em dash and "==" -> en dash, U+E8BF -> "q&" and
U+F50E -> q + acute. It keeps long s, all other quotation marks and dashes, ¬, line-end
hyphens and whitespace as they are. Here: long s, quotes, dashes (to "-", not to the en dash), line-end hyphens
and whitespace are also relaxed, each by its own switch; abbreviation letters map to the bare base letter; NFKC
is offered.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from ablations.ocrbench.mufi import map_private_use
from ablations.ocrbench.reading import file_conventions

_COMBINING_E = re.compile("([aouAOU])\u0364")
_UMLAUT = {"a": "ä", "o": "ö", "u": "ü", "A": "Ä", "O": "Ö", "U": "Ü"}
_LIGATURES = str.maketrans(
    {"ﬀ": "ff", "ﬁ": "fi", "ﬂ": "fl", "ﬃ": "ffi", "ﬄ": "ffl", "ﬅ": "ſt", "ﬆ": "st", "ĳ": "ij", "Ĳ": "IJ"}
)
_LONG_S = str.maketrans({"ſ": "s"})
_SINGLE_QUOTES = "'‘’‚‛‹›＇"
_DOUBLE_QUOTES = '"“”„‟«»⹂＂'
_QUOTES = str.maketrans({**dict.fromkeys(_SINGLE_QUOTES, "'"), **dict.fromkeys(_DOUBLE_QUOTES, '"')})
_DASHES = str.maketrans(dict.fromkeys("‐‑‒–—―⸗⸺⸻¬﹘﹣－", "-"))
# a letter (or a combining mark / private-use letter after one), a hyphen, the line break, a letter after it
_LINE_END_HYPHEN = re.compile(
    "(?:(?<=[^\\W\\d_])|(?<=[\u0300-\u036f\ue000-\uf8ff]))[-\u2010\u2011\u2e17\u00ac\u00ad][ \t]*\r?\n[ \t]*"
    "(?=([^\\W\\d_]))"
)


class Normalization(BaseModel):
    """Switches of the relaxed metrics (module docstring: what each does, in which order, and how it differs
    from dinglehopper). All on by default; the raw metrics ignore them."""

    model_config = ConfigDict(extra="forbid")

    unicode: Literal["NFC", "NFKC"] = Field("NFC", description="Unicode normal form; NFKC also folds ligatures, ſ")
    mufi: bool = Field(True, description="MUFI private-use characters -> letters (table in ocrbench/mufi.py)")
    long_s: bool = Field(True, description="ſ -> s")
    combining_e: bool = Field(True, description="a/o/u + U+0364 combining e -> ä/ö/ü")
    ligatures: bool = Field(True, description="ﬀ ﬁ ﬂ ﬃ ﬄ ﬅ ﬆ ĳ -> letters (not æ, œ)")
    quotes: bool = Field(True, description="all single quotation marks -> ', all double ones -> \"")
    dashes: bool = Field(True, description="‐ ‑ ‒ – — ― ⸗ ¬ (and similar) -> -")
    hyphens: bool = Field(True, description="join a word hyphenated at a line end before a lower-case letter")
    whitespace: bool = Field(True, description="runs of whitespace incl. line breaks -> one space, stripped")


def _join_hyphen(match: re.Match[str]) -> str:
    return "" if match.group(1).islower() else match.group(0)


def normalize(text: str, norm: Normalization) -> str:
    """``text`` under ``norm``, the steps in the order of the module docstring."""
    text = unicodedata.normalize(norm.unicode, file_conventions(text))
    if norm.mufi:
        text = map_private_use(text)
    if norm.combining_e:
        text = _COMBINING_E.sub(lambda m: _UMLAUT[m.group(1)], text)
    if norm.ligatures:
        text = text.translate(_LIGATURES)
    if norm.long_s:
        text = text.translate(_LONG_S)
    if norm.hyphens:
        text = _LINE_END_HYPHEN.sub(_join_hyphen, text)
    if norm.quotes:
        text = text.translate(_QUOTES)
    if norm.dashes:
        text = text.translate(_DASHES)
    if norm.whitespace:
        text = " ".join(text.split())
    return unicodedata.normalize(norm.unicode, text)  # the replacements may leave composable sequences
