"""METS beside the pages (#27 item 4): the work's MODS (else Dublin Core) record read into the book's metadata, its
Markdown front matter and the release's columns; OCR-D's ``<book>/mets.xml`` + ``<book>/GT-PAGE/`` is book
``<book>``."""

from __future__ import annotations

import json
from pathlib import Path

import yaml
from test_alto_reader import mets
from test_page_reader import pcgts, region, tl, write

from ablations.publish.release import book_row
from pipelines.markdown.config import MarkdownOptions
from pipelines.markdown.writer import book_markdown
from pipelines.readers.alto import AltoBookReader
from pipelines.readers.page import PageXmlBookReader

OCRD = "structure/ocrd_train"


def test_ocrd_books_are_named_by_their_folder_and_read_their_mods(shared_data: Path):
    docs = list(PageXmlBookReader(str(shared_data / OCRD), source="ocrd").run())
    assert len(docs) == 30  # 31 books, one without text
    assert not any(d.id.endswith("/GT-PAGE") for d in docs)
    assert all(d.metadata["page_order"] == "mets" for d in docs)
    found = {k: sum(bool(d.metadata.get(k)) for d in docs) for k in ("title", "year", "language", "author", "license")}
    # two books name no author (Luther's 1526 pamphlet lists its people as "oth"), nine records state no licence
    assert found == {"title": 30, "year": 30, "language": 30, "author": 28, "license": 21}
    (benner,) = [d for d in docs if d.id == "ocrd/benner_herrnhuterey04_1748"]
    m = benner.metadata
    assert (m["title"], m["author"], m["date"], m["year"], m["language"]) == (
        "Hernhuterey in ihrer Schalckheit",
        "Johann Hermann Benner",
        "1748",
        1748,
        "de",
    )
    assert m["identifiers"]["urn"] == "urn:nbn:de:kobv:b4-20036-7"
    assert m["license"] == "Public Domain Mark 1.0 (https://creativecommons.org/publicdomain/mark/1.0/)"
    assert {d.metadata["language"] for d in docs} <= {"de", "la"}
    front = book_markdown(benner.text, m, MarkdownOptions(front_matter=True), benner.id)[0].split("---\n")[1]
    assert yaml.safe_load(front) | {"identifiers": None} == {
        "id": "ocrd/benner_herrnhuterey04_1748",
        "title": "Hernhuterey in ihrer Schalckheit",
        "author": "Johann Hermann Benner",
        "year": 1748,
        "language": "de",
        "identifiers": None,
        "license": m["license"],
        "source": "ocrd",
    }
    row = book_row({"id": benner.id, "text": benner.text, "metadata": m})
    assert row["author"] == "Johann Hermann Benner" and row["license"] == m["license"]
    assert json.loads(row["identifiers"])["dtaid"] == "20036"


def test_alto_newspaper_issue_record_from_its_mets(shared_data: Path):
    (doc,) = AltoBookReader(str(shared_data / "alto/bl_newspaper"), glob_pattern="**/*.xml").run()
    m = doc.metadata
    assert (m["title"], m["date"], m["year"], m["identifiers"]) == (
        "The Statesman.",
        "1824-02-17",
        1824,
        {"NLP": "0002647-00000"},
    )
    assert "language" not in m  # the issue's record gives none (its articles' do): not taken from an article


DC_METS = """<mets:mets xmlns:mets="http://www.loc.gov/METS/" xmlns:dc="http://purl.org/dc/elements/1.1/">
<mets:dmdSec ID="dc1"><mets:mdWrap MDTYPE="DC"><mets:xmlData>
<dc:title>Ein Kochbuch</dc:title><dc:creator>Rumpolt, Marx</dc:creator><dc:date>1581</dc:date>
<dc:language>ger</dc:language><dc:identifier>urn:nbn:de:test-1</dc:identifier><dc:rights>CC0 1.0</dc:rights>
</mets:xmlData></mets:mdWrap></mets:dmdSec></mets:mets>"""


def test_dublin_core_and_two_page_folders_under_one_mets(tmp_path: Path):
    write(tmp_path / "kochbuch" / "mets.xml", DC_METS)
    for folder in ("GT-PAGE", "OCR-D-OCR"):
        write(tmp_path / "kochbuch" / folder / "p1.xml", pcgts(region("r", tl(f"Text of {folder}"))))
    docs = list(PageXmlBookReader(str(tmp_path), source="s").run())
    # two page folders share the METS: each stays a book of its own (one id would name two books)
    assert sorted(d.id for d in docs) == ["s/kochbuch/GT-PAGE", "s/kochbuch/OCR-D-OCR"]
    assert {k: docs[0].metadata.get(k) for k in ("title", "author", "year", "language", "identifiers", "license")} == {
        "title": "Ein Kochbuch",
        "author": "Rumpolt, Marx",
        "year": 1581,
        "language": "de",
        "identifiers": {"id": "urn:nbn:de:test-1"},
        "license": "CC0 1.0",
    }
    write(tmp_path / "single" / "mets.xml", mets(["GT-PAGE/p2.xml", "GT-PAGE/p1.xml"]))
    for i in (1, 2):
        write(tmp_path / "single" / "GT-PAGE" / f"p{i}.xml", pcgts(region("r", tl(f"page {i}"))))
    (doc,) = PageXmlBookReader(str(tmp_path / "single"), source="s").run()
    assert doc.id == "s/single" and doc.metadata["page_order"] == "mets" and doc.text.startswith("page 2")
