"""Drop books that are too short to be books (a cover scan, a blank volume, a stray page)."""

from datatrove.data import Document
from datatrove.pipeline.filters.base_filter import BaseFilter
from datatrove.pipeline.writers.disk_base import DiskWriter


class BookLengthFilter(BaseFilter):
    """Keep books with at least ``min_words`` whitespace-separated words and ``min_pages`` pages."""

    name = "📏 book length"

    def __init__(self, min_words: int = 500, min_pages: int = 1, exclusion_writer: DiskWriter | None = None):
        super().__init__(exclusion_writer)
        self.min_words = min_words
        self.min_pages = min_pages

    def filter(self, doc: Document) -> bool | tuple[bool, str]:
        if doc.metadata.get("n_pages", 1) < self.min_pages:
            return False, "too_few_pages"
        if len(doc.text.split()) < self.min_words:
            return False, "too_few_words"
        return True
