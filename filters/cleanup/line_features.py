"""Features of the lines of a book's pages for the line-role classifier (``filters/cleanup/line_model.py``).

Only the text is used (no layout, no boxes, no fonts), and nothing that depends on a language: the shape of the line
(length, digits, letters, case, punctuation, numbers and roman numerals, signature-mark shape), its place among the
page's non-blank lines (from the top, from the bottom, relative), its neighbours (length, case, digits of the lines
above and below), its repetition at the same edge of nearby pages (running titles), a page number that continues
the numbers of nearby pages, a catchword (a short last line whose word starts the next page), and the verdict of the
repetition heuristic (``page_furniture``'s ``find``). Blank lines get no row: they are never furniture, and the
blank lines a reader puts between layout blocks are not used as a feature (plain OCR may not have them).
"""

from __future__ import annotations

import math
import re
import statistics

from rapidfuzz import process
from rapidfuzz.fuzz import ratio

from filters.cleanup.furniture_shapes import DECORATION, ROMAN, SIGNATURE, is_number

SHAPE = (
    "chars", "words", "mean_word_chars", "digit_frac", "letter_frac", "upper_frac", "punct_frac", "first_upper",
    "first_lower", "ends_period", "ends_hyphen", "ends_comma", "number_tokens", "only_numbers", "roman_token",
    "signature_shape", "loose_signature",
)  # fmt: skip
PLACE = ("from_top", "from_bottom", "from_edge", "rel_pos", "page_lines", "chars_vs_page")
NEIGHBOURS = (
    "prev_chars", "next_chars", "prev_upper_frac", "next_upper_frac", "prev_digit_frac", "next_digit_frac",
    "prev_ends_hyphen", "prev_ends_period",
)  # fmt: skip
BOOK = ("repeat_top", "repeat_bottom", "repeat_pages", "number_sequence", "catchword", "heuristic")
FEATURES: tuple[str, ...] = SHAPE + PLACE + NEIGHBOURS + BOOK
WINDOW = 6  # pages on either side compared for repetition and page-number sequence
EDGE = 3  # lines at each edge of a page compared for repetition
_LOOSE_SIGNATURE = re.compile(r"^[A-Z*]{1,3}[\s.,]*(?:[A-Za-z]{1,3}[\s.,]*)?(?:[ivxjlIVXJ]{1,5}|\d{1,2})?[\s.,]*$")
_LETTERS = re.compile(r"[^\W\d_]+")
_DIGITS = re.compile(r"\d+")
NAN = math.nan


def _key(line: str) -> str:
    return "".join(_LETTERS.findall(line.lower()))


def _shape(line: str) -> list[float]:
    s = line.strip()
    tokens = s.split()
    marks = [t for t in tokens if t.strip(DECORATION)] or tokens  # tokens other than dashes, dots, brackets
    n = len(s)
    letters = [c for c in s if c.isalpha()]
    upper = sum(c.isupper() for c in letters)
    digits = sum(c.isdigit() for c in s)
    punct = sum(not c.isalnum() and not c.isspace() for c in s)
    first = next((c for c in s if c.isalpha()), "")
    numbers = sum(is_number(t) for t in marks)
    roman = any(len(t.strip(".,;:")) > 0 and ROMAN.match(t.strip(".,;:").lower()) for t in tokens)
    return [
        n, len(tokens), sum(len(t) for t in tokens) / len(tokens), digits / n, len(letters) / n,
        upper / len(letters) if letters else NAN, punct / n, float(first.isupper()), float(first.islower()),
        float(s.endswith(".")), float(s[-1] in "-¬=⸗"), float(s[-1] in ",;:"), numbers / len(marks),
        float(numbers == len(marks)), float(roman), float(bool(SIGNATURE.match(" ".join(tokens)))),
        float(bool(_LOOSE_SIGNATURE.match(s))),
    ]  # fmt: skip


def _numbers(line: str) -> list[int]:
    return [int(d) for d in _DIGITS.findall(line) if len(d) <= 4]


class BookLines:
    """The non-blank lines of every page of a book and what the features need across pages."""

    def __init__(self, page_lines: list[list[str]], heuristic: dict[int, dict[int, str]]):
        self.page_lines = page_lines
        self.rows = [[i for i, line in enumerate(lines) if line.strip()] for lines in page_lines]
        self.heuristic = heuristic
        self.top = [[_key(page_lines[p][i]) for i in r[:EDGE]] for p, r in enumerate(self.rows)]
        self.bottom = [[_key(page_lines[p][i]) for i in r[-EDGE:]] for p, r in enumerate(self.rows)]
        self.edge_numbers = [
            {v for i in r[:EDGE] + r[-EDGE:] for v in _numbers(page_lines[p][i])} for p, r in enumerate(self.rows)
        ]

    def near(self, p: int) -> list[int]:
        return [q for q in range(max(0, p - WINDOW), min(len(self.rows), p + WINDOW + 1)) if q != p]

    def repetition(self, p: int, line: str) -> list[float]:
        """Best similarity (0..1) to a top and a bottom line of nearby pages, and pages with a line >= 0.8 alike."""
        key = _key(line)
        if len(key) < 3:
            return [NAN, NAN, NAN]
        out, pages = [], set()
        for edges in (self.top, self.bottom):
            best = 0.0
            for q in self.near(p):
                hit = process.extractOne(key, edges[q], scorer=ratio) if edges[q] else None
                if hit:
                    best = max(best, hit[1] / 100)
                    if hit[1] >= 80:
                        pages.add(q)
            out.append(best)
        return [*out, float(len(pages))]

    def sequence(self, p: int, line: str) -> float:
        """1 when a number of the line continues the edge numbers of a nearby page (by pages or leaves apart)."""
        values = _numbers(line)
        if not values:
            return NAN
        for q in self.near(p):
            d = q - p
            if any(v + d in self.edge_numbers[q] or v + 2 * d in self.edge_numbers[q] for v in values if v):
                return 1.0
        return 0.0

    def catchword(self, p: int, k: int) -> float:
        """1 when the page's last line is one or two short words and its word starts one of the next page's first
        lines; NaN for other lines and the book's last page."""
        rows = self.rows[p]
        if k != len(rows) - 1 or p + 1 >= len(self.rows) or not self.rows[p + 1]:
            return NAN
        words = [_key(t) for t in self.page_lines[p][rows[k]].split()]
        words = [w for w in words if w]
        if not words or len(words) > 2:
            return 0.0
        word = words[-1]
        for i in self.rows[p + 1][:EDGE]:
            first = next((_key(t) for t in self.page_lines[p + 1][i].split() if _key(t)), "")
            if len(word) >= 2 and first and (first.startswith(word) or word.startswith(first)):
                return 1.0
        return 0.0


def page_rows(book: BookLines, p: int) -> list[list[float]]:
    """Feature rows of the non-blank lines of page ``p`` (in the order of ``book.rows[p]``)."""
    lines = book.page_lines[p]
    rows = book.rows[p]
    shapes = [_shape(lines[i]) for i in rows]
    median = statistics.median(s[0] for s in shapes) if shapes else 1.0
    up, dig, hy, per = (SHAPE.index(f) for f in ("upper_frac", "digit_frac", "ends_hyphen", "ends_period"))
    out = []
    n = len(rows)
    for k, i in enumerate(rows):
        prev = shapes[k - 1] if k else None
        nxt = shapes[k + 1] if k + 1 < n else None
        place = [
            k,
            n - 1 - k,
            min(k, n - 1 - k),
            k / (n - 1) if n > 1 else 0.5,
            n,
            shapes[k][0] / median,
        ]
        neigh = [
            prev[0] / median if prev else NAN, nxt[0] / median if nxt else NAN, prev[up] if prev else NAN,
            nxt[up] if nxt else NAN, prev[dig] if prev else NAN, nxt[dig] if nxt else NAN,
            prev[hy] if prev else NAN, prev[per] if prev else NAN,
        ]  # fmt: skip
        rest = [
            *book.repetition(p, lines[i]), book.sequence(p, lines[i]), book.catchword(p, k),
            float(i in book.heuristic.get(p, {})),
        ]  # fmt: skip
        out.append(shapes[k] + place + neigh + rest)
    return out


def book_features(
    page_lines: list[list[str]], heuristic: dict[int, dict[int, str]]
) -> list[tuple[list[int], list[list[float]]]]:
    """For every page: (indices in ``page_lines[p]`` of its non-blank lines, their feature rows); ``heuristic`` is
    ``PageFurniture.find`` of the book ({page: {line index: kind}}, the default parameters when training)."""
    book = BookLines(page_lines, heuristic)
    return [(book.rows[p], page_rows(book, p)) for p in range(len(page_lines))]
