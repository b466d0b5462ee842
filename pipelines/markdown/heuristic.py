"""A book as Markdown: page separators removed, paragraphs kept, headings marked (a simple, documented heuristic).

Rules, in order:

1. The book is split into pages (``page_offsets``, else the page separator) and every form feed is removed.
2. A paragraph is a run of non-blank lines; blank lines separate paragraphs. Lines of a paragraph are joined with a
   space, except after a line that ends in a hyphen (``-``, ``¬`` or ``⸗``) following a letter, where the next line
   is appended directly and the hyphen kept (``con-`` + ``tinued`` -> ``con-tinued``): only the ``dehyphenate`` block
   decides which hyphens go, with a dictionary.
3. A paragraph runs over a page break when the page's last line does not end a sentence (``.``, ``!``, ``?``,
   ``:``, ``;``, optionally followed by a closing quote or bracket); otherwise the page break ends it.
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

from filters.pages import PAGE_SEPARATOR, split_pages

HYPHENS = "-¬⸗"  # a line ending in one of these after a letter is joined to the next without a space
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


def join_lines(lines: list[str]) -> str:
    """Lines of one paragraph joined (rule 2)."""
    out = lines[0]
    for line in lines[1:]:
        if len(out) > 1 and out[-1] in HYPHENS and _LETTER.match(out[-2]):
            out += line
        else:
            out += " " + line
    return out


def paragraphs(pages: list[str]) -> list[list[str]]:
    """Paragraphs (lists of stripped lines) of a book, running over page breaks as rule 3 says."""
    out: list[list[str]] = []
    current: list[str] = []
    for page in pages:
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
    text: str, offsets: list[int] | None = None, max_heading_chars: int = 80, max_heading_words: int = 12
) -> str:
    """The book as Markdown (see the module docstring for the rules)."""
    blocks: list[str] = []
    for para in paragraphs(book_pages(text, offsets)):
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
