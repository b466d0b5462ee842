"""MUFI private-use characters (U+E000-U+F8FF) and the letters the relaxed metrics read them as.

The gold of ../shared/data/ocr_images uses four of them: U+E8BF (77 times, lat_cremma: the enclitic ``-que``),
U+E72B (46), U+E42C (36) and U+E644 (28) (de_ocrd/clauren_mimil_1815: u, a, o with a small e above, i.e. the
umlauts). The table also holds the ligatures and letters that OCR-D ground truth and dinglehopper's own
normalisation know (the PUA characters of ../shared/data/alto/dinglehopper: U+F502, U+EADA, U+EBA2, U+F4F9,
U+EBA6, U+EEC4, U+EBA7, U+EEDC, U+EEC5) and common MUFI abbreviation letters.

The rule: a ligature becomes its letters (keeping long s, which the ``long_s`` switch maps on its own); a letter
with a small e above becomes the umlaut (as ``combining_e`` does for ``a`` + U+0364); a letter with an
abbreviation mark becomes its base letter, MUFI's "standardized" form (U+E8BF ``q;`` -> ``q``, where dinglehopper
writes ``q&``). A private-use character that is not in the table is left as it is: it then counts as one
character (and, inside a word, as a letter), so it is an error against anything but itself;
``unmapped_private_use`` lists them so a report can name them.
"""

from __future__ import annotations

MUFI: dict[str, str] = {
    # letters with a small e above (Fraktur umlauts)
    "\ue42c": "ä",  # LATIN SMALL LETTER A WITH LATIN SMALL LETTER E ABOVE
    "\ue644": "ö",  # LATIN SMALL LETTER O WITH LATIN SMALL LETTER E ABOVE
    "\ue72b": "ü",  # LATIN SMALL LETTER U WITH LATIN SMALL LETTER E ABOVE
    # ligatures
    "\ueba6": "ſſ",  # LATIN SMALL LIGATURE LONG S LONG S
    "\ueba7": "ſſi",  # LATIN SMALL LIGATURE LONG S LONG S I
    "\ueba2": "ſi",  # LATIN SMALL LIGATURE LONG S I
    "\ueba3": "ſl",  # LATIN SMALL LIGATURE LONG S L
    "\ueba5": "ſp",  # LATIN SMALL LIGATURE LONG S P
    "\ueada": "ſt",  # LATIN SMALL LIGATURE LONG S T
    "\uf502": "ch",  # LATIN SMALL LETTER C LIGATED WITH LATIN SMALL LETTER H
    "\ueec4": "ck",  # LATIN SMALL LIGATURE CK
    "\ueec5": "ct",  # LATIN SMALL LIGATURE CT
    "\ueedc": "tz",  # LATIN SMALL LIGATURE TZ
    "\uf4f9": "ll",  # LATIN SMALL LIGATURE LL
    "\uf532": "as",  # eMOP: LATIN SMALL LIGATURE AS
    "\uf533": "is",  # eMOP: LATIN SMALL LIGATURE IS
    "\uf534": "us",  # eMOP: LATIN SMALL LIGATURE US
    "\uf535": "Qu",  # eMOP: LATIN LIGATURE CAPITAL Q SMALL U
    # letters with abbreviation marks: the base letter
    "\ue8bf": "q",  # LATIN SMALL LETTER Q LIGATED WITH FINAL ET (-que)
    "\ue8b3": "q",  # LATIN SMALL LETTER Q LIGATED WITH R ROTUNDA
    "\ue681": "q",  # LATIN SMALL LETTER Q WITH MACRON
    "\ue682": "q",  # LATIN SMALL LETTER Q WITH DOT ABOVE
    "\ue68b": "q",  # LATIN SMALL LETTER Q WITH STROKE THROUGH DESCENDER AND TILDE
    "\uf50e": "q",  # LATIN SMALL LETTER Q WITH ACUTE ACCENT (dinglehopper: q + U+0301)
    "\ue4e9": "e",  # LATIN SMALL LETTER E WITH CURL
    "\uebd1": "d",  # LATIN SMALL LETTER D ROTUNDA WITH DOT ABOVE
}

_TABLE = str.maketrans(MUFI)


def map_private_use(text: str) -> str:
    """``text`` with every private-use character of ``MUFI`` replaced; others are kept."""
    return text.translate(_TABLE)


def unmapped_private_use(text: str) -> set[str]:
    """The private-use characters of ``text`` that ``MUFI`` does not map."""
    return {c for c in text if "\ue000" <= c <= "\uf8ff" and c not in MUFI}
