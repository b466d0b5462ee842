"""Markdown a reader can trust (#27 item 3): every hyphen variant joins a word broken over lines, a footnote
continued on the next page stays one note, paragraphs run only over consecutive pages, and PAGE region types the
roles do not know are counted and reported by name."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cleanup_util import book, run
from test_layout_roles import ALTO_STYLED
from test_markdown_layout import layout_of
from test_page_reader import pcgts, region, tl, write
from test_process import run_cli

from filters import pages
from filters.cleanup.page_separators import RemovePageSeparators
from filters.cleanup.unwrap_lines import UnwrapLines
from filters.pages import join_pages
from pipelines.markdown.writer import book_markdown
from pipelines.readers.alto import alto_page
from pipelines.readers.page import PageXmlBookReader
from pipelines.readers.xmlsafe import parse_xml

BROKEN = {  # line end -> the word as the Markdown writes it
    "-": "Ver-fassung",
    "\u2010": "Ver\u2010fassung",
    "\u00ac": "Ver\u00acfassung",
    "\u2e17": "Ver\u2e17fassung",
    "\u00ad": "Verfassung",  # a soft hyphen only marks the break
}


def test_every_hyphen_variant_joins_a_broken_word_and_dashes_do_not():
    for hyphen, word in BROKEN.items():
        page = f"Die neue Ver{hyphen}\nfassung des Landes\nwurde gelesen."
        text, offsets = join_pages([page])
        md, _ = book_markdown(text, {"page_offsets": offsets})
        assert md == f"Die neue {word} des Landes wurde gelesen.", hyphen
        layout = layout_of(page, ["text"] * 3)
        md, info = book_markdown(text, {"page_offsets": offsets, "page_layout": [layout]})
        assert info["fallback"] is None and md == f"Die neue {word} des Landes wurde gelesen.", hyphen
    for dash in "\u2013\u2014":
        md, _ = book_markdown(f"Es kam{dash}\nwie erwartet.", {})
        assert md == f"Es kam{dash} wie erwartet."


def test_unwrap_lines_joins_fraktur_hyphens_without_a_space():
    (doc,) = run(UnwrapLines(min_lines=99), book("Die Ver\u00ac\nfassung des\nLandes und die Ver\u2e17\nwaltung"))
    assert doc.text == "Die Ver\u00acfassung des Landes und die Ver\u2e17waltung"


FOOT_PAGES = [
    "The river rose all night.\n*) A note that runs over",
    "Next morning it fell.\nthe page break, as notes do.\n**) A second note.",
]
FOOT_ROLES = [["text", "footnote"], ["text", "footnote", "footnote"]]


def test_a_footnote_continued_on_the_next_page_is_one_note():
    text, offsets = join_pages(FOOT_PAGES)
    layouts = [
        layout_of(p, r, ["m", "f"][: len(r)] + ["f"] * (len(r) - 2))
        for p, r in zip(FOOT_PAGES, FOOT_ROLES, strict=True)
    ]
    md, info = book_markdown(text, {"page_offsets": offsets, "page_layout": layouts})
    assert md.split("\n\n") == [
        "The river rose all night.[^1]",
        "[^1]: *) A note that runs over the page break, as notes do.",
        "Next morning it fell.[^2]",
        "[^2]: **) A second note.",
    ]
    assert info["counts"]["notes_footnote_continued"] == 1 and info["counts"]["notes_footnote"] == 2
    # pages that do not follow each other (sampled pages 3 and 700): the note on the later page is a note of its own
    md, _ = book_markdown(
        text, {"page_offsets": offsets, "page_layout": layouts, "page_files": ["b3.xml", "b700.xml"]}
    )
    assert "[^2]: the page break, as notes do." in md.split("\n\n")


SAMPLED = ["The king rode out to the", "river and the bridge fell.\n\nIt was late."]


def test_paragraphs_run_over_consecutive_pages_only():
    text, offsets = join_pages(SAMPLED)
    joined = "The king rode out to the river and the bridge fell.\n\nIt was late."
    for meta, expected in [
        ({"page_files": ["a0003.xml", "a0004.xml"]}, joined),
        (
            {"page_files": ["a0003.xml", "a0700.xml"]},
            "The king rode out to the\n\nriver and the bridge fell.\n\nIt was late.",
        ),
        ({"page_numbers": [2, 5]}, "The king rode out to the\n\nriver and the bridge fell.\n\nIt was late."),
        ({}, joined),
    ]:
        md, info = book_markdown(text, {"page_offsets": offsets} | meta)
        assert md == expected, meta
        assert info["counts"].get("page_gaps_paragraph_ended", 0) == (md != joined)
        layouts = [layout_of(p, ["text"] * len([x for x in p.split("\n") if x])) for p in SAMPLED]
        md, _ = book_markdown(text, {"page_offsets": offsets, "page_layout": layouts} | meta)
        assert md == expected, meta


def test_consecutive_pages_from_numbers_and_file_names():
    files = ["x/p0009.xml", "x/p0010.xml", "x/p0700.xml", "cover.xml", "x/p0701.xml"]
    assert pages.consecutive_pages({"page_files": files}, 5) == [True, False, True, True]
    assert pages.consecutive_pages({"page_numbers": [0, 1, 3]}, 3) == [True, False]
    assert pages.consecutive_pages({"page_numbers": [0, 1, 3]}, 4) == [True] * 3  # a list of another length: no say


def test_page_separators_are_paragraph_breaks_between_pages_that_do_not_follow():
    for files, expected in [
        (["a3.txt", "a700.txt"], "The king rode out to the\n\nriver and the bridge fell.\n\nIt was late."),
        (["a3.txt", "a4.txt"], "The king rode out to the river and the bridge fell.\n\nIt was late."),
    ]:
        doc = book(*SAMPLED)
        doc.metadata["page_files"] = files
        (doc,) = run(RemovePageSeparators(), doc)
        assert doc.text == expected, files


def unknown_type_book(folder: Path) -> None:
    body = region("r1", tl("A line of text.", 10), rtype="paragraph")
    odd = region("r2", tl("Ex libris", 40), rtype="library-stamp-zone")
    write(folder / "book" / "p1.xml", pcgts(body, odd))
    write(folder / "book" / "p2.xml", pcgts(region("r3", tl("More text.", 10), rtype="weird"), odd))


def test_unknown_page_region_types_are_counted_by_name(tmp_path: Path):
    unknown_type_book(tmp_path)
    reader = PageXmlBookReader(str(tmp_path))
    (doc,) = list(reader.run())
    assert doc.metadata["unknown_region_types"] == {"library-stamp-zone": 2, "weird": 1}
    stats = reader.stats.stats
    assert stats["unknown_region_type_library-stamp-zone"].total == 2 and stats["unknown_region_type_weird"].total == 1
    assert "Ex libris" in doc.text  # still read, as main text


@pytest.mark.slow
def test_unknown_page_region_types_are_in_the_run_summary(tmp_path: Path):
    unknown_type_book(tmp_path / "pages")
    config = tmp_path / "unknown.yaml"
    config.write_text(
        f"experiment: {{name: unknown, output_dir: {tmp_path / 'runs'}}}\n"
        f"data:\n  sources:\n    - {{name: gt, format: page, path: {tmp_path / 'pages'}}}\n"
        "executor: {tasks: 1, workers: 1}\n"
    )
    res = run_cli(str(config), "--stage", "process")
    assert res.returncode == 0, res.stderr[-3000:]
    assert "unknown region types in gt (read as main text): library-stamp-zone 2, weird 1" in res.stdout
    docs = json.loads((tmp_path / "runs" / "unknown" / "summary.json").read_text())["documents"]
    assert docs["unknown_region_types"] == {"gt": {"library-stamp-zone": 2, "weird": 1}}
    assert any("library-stamp-zone 2" in w for w in docs["warnings"])


def test_unknown_alto_tag_labels_are_counted_by_name():
    xml = ALTO_STYLED.replace('LABEL="HeadingLine"', 'LABEL="MysteryLine"')
    page = alto_page(parse_xml(xml.encode(), "odd.xml"))
    assert page.unknown_types == {"MysteryLine": 1}
    assert alto_page(parse_xml(ALTO_STYLED.encode(), "known.xml")).unknown_types == {}


def test_footnote_continued_regions_of_ocrd_books_join_the_note_before(shared_data: Path):
    """OCR-D's structure ground truth types a footnote's continuation (``footnote-continued``): 6 such regions in 2
    books, 5 of them after a note on the page before (the sixth is on a book's first page)."""
    folder = shared_data / "structure/ocrd_train"
    reader = PageXmlBookReader(str(folder / "benner_herrnhuterey04_1748"))
    reader2 = PageXmlBookReader(str(folder / "blumenbach_anatomie_1805"))
    merged = 0
    for doc in [*reader.run(), *reader2.run()]:
        md, info = book_markdown(doc.text, doc.metadata)
        merged += info["counts"].get("notes_footnote_continued", 0)
        if "benner" in doc.id:
            (note,) = [d for d in md.split("\n\n") if "aus gedachtem" in d]
            assert note.startswith("[^") and "aus gedachtem Buch, ſtehen ſ. 29." in note
            assert "Zeitungsſch" in note  # the page's second continued region: the same note
    assert merged == 5
