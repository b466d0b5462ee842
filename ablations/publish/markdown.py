"""The release's Markdown: the structure-aware writer of ``pipelines/markdown/`` (from the layout roles where the
book has them, else the heuristic of ``pipelines/markdown/heuristic.py``), with the recipe's ``output.markdown``
options and no front matter (the metadata are columns)."""

from __future__ import annotations

from pipelines.markdown.config import MarkdownOptions
from pipelines.markdown.heuristic import book_pages, is_caps_heading, is_title_heading, paragraphs, to_markdown
from pipelines.markdown.writer import book_markdown

__all__ = ["book_pages", "is_caps_heading", "is_title_heading", "markdown_text", "paragraphs", "to_markdown"]


def markdown_text(doc: dict, options: MarkdownOptions, notes: dict | None = None) -> str:
    """The book's text as Markdown: as it is when the process stage wrote Markdown (``output.format``), else
    written here; ``notes`` counts books by ``layout_roles`` / ``fallback_<reason>``."""
    meta = doc.get("metadata") or {}
    if meta.get("text_format") == "markdown":
        return doc["text"]
    text, info = book_markdown(doc["text"], meta, options.model_copy(update={"front_matter": False}), doc["id"])
    if notes is not None:
        key = "layout_roles" if info["fallback"] is None else f"fallback_{info['fallback']}"
        notes[key] = notes.get(key, 0) + 1
    return text
