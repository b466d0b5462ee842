"""Furniture found by its shape at the foot of a page, without repetition (so books of one or two pages too).

Printed signature marks (``A 3``, ``a iij``, ``(:) ij``) among a page's last two lines, then a lone catchword: the
page's last line is one word (at most ``MAX_CATCHWORD`` characters, with letters, not ending a sentence in ``.!?``)
under a line at least ``FULL_LINE`` times the page's median line length. Only pages of ``MIN_LINES`` non-blank lines
or more are looked at (title pages, verse and short pages end in short lines by nature).
"""

from __future__ import annotations

import re
import statistics

from filters.cleanup.furniture_shapes import SIGNATURE

MIN_LINES = 8
FULL_LINE = 0.6
MAX_CATCHWORD = 16
_LOWER_SIGNATURE = re.compile(r"^[a-z]\s*(?:\d{1,2}|[ivxj]{1,5})\.?$")  # a 3, a iij
_BRACKET_SIGNATURE = re.compile(r"^[(\[)]\s*[:*.]?\s*[)\]()]\s*(?:\d{1,2}|[ivxj]{1,5})?\.?$")  # (:) ij, ) ( 2


def is_signature(line: str) -> bool:
    s = " ".join(line.split())
    return bool(SIGNATURE.match(s) or _LOWER_SIGNATURE.match(s) or _BRACKET_SIGNATURE.match(s))


def is_lone_catchword(line: str) -> bool:
    tokens = line.split()
    if len(tokens) != 1 or len(tokens[0]) > MAX_CATCHWORD or tokens[0][-1] in ".!?":
        return False
    return sum(c.isalpha() for c in tokens[0]) >= 2


def bottom_marks(page_lines: list[list[str]], found: dict[int, dict[int, str]]) -> None:
    """Add to ``found`` ({page: {line index: kind}}) the signatures and lone catchwords at the foot of each page."""
    for p, lines in enumerate(page_lines):
        gone = found.get(p, {})
        rows = [i for i, line in enumerate(lines) if line.strip() and i not in gone]
        if len(rows) < MIN_LINES:
            continue
        median = statistics.median(len(lines[i].strip()) for i in rows)
        for i in rows[-2:]:
            if is_signature(lines[i]):
                found.setdefault(p, {})[i] = "signatures"
        rows = [i for i in rows if i not in found.get(p, {})]
        last, above = rows[-1], rows[-2]
        if is_lone_catchword(lines[last]) and len(lines[above].strip()) >= FULL_LINE * median:
            found.setdefault(p, {})[last] = "catchwords"
