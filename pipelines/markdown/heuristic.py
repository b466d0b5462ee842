"""A book as Markdown: page separators removed, paragraphs kept, headings marked (a simple, documented heuristic).

Rules, in order:

1. The book is split into pages (``page_offsets``, else the page separator) and every form feed is removed.
2. A paragraph is a run of non-blank lines; blank lines separate paragraphs. Lines of a paragraph are joined with a
   space, except after a line that ends in a hyphen (``-``, ``‐`` U+2010, ``¬`` as Fraktur OCR reads the hyphen,
   ``⸗`` U+2E17, or the soft hyphen U+00AD; not a dash) following a letter, where the next line is appended
   directly and the hyphen kept (``con-`` + ``tinued`` -> ``con-tinued``; a capital after it is no exception, the
   hyphen stays either way): only the ``dehyphenate`` block decides which hyphens go, with a dictionary. A soft
   hyphen, which only ever marks a break, goes (``con\u00ad`` + ``tinued`` -> ``continued``).
3. A paragraph runs over a page break when the page's last line does not end a sentence (``.``, ``!``, ``?``,
   ``:``, ``;``, optionally followed by a closing quote or bracket) and the next page follows it directly (the
   book's metadata, ``filters.pages.consecutive_pages``: sampled pages 3 and 700 are not joined); otherwise the
   page break ends it.
4. Headings (``## ``): a line of at most ``max_heading_chars`` characters and ``max_heading_words`` words, with at
   least 3 letters, that does not end in ``,``, ``;`` or ``-`` and is not only digits and roman numerals (page
   numbers), and is either
   - ALL CAPS (every cased letter upper case), as the first line of a paragraph (the rest of the paragraph
     follows as its own paragraph), or
   - Title Case (the first word and every word of 4+ letters capitalised, no sentence punctuation at the end but
     ``.``), as a paragraph of one line.
5. A paragraph that starts with ``#`` gets a backslash so that it does not read as a heading.

Paragraphs are separated by one blank line in the output.
"""

from __future__ import annotations

import re

from filters.cleanup.lexicon import HYPHENS, SOFT_HYPHEN
from filters.pages import PAGE_SEPARATOR, consecutive_pages, split_pages

# HYPHENS (-, U+2010, soft hyphen, ¬, ⸗): a line ending in one after a letter is joined to the next without a space
SENTENCE_END = re.compile(r"[.!?:;][\"'”’»)\]]*$")
_LETTER = re.compile(r"[^\W\d_]")
_ROMAN = r"M{0,4}(?:CM|CD|D?C{0,3})(?:XC|XL|L?X{0,3})(?:IX|IV|V?I{0,3})"
_NUMBERING = re.compile(rf"^[\d\s.,;:()\[\]-]*(?:{_ROMAN})?[\d\s.,;:()\[\]-]*$", re.I)  # page numbers, roman numerals


def book_pages(text: str, offsets: list[int] | None = None) -> list[str]:
    """The pages of a book text: by its offsets when they fit the text, else split at the page separator."""
    ordered = offsets and offsets[0] == 0 and all(a <= b for a, b in zip(offsets, offsets[1:], strict=False))
    if ordered and offsets[-1] <= len(text):
        return split_pages(text, offsets)
    return text.split(PAGE_SEPARATOR)


def _heading_shape(line: str, max_chars: int, max_words: int) -> bool:
    words = line.split()
    if not words or len(line) > max_chars or len(words) > max_words:
        return False
    if len(_LETTER.findall(line)) < 3 or line[-1] in ",;-" or _NUMBERING.match(line):
        return False
    return True


def is_caps_heading(line: str, max_chars: int = 80, max_words: int = 12) -> bool:
    return _heading_shape(line, max_chars, max_words) and line == line.upper() and line != line.lower()


def is_title_heading(line: str, max_chars: int = 80, max_words: int = 12) -> bool:
    if not _heading_shape(line, max_chars, max_words) or line[-1] in "!?:":
        return False
    words = [w.strip("\"'“‘([") for w in line.split()]
    if not words[0][:1].isupper():
        return False
    return all(w[:1].isupper() for w in words if len(_LETTER.findall(w)) >= 4)


def breaks_word(line: str) -> bool:
    """True when ``line`` ends in a hyphen (``HYPHENS``) after a letter: the next line continues its last word."""
    return len(line) > 1 and line[-1] in HYPHENS and _LETTER.match(line[-2]) is not None


def glue(head: str, tail: str) -> str:
    """``tail`` appended to ``head``, which ends in a word broken at a hyphen: the hyphen kept, a soft one dropped."""
    return (head[:-1] if head.endswith(SOFT_HYPHEN) else head) + tail


def join_lines(lines: list[str]) -> str:
    """Lines of one paragraph joined (rule 2)."""
    out = lines[0]
    for line in lines[1:]:
        out = glue(out, line) if breaks_word(out) else out + " " + line
    return out


def paragraphs(pages: list[str], consecutive: list[bool] | None = None) -> list[list[str]]:
    """Paragraphs (lists of stripped lines) of a book, running over page breaks as rule 3 says; ``consecutive``
    (one per page break, ``filters.pages.consecutive_pages``): False ends the paragraph at that break."""
    out: list[list[str]] = []
    current: list[str] = []
    for p, page in enumerate(pages):
        if p and current and consecutive is not None and not consecutive[p - 1]:
            out.append(current)
            current = []
        for raw in page.replace("\f", "").split("\n"):
            line = raw.strip()
            if line:
                current.append(line)
            elif current:
                out.append(current)
                current = []
        if current and SENTENCE_END.search(current[-1]):
            out.append(current)
            current = []
    if current:
        out.append(current)
    return out


def to_markdown(
    text: str,
    offsets: list[int] | None = None,
    max_heading_chars: int = 80,
    max_heading_words: int = 12,
    meta: dict | None = None,
) -> str:
    """The book as Markdown (see the module docstring for the rules); ``meta``: the book's metadata (which pages
    are consecutive)."""
    blocks: list[str] = []
    pages = book_pages(text, offsets)
    for para in paragraphs(pages, consecutive_pages(meta or {}, len(pages))):
        if is_caps_heading(para[0], max_heading_chars, max_heading_words) or (
            len(para) == 1 and is_title_heading(para[0], max_heading_chars, max_heading_words)
        ):
            blocks.append("## " + para[0])
            para = para[1:]
            if not para:
                continue
        body = join_lines(para)
        blocks.append("\\" + body if body.startswith("#") else body)
    return "\n\n".join(blocks)
