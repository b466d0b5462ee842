"""gutenberg_boilerplate: the Project Gutenberg header, licence and footer go, the body stays."""

from __future__ import annotations

from cleanup_util import book, pages_of, run
from helpers import counter

from filters.cleanup.gutenberg import GutenbergBoilerplate

HEADER = (
    "The Project Gutenberg EBook of Emma, by Jane Austen\n\nThis eBook is for the use of anyone anywhere.\n\n"
    "*** START OF THIS PROJECT GUTENBERG EBOOK EMMA ***\n\n\n\nProduced by An Anonymous Volunteer\n\n\n\n"
)
BODY = "EMMA\n\nBy Jane Austen\n\nEmma Woodhouse, handsome, clever, and rich."
FOOTER = (
    "\n\n\nEnd of the Project Gutenberg EBook of Emma, by Jane Austen\n\n"
    "*** END OF THIS PROJECT GUTENBERG EBOOK EMMA ***\n\n*** START: FULL LICENSE ***\nTHE FULL LICENSE"
)


def test_header_credits_and_footer_go_and_the_body_stays():
    block = GutenbergBoilerplate()
    (doc,) = run(block, book(HEADER + BODY + FOOTER))
    assert pages_of(doc) == [BODY]
    for key in ("gutenberg_header_removed", "gutenberg_footer_removed", "gutenberg_credits_removed"):
        assert counter(block, key) == 1


def test_credits_can_be_kept():
    (doc,) = run(GutenbergBoilerplate(drop_credits=False), book(HEADER + BODY + FOOTER))
    assert pages_of(doc) == ["Produced by An Anonymous Volunteer\n\n\n\n" + BODY]


def test_pages_outside_the_body_become_empty_and_the_page_count_stays():
    (doc,) = run(GutenbergBoilerplate(), book(HEADER, BODY, FOOTER.strip("\n"), "more licence"))
    assert pages_of(doc) == ["", BODY, "", ""]


def test_older_variants_small_print_header_and_wrapped_start_marker():
    old = (
        "The Project Gutenberg Etext of Stories\n**Welcome To The World of Free Plain Vanilla Electronic Texts**\n"
        "***START**THE SMALL PRINT!**FOR PUBLIC DOMAIN ETEXTS**START***\nlawyers.\n"
        "*END*THE SMALL PRINT! FOR PUBLIC DOMAIN ETEXTS*Ver.04.29.93*END*\n\n" + BODY + "\n\n"
        "End of The Project Gutenberg Etext of Stories by Modern American Authors\n"
    )
    wrapped = "header\n***START OF THE PROJECT GUTENBERG EBOOK THE GREAT ENGLISH SHORT-STORY\nWRITERS, VOL. 1***\n\n"
    (a, b) = run(GutenbergBoilerplate(), book(old), book(wrapped + BODY))
    assert pages_of(a) == [BODY]
    assert pages_of(b) == [BODY]


def test_a_book_without_markers_is_unchanged_and_counted():
    block = GutenbergBoilerplate()
    doc = book("A book that never was on Project Gutenberg.")
    text = doc.text
    (out,) = run(block, doc)
    assert out.text is text
    assert counter(block, "no_gutenberg_markers") == 1


def test_real_gutenberg_books_lose_header_and_licence_and_keep_the_body(shared_data):
    from pipelines.readers.text import TextBookReader

    folder = shared_data / "clean_books/gutenberg"
    reader = TextBookReader(str(folder), glob_pattern="Austen, Jane/Emma.txt")
    (emma,) = list(reader.run())
    old = TextBookReader(str(folder), glob_pattern="Poe, Edgar Allan/The Lock and Key Library*.txt")
    (lock,) = list(old.run())
    assert "Project Gutenberg" in emma.text[:2000] and "FULL LICENSE" in emma.text
    (emma_out, lock_out) = run(GutenbergBoilerplate(), emma, lock)
    (body,) = pages_of(emma_out)
    assert body.startswith("EMMA\n\nBy Jane Austen")
    assert "Emma Woodhouse, handsome, clever, and rich" in body[:2000]
    assert body.endswith("FINIS")
    assert "gutenberg" not in body.lower() and "license" not in body.lower()
    assert len(body) > 0.95 * (len(emma.text) - 20_000)  # the licence is ~19 kB; nothing else goes
    (lock_body,) = pages_of(lock_out)
    assert lock_body.startswith("Note: The Shadows on the Wall")
    assert "SMALL PRINT" not in lock_body and "End of The Project Gutenberg" not in lock_body
