"""Round trip of real ALTO and PAGE books through the Markdown writer: every word of the main text exactly once, in
reading order; notes hold exactly the footnote and marginal words.

Main text (what the Markdown body must hold) is defined here, independently of the writer: on a page whose
layout describes it, the lines whose role is ``text``, ``heading``, ``title-page``, ``table``, ``figure``,
``other`` or None, plus the lines without a record, and each ``drop-capital`` line glued to the first word of
the next such line; furniture (``FURNITURE``), ``footnote`` and ``marginalia`` lines are not main text. On a page
without usable layout every line is main text. Words are whitespace tokens, further split after a hyphen
(``-``, ``¬``, ``⸗``), since the writer joins ``con-`` + ``tinued`` into ``con-tinued``.
"""

from __future__ import annotations

import re

import pytest

from bench.furniture_roles import ALTO_SETS
from filters.layout import FURNITURE, layout_problem
from pipelines.markdown.config import MarkdownOptions
from pipelines.markdown.heuristic import book_pages
from pipelines.markdown.writer import book_markdown
from pipelines.readers.alto import AltoBookReader
from pipelines.readers.page import PageXmlBookReader

NOTE_ROLES = ("footnote", "marginalia")
SETS = [*(("ocr_images/" + s, "alto") for s in ALTO_SETS), ("ocr_images/de_ocrd", "page"), ("alto/dach_gt", "page")]
_HYPHEN_SPLIT = re.compile(r"(?<=[-¬⸗])(?=\S)")
_FRONT = re.compile(r"\A---\n.*?\n---\n", re.S)
_DEFINITION = re.compile(r"^\[\^\d+\]: (.*)$", re.M)


def words(text: str) -> list[str]:
    return [w for token in text.split() for w in _HYPHEN_SPLIT.split(token)]


def gold_words(text: str, meta: dict) -> tuple[list[str], list[str]]:
    """(main-text words in reading order, note words) of a book as read (see the module docstring)."""
    main: list[str] = []
    notes: list[str] = []
    held = ""
    layouts = meta.get("page_layout") or []
    for p, page in enumerate(book_pages(text, meta["page_offsets"])):
        layout = layouts[p] if p < len(layouts) else None
        usable = layout is not None and layout_problem(layout, page) is None
        roles = dict(zip(layout["start"], layout["role"], strict=True)) if usable else {}
        pos = 0
        for line in page.split("\n"):
            role = roles.get(pos)
            pos += len(line) + 1
            if role in FURNITURE or not line.strip():
                continue
            if role in NOTE_ROLES:
                notes += words(line)
            elif role == "drop-capital":
                held += line.strip()
            else:
                found = words(line)
                if held:
                    found[0], held = held + found[0], ""
                main += found
    return main + ([held] if held else []), notes


def body_and_notes(md: str) -> tuple[list[str], list[str]]:
    """Words of the Markdown body (front matter, page markers, footnote references and definitions, heading marks
    and backslash escapes removed) and words of the footnote definitions."""
    md = _FRONT.sub("", md)
    notes = [w for d in _DEFINITION.findall(md) for w in words(d)]
    md = _DEFINITION.sub("", md)
    md = re.sub(r"<!-- page \d+ -->", " ", md)
    md = re.sub(r"\[\^\d+\]", "", md)
    md = re.sub(r"^#{1,6} ", "", md, flags=re.M)
    md = re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", md)
    return words(md), [re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", w) for w in notes]


def books(shared_data, folder: str, kind: str):
    reader = AltoBookReader if kind == "alto" else PageXmlBookReader
    return list(reader(str(shared_data / folder)).run())


@pytest.mark.parametrize("folder,kind", SETS, ids=[s for s, _ in SETS])
def test_every_main_text_word_comes_once_in_reading_order(shared_data, folder, kind):
    options = MarkdownOptions(page_markers=True, front_matter=True, marginalia="notes")
    docs = books(shared_data, folder, kind)
    assert docs, f"no books read from {folder}"
    for doc in docs:
        md, info = book_markdown(doc.text, doc.metadata, options, doc.id)
        main, notes = gold_words(doc.text, doc.metadata)
        body, defined = body_and_notes(md)
        assert body == main, f"{doc.id}: body words differ from the main text"
        assert sorted(defined) == sorted(notes), f"{doc.id}: note words differ from footnotes and marginalia"
        assert md.startswith(f"---\nid: {doc.id}\n")
        if doc.metadata.get("page_layout"):
            assert info["layout"] == "roles"


def test_furniture_is_gone_and_drop_capitals_join_their_word(shared_data):
    (doc,) = books(shared_data, "ocr_images/fr_17c", "alto")
    md, info = book_markdown(doc.text, doc.metadata)
    assert "MADAME," in md.split() and "ADAME," not in md.split()
    assert info["counts"]["drop_capitals"] == 24
    assert "A.ii." not in md  # a signature mark
    assert info["counts"]["headings_h2"] > 0 and "\n## " in md


def test_footnotes_become_markdown_footnotes_after_their_paragraph(shared_data):
    docs = books(shared_data, "ocr_images/de_ocrd", "page")
    doc = next(d for d in docs if any(lay and "footnote" in lay["role"] for lay in d.metadata["page_layout"]))
    md, info = book_markdown(doc.text, doc.metadata)
    n = info["counts"]["notes_footnote"]
    assert n > 0
    for i in range(1, n + 1):
        assert md.count(f"[^{i}]") == 2  # one reference, one definition
        ref, definition = md.index(f"[^{i}]"), md.index(f"\n[^{i}]: ")
        assert ref < definition
        assert "\n\n" not in md[ref:definition].strip("\n").replace("\n\n[^", "[^")  # right after its paragraph


@pytest.mark.parametrize("mode", ["drop", "inline", "notes"])
def test_marginalia_follow_the_configured_choice(shared_data, mode):
    (doc,) = books(shared_data, "ocr_images/fr_18c", "alto")
    margin = [
        doc.text[o + s : o + e]
        for o, lay in zip(doc.metadata["page_offsets"], doc.metadata["page_layout"], strict=True)
        for s, e, r in zip(lay["start"], lay["end"], lay["role"], strict=True)
        if r == "marginalia"
    ]
    assert len(margin) == 2
    md, info = book_markdown(doc.text, doc.metadata, MarkdownOptions(marginalia=mode))
    body, notes = body_and_notes(md)
    margin_words = [w for line in margin for w in words(line)]
    main = gold_words(doc.text, doc.metadata)[0]
    if mode == "drop":
        assert info["counts"]["marginalia_dropped"] == 2 and not notes and body == main
    elif mode == "notes":
        assert sorted(notes) == sorted(margin_words) and body == main
    else:
        assert info["counts"]["marginalia_inline"] == 2 and not notes
        assert sorted(body) == sorted(main + margin_words)
        assert any(b == " ".join(line.strip() for line in margin) for b in md.split("\n\n"))  # a paragraph
