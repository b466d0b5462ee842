"""Remove page furniture found by repetition and position across the pages of a book.

Running heads and feet, page numbers, printed signatures, catchwords, digitisation notices and stamps repeat
from page to page at the top or bottom of the page; body text does not. So a line at a page edge is furniture
when pages nearby carry a line of the same shape at the same edge: lines are compared by a key that drops page
numbers, case, spaces and punctuation (``THE HISTORY OF 37`` and ``38 THE HISTORY OF`` have one key) and keys
match when equal or similar enough (OCR errors).
"""

from __future__ import annotations

import os
import re
from collections import Counter

from datatrove.data import Document
from rapidfuzz import process
from rapidfuzz.fuzz import ratio

from filters.cleanup.base import PageRewriter
from filters.cleanup.furniture_marks import bottom_marks
from filters.cleanup.furniture_roles import furniture_by_role, update_layout
from filters.cleanup.furniture_shapes import SIGNATURE, line_key
from filters.layout import FURNITURE, ROLES
from filters.textview import TextView

NOTICES = (
    "digitized by",
    "digitised by",
    "generated on",
    "generated at",
    "public domain, google-digitized",
    "public domain in the united states, google-digitized",
    "http://www.hathitrust.org",
    "https://www.hathitrust.org",
    "http://hdl.handle.net",
    "https://hdl.handle.net",
    "original from",
    "http://www.archive.org",
    "https://archive.org",
    "www.archive.org/details",
)


def extract(choices: list[str], key: str, cutoff: float) -> list[int]:
    """Indices of the ``choices`` at least ``cutoff`` (0..100) similar to ``key`` (rapidfuzz ratio)."""
    if not choices:
        return []
    return [j for _, _, j in process.extract(key, choices, scorer=ratio, score_cutoff=cutoff, limit=None)]


def _first_word(line: str) -> str:
    return "".join(c for c in line.split()[0].lower() if c.isalpha()) if line.strip() else ""


class PageFurniture(PageRewriter):
    """Delete running heads/feet, page numbers, signatures, catchwords, notices and repeated stamps.

    For every page the first and last ``edge_lines`` non-blank lines are candidates. A candidate is furniture
    when at least ``min_repeats`` other pages within ``window`` pages carry a candidate at the same edge with the
    same kind (page number, signature mark, text) and, for text, a key equal to it or ``similarity``-similar
    (rapidfuzz ratio, 0..1). Lines of more than ``max_words`` words are never candidates. Then, with
    ``catchwords``, a page's last line that is one word (after a signature mark, if any) equal to the first word
    of the next page goes. Anywhere on a page, a line starting with one of ``notices`` (``Digitized by``,
    HathiTrust and Internet Archive stamps; at most ``max_words`` words) goes, and so does a line of at least 10
    characters repeated verbatim on ``repeated_line_fraction`` of the pages (a library stamp). Books of fewer
    than ``min_pages`` pages are left alone; in books of at most ``short_book`` pages one repeat is enough. With
    ``bottom_marks``, signature marks and lone catchwords at a page's foot go by shape (``furniture_marks.py``).

    With ``by_role="auto"`` a book whose ``page_layout`` tags lines with roles (ALTO, PAGE; ``filters/layout.py``)
    loses exactly the lines whose role is in ``furniture_roles`` on every page whose layout matches its text, and
    the heuristic runs only on its other pages (counted ``roles_fallback_<reason>``); ``"never"`` ignores roles.
    The layout and ``page_regions`` are moved to the remaining lines. With ``line_model`` (a file made by
    ``python -m pipelines.train_line_roles``, ``filters/cleanup/line_model.py``) the pages not decided by role are
    decided by the line-role classifier instead of the heuristic: the lines it classes as one of
    ``furniture_roles`` go. Order: roles from the file > classifier > heuristic; ``metadata["page_furniture_by"]``
    records how many pages of the book each decided (``role``, ``model``, ``heuristic``).

    Stats: ``lines_removed`` and one counter per kind: ``running_heads``, ``page_numbers``, ``signatures``,
    ``catchwords``, ``notices``, ``repeated_lines``, and by role ``role_<role>`` (``role_running_title``, ...);
    ``pages_by_role``, ``roles_fallback_<reason>`` (pages), ``layout_lines_dropped``, ``regions_dropped``; with a
    model ``model_<role>`` (lines), ``pages_by_model``, ``model_skipped_empty_page`` (pages without a line).
    """

    name = "🗂️ page furniture"

    def __init__(
        self,
        edge_lines: int = 2,
        window: int = 6,
        min_repeats: int = 2,
        similarity: float = 0.8,
        max_words: int = 12,
        min_key_chars: int = 4,
        min_pages: int = 1,
        short_book: int = 5,
        bottom_marks: bool = True,
        catchwords: bool = True,
        notices: tuple[str, ...] = NOTICES,
        repeated_line_fraction: float = 0.5,
        by_role: str = "auto",
        furniture_roles: tuple[str, ...] = FURNITURE,
        line_model: str = "",
    ):
        super().__init__()
        if by_role not in ("auto", "never"):
            raise ValueError(f"page_furniture: by_role must be 'auto' or 'never', not {by_role!r}")
        if unknown := [r for r in furniture_roles if r not in ROLES]:
            raise ValueError(f"page_furniture: furniture_roles: unknown roles {unknown}; known: {list(ROLES)}")
        self.by_role = by_role
        self.furniture_roles = tuple(furniture_roles)
        self.line_model = os.path.expanduser(line_model) if line_model else ""
        self._model = None
        self.edge_lines = edge_lines
        self.window = window
        self.min_repeats = min_repeats
        self.similarity = similarity
        self.max_words = max_words
        self.min_key_chars = min_key_chars
        self.min_pages = min_pages
        self.short_book = short_book
        self.bottom_marks = bottom_marks
        self.catchwords = catchwords
        self.notices = tuple(" ".join(n.lower().split()) for n in notices)
        self.repeated_line_fraction = repeated_line_fraction

    @classmethod
    def model_files(cls, params: dict) -> list[str]:
        return [os.path.expanduser(params["line_model"])] if params.get("line_model") else []

    @property
    def model(self):
        """The line-role classifier, loaded on first use (errors name ``line_model`` and the file)."""
        if self._model is None:
            from filters.cleanup.line_model import load_model

            self._model = load_model(self.line_model, key="page_furniture: line_model")
        return self._model

    def by_model(self, page_lines: list[list[str]], pages: list[str], todo: set[int]) -> dict[int, dict[int, str]]:
        """{page: {line index: stats key}} of the pages ``todo`` as the line-role classifier decides them."""
        empty = {p for p in todo if not any(line.strip() for line in page_lines[p])}
        if empty:
            self.stat_update("model_skipped_empty_page", value=len(empty))
        classes = self.model.book_roles(page_lines, self.find(page_lines, pages), todo - empty)
        self.stat_update("pages_by_model", value=len(classes))
        keys = {r: "model_" + r.replace("-", "_") for r in self.furniture_roles}
        return {p: {i: keys[c] for i, c in got.items() if c in keys} for p, got in classes.items()}

    def candidates(self, lines: list[str]) -> list[tuple[str, str, str, int]]:
        """(edge, kind, key, line index) of the first and last ``edge_lines`` lines of a page that have a key.

        Lines without a key (blank, OCR specks such as ``I`` or ``.__—``) are passed over, so a running head
        under a speck of noise is still a page's first line.
        """
        out: list[tuple[str, str, str, int]] = []
        seen: set[int] = set()
        for edge, order in (("top", range(len(lines))), ("bottom", range(len(lines) - 1, -1, -1))):
            n = 0
            for i in order:
                if n == self.edge_lines:
                    break
                if not lines[i].strip():
                    continue
                k = line_key(lines[i], self.max_words, self.min_key_chars)
                if k is None:
                    continue
                n += 1
                if i not in seen and (k[0] != "signature" or edge == "bottom"):
                    seen.add(i)
                    out.append((edge, k[0], k[1], i))
        return out

    def find(self, page_lines: list[list[str]], pages: list[str]) -> dict[int, dict[int, str]]:
        """{page: {line index: kind}} of the furniture lines of a book."""
        n = len(page_lines)
        cands = [self.candidates(lines) for lines in page_lines]
        index: list[dict[tuple[str, str], set[str]]] = []
        for cs in cands:
            keys: dict[tuple[str, str], set[str]] = {}
            for edge, kind, key, _ in cs:
                keys.setdefault((edge, kind), set()).add(key)
            index.append(keys)
        cutoff = 100 * self.similarity
        found: dict[int, dict[int, str]] = {}
        kinds = {"text": "running_heads", "number": "page_numbers", "signature": "signatures"}
        need = 1 if n <= self.short_book else self.min_repeats
        for p in range(n):
            window = [q for q in range(max(0, p - self.window), min(n, p + self.window + 1)) if q != p]
            for edge, kind, key, i in cands[p]:
                near = [q for q in window if key in index[q].get((edge, kind), ())]
                if len(near) < need and kind == "text":
                    # OCR noise: one C call scores the key against every text key of the window at this edge
                    choices = [(o, q) for q in window if q not in near for o in index[q].get((edge, kind), ())]
                    hits = extract([o for o, _ in choices], key, cutoff)
                    near += list({choices[j][1] for j in hits})
                if len(near) >= need:
                    found.setdefault(p, {})[i] = kinds[kind]
        self._misplaced_heads(page_lines, pages, cands, found)
        # lines repeated verbatim on many pages (stamps), and digitisation notices, anywhere on the page
        min_pages = max(self.min_repeats + 1, self.repeated_line_fraction * n)
        counts = Counter(line for lines in page_lines for line in lines)
        stamps = {s for s, k in counts.items() if k >= min_pages and len(s.strip()) >= 10}
        for p, lines in enumerate(page_lines):
            gone = found.get(p, {})
            if stamps:
                for i, line in enumerate(lines):
                    if line in stamps and i not in gone:
                        found.setdefault(p, {})[i] = "repeated_lines"
            if self.notices and self._has_notice(pages[p]):
                for i, line in enumerate(lines):
                    s = " ".join(line.lower().split())
                    if s.startswith(self.notices) and len(s.split()) <= self.max_words and i not in gone:
                        found.setdefault(p, {})[i] = "notices"
        if self.catchwords:
            self._catchwords(page_lines, found)
        if self.bottom_marks:
            bottom_marks(page_lines, found)
        return found

    def _has_notice(self, page: str) -> bool:
        low = page.lower()
        return any(n in low for n in self.notices)

    def _misplaced_heads(
        self, page_lines: list[list[str]], pages: list[str], cands: list, found: dict[int, dict[int, str]]
    ) -> None:
        """A line anywhere whose key is (90% like) a running head's key goes too: the OCR read it out of place."""
        heads: dict[str, str] = {}
        for p, gone in found.items():
            for _, kind, key, i in cands[p]:
                if kind == "text" and gone.get(i) == "running_heads":
                    anchor = max(page_lines[p][i].split(), key=len)
                    heads.setdefault(key, anchor)
        if not heads:
            return
        anchors = re.compile("|".join(re.escape(a) for a in set(heads.values())))
        for p, lines in enumerate(page_lines):
            gone = found.get(p, {})
            if len(gone) >= len(lines) or not anchors.search(pages[p]):
                continue
            for i, line in enumerate(lines):
                if i in gone or not anchors.search(line):
                    continue
                k = line_key(line, self.max_words, self.min_key_chars)
                if k is not None and k[0] == "text" and any(ratio(k[1], h) >= 90 for h in heads):
                    found.setdefault(p, {})[i] = "running_heads"

    def _catchwords(self, page_lines: list[list[str]], found: dict[int, dict[int, str]]) -> None:
        def remaining(p: int) -> list[int]:
            gone = found.get(p, {})
            return [i for i, line in enumerate(page_lines[p]) if line.strip() and i not in gone]

        for p in range(len(page_lines) - 1):
            here, nxt = remaining(p), remaining(p + 1)
            if not here or not nxt:
                continue
            tokens = page_lines[p][here[-1]].split()
            if len(tokens) == 2 and SIGNATURE.match(tokens[0]):
                tokens = tokens[1:]
            if len(tokens) != 1:
                continue
            word = "".join(c for c in tokens[0].lower() if c.isalpha())
            if word and word == _first_word(page_lines[p + 1][nxt[0]]):
                found.setdefault(p, {})[here[-1]] = "catchwords"

    def rewrite(self, doc: Document, view: TextView) -> list[str] | None:
        page_lines = view.page_lines
        by_role: dict[int, dict[int, str]] = {}
        if self.by_role == "auto":
            by_role, fallback = furniture_by_role(doc, view.pages, self.furniture_roles)
            for why, n in fallback.items():
                self.stat_update(f"roles_fallback_{why}", value=n)
            if by_role:
                self.stat_update("pages_by_role", value=len(by_role))
        todo = set(range(len(page_lines))) - set(by_role)
        by_model = self.by_model(page_lines, view.pages, todo) if self.line_model and todo else {}
        found: dict[int, dict[int, str]] = {}
        if len(page_lines) >= self.min_pages and len(by_role) + len(by_model) < len(page_lines):
            found = {
                p: g for p, g in self.find(page_lines, view.pages).items() if p not in by_role and p not in by_model
            }
        doc.metadata["page_furniture_by"] = {"role": len(by_role), "model": len(by_model),
                                             "heuristic": len(page_lines) - len(by_role) - len(by_model)}  # fmt: skip
        found |= {p: g for p, g in (by_role | by_model).items() if g}
        if not found:
            return None
        pages = list(view.pages)
        for p, gone in found.items():
            for kind in gone.values():
                self.stat_update(kind)
            self.stat_update("lines_removed", value=len(gone))
            pages[p] = "\n".join(line for i, line in enumerate(page_lines[p]) if i not in gone)
        for key, n in update_layout(doc, view.pages, {p: set(g) for p, g in found.items()}).items():
            self.stat_update(key, value=n)
        return pages
