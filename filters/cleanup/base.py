"""The base of the clean-up blocks: rewrite a book page by page, keep page offsets true, count what changed."""

from __future__ import annotations

from datatrove.data import Document, DocumentsPipeline
from datatrove.pipeline.base import PipelineStep
from datatrove.utils.logging import logger

from filters.pages import PAGE_SEPARATOR, set_pages
from filters.textview import TextView, text_view


def bad_offsets(doc: Document, separator: str = PAGE_SEPARATOR) -> str | None:
    """Why the document's ``page_offsets`` do not describe its text, or None when they do (or are absent)."""
    offsets = doc.metadata.get("page_offsets")
    if not offsets:
        return None
    if offsets[0] != 0:
        return "first page offset is not 0"
    n = len(separator)
    text = doc.text
    prev = 0
    for o in offsets[1:]:
        if o < prev + n or o > len(text) or text[o - n : o] != separator:
            return f"no page separator before offset {o}"
        prev = o
    return None


class PageRewriter(PipelineStep):
    """Rewrites the text of every book through ``rewrite`` and keeps ``page_offsets`` / ``n_pages`` true.

    ``rewrite`` returns the new pages (as many as it was given, unless the block merges pages on purpose) or
    None when the book is unchanged, so an unchanged text keeps its cached ``text_view``. A book whose
    ``page_offsets`` do not match its text is passed on unchanged and counted as ``unchanged_bad_page_offsets``.
    """

    type = "🧹 - CLEAN"

    def rewrite(self, doc: Document, view: TextView) -> list[str] | None:
        raise NotImplementedError

    def run(self, data: DocumentsPipeline, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        for doc in data:
            self.stat_update("documents")
            with self.track_time():
                why = bad_offsets(doc)
                if why is not None:
                    self.stat_update("unchanged_bad_page_offsets")
                    logger.warning(f"{self.name}: {doc.id}: page_offsets do not match the text ({why}); unchanged")
                else:
                    pages = self.rewrite(doc, text_view(doc))
                    if pages is not None:
                        set_pages(doc, pages)
                        self.stat_update("documents_changed")
            yield doc
