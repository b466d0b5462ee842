"""Join a book's pages into one text on output: a paragraph break, a space, or a word rejoined across the page."""

from __future__ import annotations

from typing import Literal

from datatrove.data import Document

from filters.cleanup.base import PageRewriter
from filters.cleanup.lexicon import HYPHENS, HyphenJudge, book_vocabulary
from filters.pages import consecutive_pages
from filters.textview import TextView

_SENTENCE_END = ".!?:;\"”’'»)]…"


class RemovePageSeparators(PageRewriter):
    """Merge all pages of a book into one, for output; run it last (page-level blocks need the pages).

    Between two non-empty pages: a word broken by a hyphen at the end of a page is rejoined as
    ``dehyphenate`` would (same ``language``/``min_zipf``/``unknown``); a page ending without sentence
    punctuation, or followed by a page starting in lower case, continues with a space (the sentence runs over);
    otherwise ``paragraph_separator``, which also always separates pages that do not follow each other
    (``filters.pages.consecutive_pages``: sampled pages 3 and 700). Empty pages vanish. The book then has one
    page (``n_pages`` 1, ``page_offsets`` [0]); ``metadata["pages_merged"]`` keeps the page count before.

    Stats: ``joined_hyphen``, ``joined_sentence``, ``joined_paragraph``, ``joined_paragraph_page_gap``.
    """

    name = "📄 remove page separators"

    def __init__(
        self,
        paragraph_separator: str = "\n\n",
        language: str = "en",
        min_zipf: float = 2.0,
        unknown: Literal["keep", "join"] = "keep",
    ):
        super().__init__()
        if "\f" in paragraph_separator:
            raise ValueError("paragraph_separator may not contain a form feed (it marks pages)")
        self.paragraph_separator = paragraph_separator
        self.language = language
        self.min_zipf = min_zipf
        self.unknown = unknown
        self.judge = HyphenJudge(language, min_zipf, unknown)

    def rewrite(self, doc: Document, view: TextView) -> list[str] | None:
        pages = [p.strip() for p in view.pages]
        doc.metadata["pages_merged"] = len(pages)
        parts: list[str] = []
        vocab = None
        follows = [True, *consecutive_pages(doc.metadata, len(pages))]
        gap = False
        for i, page in enumerate(pages):
            gap = gap or not follows[i]
            if not page:
                continue
            if not parts:
                parts.append(page)
                gap = False
                continue
            prev = parts[-1]
            if gap:
                gap = False
                self.stat_update("joined_paragraph_page_gap")
                parts += [self.paragraph_separator, page]
                continue
            if prev[-1] in HYPHENS and len(prev) > 1 and prev[-2].isalpha() and page[0].isalpha():
                if vocab is None:
                    vocab = book_vocabulary(view.words)
                cut = max(prev.rfind(" "), prev.rfind("\n")) + 1
                end = min((i for i in (page.find(" "), page.find("\n")) if i >= 0), default=len(page))
                verdict = self.judge.decide(prev[cut:-1], page[:end], prev[-1], vocab)
                if verdict is not None:
                    self.stat_update("joined_hyphen")
                    parts[-1] = prev[:-1] + ("" if verdict[0] else "-")
                    parts.append(page)
                    continue
            if prev[-1] not in _SENTENCE_END or page[0].islower():
                self.stat_update("joined_sentence")
                parts.append(" ")
            else:
                self.stat_update("joined_paragraph")
                parts.append(self.paragraph_separator)
            parts.append(page)
        return ["".join(parts)]
