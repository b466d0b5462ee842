"""Config of the Markdown writer and of the process stage's output (the recipe's ``output:`` section)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from pipelines.config import Strict


class MarkdownOptions(Strict):
    """How a book is written as Markdown (``pipelines/markdown/writer.py``); the release uses them too."""

    marginalia: Literal["drop", "inline", "notes"] = Field(
        "notes",
        description="marginal notes: drop them, inline (a paragraph of their own where they stand, after the "
        "paragraph they interrupt), or notes (Markdown footnotes, like the footnotes)",
    )
    page_markers: bool = Field(
        False, description="an HTML comment <!-- page N --> where each page starts (N counts pages from 1)"
    )
    front_matter: bool = Field(
        False, description="start the text with YAML front matter: id, title, author, year, language, source"
    )
    heading_size_ratio: float = Field(
        1.25,
        gt=1,
        description="a region of running text whose font size is at least this many times the book's median text "
        "size is a heading (ALTO with Styles); bigger headings get smaller levels",
    )
    max_heading_chars: int = Field(80, ge=1, description="heuristic headings (no layout): at most this many chars")
    max_heading_words: int = Field(12, ge=1, description="heuristic headings (no layout): at most this many words")


class OutputConfig(Strict):
    """What the process stage writes: JSONL records whose ``text`` is the book as read and cleaned (``jsonl``), or
    the book as Markdown (``markdown``: ``metadata.text_format`` says so, the page layout keys go)."""

    format: Literal["jsonl", "markdown"] = Field("jsonl", description="jsonl: plain page text; markdown: Markdown")
    markdown: MarkdownOptions = MarkdownOptions()
