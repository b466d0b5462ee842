"""The process stage's Markdown output (``output.format: markdown``): every book's text rewritten as Markdown.

Counts per book ``layout_roles`` or ``fallback_<reason>`` (written by the heuristic, ``writer.py``), pages read by
the heuristic inside a book with layout (``pages_fallback_<reason>``) and what was written (``headings_h<n>``,
``notes_footnote``, ``marginalia_dropped``, ...). The record says ``metadata["text_format"] = "markdown"`` (the
release then takes the text as it is) and ``metadata["markdown_fallback"]`` (the reason, or None); the page layout
keys (``page_offsets``, ``page_layout``, ``page_regions``), which described the page text, are removed.
"""

from __future__ import annotations

from datatrove.data import DocumentsPipeline
from datatrove.pipeline.base import PipelineStep

from pipelines.markdown.config import MarkdownOptions
from pipelines.markdown.writer import book_markdown

LAYOUT_KEYS = ("page_offsets", "page_layout", "page_regions")


class MarkdownText(PipelineStep):
    type = "📝 - WRITER"
    name = "markdown"

    def __init__(self, options: MarkdownOptions = MarkdownOptions()):
        super().__init__()
        self.options = options

    def run(self, data: DocumentsPipeline, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        for doc in data:
            text, info = book_markdown(doc.text, doc.metadata, self.options, doc.id)
            reason = info["fallback"]
            self.stat_update("layout_roles" if reason is None else f"fallback_{reason}")
            for why, n in info["pages_fallback"].items():
                self.stat_update(f"pages_fallback_{why}", value=n)
            for key, n in info["counts"].items():
                self.stat_update(key, value=n)
            doc.text = text
            for key in LAYOUT_KEYS:
                doc.metadata.pop(key, None)
            doc.metadata["text_format"] = "markdown"
            doc.metadata["markdown_fallback"] = reason
            yield doc
