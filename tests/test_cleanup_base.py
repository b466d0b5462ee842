"""What every clean-up block shares: registry names, page counts kept, bad page offsets passed on and counted."""

from __future__ import annotations

import pytest
from cleanup_util import book, pages_of, run
from datatrove.data import Document
from helpers import counter

from filters.registry import build_block

PAGE_KEEPING = ["gutenberg_boilerplate", "unicode_fix", "historic_normalize", "page_furniture", "dehyphenate"]
PAGE_KEEPING += ["unwrap_lines"]
PAGES = [
    "THE HISTORY 1\n\nThe ﬁrst page of a book in-\nvestigates ſome things\nand ends here.",
    "2 THE HISTORY\n\nThe second page, with a well-\nknown word.",
    "THE HISTORY 3\n\n",
    "4 THE HISTORY\n\nThe last page.\n\n\n",
]


@pytest.mark.parametrize("name", PAGE_KEEPING)
def test_every_page_level_block_keeps_the_page_count_and_true_offsets(name):
    (doc,) = run(build_block(name, {}), book(*PAGES))
    assert len(pages_of(doc)) == len(PAGES)


def test_the_whole_stack_then_remove_page_separators():
    docs = [book(*PAGES)]
    for name in PAGE_KEEPING:
        docs = run(build_block(name, {}), *docs)
    assert pages_of(docs[0]) == [
        "The first page of a book investigates some things and ends here.",
        "The second page, with a well-known word.",
        "",
        "The last page.",
    ]
    (doc,) = run(build_block("remove_page_separators", {}), *docs)
    assert pages_of(doc) == [
        "The first page of a book investigates some things and ends here.\n\n"
        "The second page, with a well-known word.\n\nThe last page."
    ]


def test_a_book_whose_offsets_do_not_match_its_text_passes_unchanged_and_is_counted():
    doc = book("page one", "page two")
    doc.metadata["page_offsets"] = [0, 5]
    text = doc.text
    block = build_block("unwrap_lines", {})
    (out,) = run(block, doc)
    assert out.text is text and out.metadata["page_offsets"] == [0, 5]
    assert counter(block, "unchanged_bad_page_offsets") == 1


def test_a_document_without_page_offsets_is_one_page_per_separator_and_gets_offsets():
    doc = Document(text="a b\nc d\n\f\ne f", id="plain")
    (out,) = run(build_block("unwrap_lines", {}), doc)
    assert out.text == "a b c d\n\f\ne f"
    assert out.metadata["page_offsets"] == [0, 10] and out.metadata["n_pages"] == 2
