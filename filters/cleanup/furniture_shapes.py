"""Shapes of furniture lines shared by the repetition heuristic (``page_furniture``) and the line-role features
(``line_features``): page numbers (arabic, OCR-confused, roman), printed signature marks, a line's repetition key."""

from __future__ import annotations

import re

# a token that is a page number: arabic digits (OCR may read 1 as l or I, 0 as o or O, 5 as S) or a roman numeral
_NUMBER_CHARS = set("0123456789lIoOS|!")
ROMAN = re.compile(r"(?=[ivxlcdm]+$)m{0,3}(?:cm|cd|d?c{0,3})(?:xc|xl|l?x{0,3})(?:ix|iv|v?i{0,3})j?$")
DECORATION = "()[]{}<>.,;:*'\"‘’“”-–—_~·•|/\\"
_NON_LETTERS = re.compile(r"[\W\d_]+")
# a printed signature mark: B, B2, Bb2, B 2, A iij, *2
SIGNATURE = re.compile(r"^(?:([A-Z])\1?[a-z]?\s*(?:\d{1,2}|[ivxj]{1,5})?|\*{1,3}\s*\d{0,2})$")


def is_number(token: str) -> bool:
    t = token.strip(DECORATION)
    if not t:
        return False
    if t.isdigit():
        return True
    if any(c.isdigit() for c in t) and all(c in _NUMBER_CHARS for c in t.replace("-", "").replace(".", "")):
        return True
    # roman page numbers: lower case (front matter) or two letters or more (a lone capital I, L, D is a word)
    return (t.islower() or len(t) > 1) and len(t) <= 7 and ROMAN.match(t.lower()) is not None


def line_key(line: str, max_words: int, min_key_chars: int) -> tuple[str, str] | None:
    """(kind, key) of a candidate line: ("number", "#"), ("signature", "$"), ("text", letters) or None."""
    tokens = line.split()
    if not tokens or len(tokens) > max_words:
        return None
    if SIGNATURE.match(" ".join(tokens)):
        return "signature", "$"
    lo, hi = 0, len(tokens)
    while lo < hi and (is_number(tokens[lo]) or not tokens[lo].strip(DECORATION)):
        lo += 1
    while hi > lo and (is_number(tokens[hi - 1]) or not tokens[hi - 1].strip(DECORATION)):
        hi -= 1
    if lo == hi:
        return ("number", "#") if any(is_number(t) for t in tokens) else None
    key = _NON_LETTERS.sub("", " ".join(tokens[lo:hi]).lower())
    return ("text", key) if len(key) >= min_key_chars else None
