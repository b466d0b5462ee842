"""PageXmlBookReader and page_xml_page on real PAGE XML (OCR-D gold, dach-gt, dinglehopper) and small written files."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from datatrove.data import Document
from dinglehopper.extracted_text import normalize_sbb
from dinglehopper.ocr_files import page_text
from lxml import etree

from filters.pages import split_pages
from pipelines.config import SourceSpec
from pipelines.readers.page import PageXmlBookReader, page_xml_page
from pipelines.readers.page_lines import ordered_lines, text_equiv

NS = "http://schema.primaresearch.org/PAGE/gts/pagecontent/2019-07-15"
DE_OCRD = "ocr_images/de_ocrd"
DACH_1580 = "alto/dach_gt/data/DE-1/ppn813172802"


def read(reader: PageXmlBookReader) -> list[Document]:
    return list(reader.run())


def stat(reader: PageXmlBookReader, name: str) -> float:
    return reader.stats.stats[name].total if name in reader.stats.stats else 0


def write(path: Path, content: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content.encode() if isinstance(content, str) else content)
    return path


def tl(text: str, y: int = 0, x: int = 0, **attrs: str) -> str:
    """A TextLine at (x, y), 20 high and 100 wide, with one TextEquiv."""
    extra = "".join(f' {k}="{v}"' for k, v in attrs.items())
    coords = f"{x},{y} {x + 100},{y} {x + 100},{y + 20} {x},{y + 20}"
    equiv = f"<TextEquiv><Unicode>{text}</Unicode></TextEquiv>"
    return f'<TextLine id="l{y}_{x}"{extra}><Coords points="{coords}"/>{equiv}</TextLine>'


def region(rid: str, *content: str, rtype: str | None = None) -> str:
    t = f' type="{rtype}"' if rtype else ""
    return f'<TextRegion id="{rid}"{t}>{"".join(content)}</TextRegion>'


def pcgts(*regions: str, order: str = "", ns: str = NS) -> str:
    ro = f"<ReadingOrder>{order}</ReadingOrder>" if order else ""
    return f'<?xml version="1.0" encoding="UTF-8"?>\n<PcGts xmlns="{ns}"><Page>{ro}{"".join(regions)}</Page></PcGts>'


def parse(xml: str) -> etree._Element:
    return etree.fromstring(xml.encode())


def page_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*.xml") if b"<PcGts" in p.read_bytes()[:3000])


def norm(text: str) -> str:
    return " ".join(text.split())


# ---------- real data: line order, region types, reading order ----------


def test_ocrd_gold_lines_read_right_only_top_down(shared_data: Path) -> None:
    """OCR-D gold stores lines out of reading order: the gold region TextEquiv is the judge. Top-down ("auto")
    matches it in every region, document order in about half; nn_lied_1515 needs its Transkribus line index."""
    counts = {"auto": 0, "stored": 0, "regions": 0}
    for path in page_files(shared_data / DE_OCRD):
        for reg in etree.parse(str(path)).getroot().iter("{*}TextRegion"):
            lines, gold = reg.findall("{*}TextLine"), text_equiv(reg)
            if len(lines) < 2 or gold is None or any(text_equiv(li) is None for li in lines):
                continue
            counts["regions"] += 1
            for mode in ("auto", "stored"):
                text = "\n".join(text_equiv(li)[0] for li in ordered_lines(reg, mode))
                counts[mode] += norm(text) == norm(gold[0])
    assert counts["regions"] >= 60
    assert counts["auto"] == counts["regions"]
    assert counts["stored"] < counts["regions"] - 25


def test_transkribus_line_index_wins_over_position(shared_data: Path) -> None:
    # a line with a degenerate polygon at the top of the region: its readingOrder index places it fourth
    root = etree.parse(str(shared_data / DE_OCRD / "nn_lied_1515" / "nn_lied_1515_0006.xml")).getroot()
    auto, top = page_xml_page(root).text, page_xml_page(root, "top-down").text
    assert "kund ich euch des\nmug ſprechen vnde ſingen.\nbuches ſtam" in auto
    assert "mug ſprechen" in top and "des\nmug ſprechen" not in top


def test_dach_gt_escriptorium_lines_top_down(shared_data: Path) -> None:
    # eScriptorium stores a centred heading's last line after the next paragraph line, and a line beside a
    # drop capital after the line below it; catch-word and signature mark on one baseline stay left to right
    folder = shared_data / DACH_1580
    root = etree.parse(str(folder / "813172837-0023.xml")).getroot()
    auto, stored = page_xml_page(root).text, page_xml_page(root, "stored").text
    assert "den Vn holden veruntrewt\nworden ſind.\nWelche veruntrewt" in auto
    assert "woͤnliche weiß vnd geſtalt /\nauſſerhalb dem" in auto
    assert "den Vn holden veruntrewt\nWelche" in stored
    row = page_xml_page(etree.parse(str(folder / "813172837-0009.xml")).getroot()).text
    assert "hiengen.\niij\nUnd" in row


def test_reading_order_region_types_and_offsets(shared_data: Path) -> None:
    path = shared_data / DE_OCRD / "bebel_frau_1879" / "bebel_frau_1879_0146.xml"
    root = etree.parse(str(path)).getroot()
    page = page_xml_page(root)
    assert page.version == "2019-07-15"
    assert [(r["id"], r["type"]) for r in page.regions] == [
        ("r1", "page-number"),
        ("r2", "paragraph"),
        ("r3", "paragraph"),
        ("r4", "paragraph"),
        ("r6", "footnote"),
    ]
    by_id = {r.get("id"): r for r in root.iter("{*}TextRegion")}
    for r in page.regions:  # each slice is the region's text, equal to its gold TextEquiv
        assert norm(page.text[r["start"] : r["end"]]) == norm(text_equiv(by_id[r["id"]])[0])
    starts = [r["start"] for r in page.regions]
    assert starts[0] == 0 and starts == sorted(starts)
    assert all(page.text[r["end"] : r["end"] + 2] == "\n\n" for r in page.regions[:-1])
    assert page.regions[-1]["end"] == len(page.text)


def test_ocrd_book_metadata(shared_data: Path) -> None:
    reader = PageXmlBookReader(str(shared_data / DE_OCRD), source="ocrd")
    docs = {d.id: d for d in read(reader)}
    # vischer_aesthetikregister_1858 is one back cover with only a GraphicRegion (barcode): a book without text
    assert len(docs) == 7 and stat(reader, "documents") == 7 and stat(reader, "skipped_empty") == 1
    bebel = docs["ocrd/bebel_frau_1879"]
    meta = bebel.metadata
    assert meta["page_version"] == "2019-07-15" and meta["page_order"] == "natural"
    assert meta["n_pages"] == len(meta["page_regions"]) == 4
    pages = split_pages(bebel.text, meta["page_offsets"])
    for page, regions in zip(pages, meta["page_regions"], strict=True):
        assert regions and regions[-1]["end"] == len(page)
        assert "".join(page[r["start"] : r["end"]] for r in regions) == page.replace("\n\n", "")
    assert {r["type"] for regions in meta["page_regions"] for r in regions} >= {"page-number", "footnote"}


def test_dach_gt_page_folders_are_books(shared_data: Path) -> None:
    data = shared_data / "alto" / "dach_gt"
    folders = {p.parent for p in page_files(data)}
    # a folder of pages whose METS is in the folder above (OCR-D's <book>/GT-PAGE beside <book>/mets.xml) is <book>
    expected = {str((f.parent if (f.parent / "mets.xml").exists() else f).relative_to(data)) for f in folders}
    assert "data/DE-12/urn_nbn_de_bvb_12-bsb00034304-6" in expected
    reader = PageXmlBookReader(str(data), source="dach_gt")
    docs = read(reader)
    assert {d.id for d in docs} == {f"dach_gt/{f}" for f in expected}
    assert all("bad_pages" not in d.metadata for d in docs)
    # the 1752 book holds ALTO and PAGE of the same pages in sibling folders: only GT-PAGE is a PAGE book
    assert not any(d.id.endswith("/alto") for d in docs)
    types = {r["type"] for d in docs for regions in d.metadata["page_regions"] for r in regions}
    assert "text" in types  # eScriptorium: custom="structure {type:text;}"


# ---------- agreement with dinglehopper ----------


def test_same_words_in_same_order_as_dinglehopper(shared_data: Path) -> None:
    """Words of every real PAGE file equal dinglehopper's (its normalisation applied to both: MUFI, ⸗, combining e
    above...). Lines in stored order, as dinglehopper reads them; line text where lines have it, else region text.
    The one difference: regions missing from a ReadingOrder are dropped by dinglehopper and appended here."""
    files = page_files(shared_data / DE_OCRD) + page_files(shared_data / "alto")
    assert len(files) >= 200
    unreferenced: dict[str, set[str]] = {}
    for path in files:
        tree = etree.parse(str(path))
        root = tree.getroot()
        line_text = any((text_equiv(li) or ("",))[0].strip() for li in root.iter("{*}TextLine"))
        level = "line" if line_text else "region"
        theirs = normalize_sbb(page_text(tree, textequiv_level=level)).split()
        page = page_xml_page(root, "stored")
        refs = {el.get("regionRef") for el in root.iter() if el.get("regionRef")}
        skip = {r["id"] for r in page.regions if refs and not {r["id"], r.get("parent")} & refs}
        if skip:
            unreferenced[path.name] = skip
        kept = [page.text[r["start"] : r["end"]] for r in page.regions if r["id"] not in skip]
        assert normalize_sbb("\n".join(kept)).split() == theirs, path
    assert unreferenced == {
        "clauren_mimil_1815_0023.xml": {"r14"},  # footnote
        "clauren_mimil_1815_0040.xml": {"r1"},  # footnote
        "00008228.gt.xml": {"r3"},  # running head
    }


# ---------- written files: TextEquiv choice, fallbacks, order ----------


def test_textequiv_lowest_index_and_conf() -> None:
    line = (
        '<TextLine id="l1"><TextEquiv index="2" conf="0.2"><Unicode>two</Unicode></TextEquiv>'
        '<TextEquiv index="1" conf="0.9"><Unicode>one</Unicode></TextEquiv></TextLine>'
        '<TextLine id="l2"><TextEquiv conf="0.5"><Unicode>first</Unicode></TextEquiv>'
        "<TextEquiv><Unicode>second</Unicode></TextEquiv></TextLine>"
        '<TextLine id="l3"><TextEquiv><PlainText>plain</PlainText></TextEquiv></TextLine>'
    )
    page = page_xml_page(parse(pcgts(region("r", line))), "stored")
    assert page.text == "one\nfirst\nplain"
    assert page.confidences == [0.9, 0.5]


def test_region_text_then_words_then_glyphs() -> None:
    no_line_text = '<TextLine id="a"><Word><TextEquiv><Unicode>word</Unicode></TextEquiv></Word></TextLine>'
    with_region = region("r1", no_line_text, '<TextEquiv conf="0.7"><Unicode>region\ntext</Unicode></TextEquiv>')
    glyphs = "".join(f"<Glyph><TextEquiv><Unicode>{c}</Unicode></TextEquiv></Glyph>" for c in "ab")
    words = (
        '<TextLine id="b"><Word><TextEquiv conf="0.4"><Unicode>w1</Unicode></TextEquiv></Word>'
        f"<Word>{glyphs}</Word></TextLine>"
    )
    page = page_xml_page(parse(pcgts(with_region, region("r2", words))), "stored")
    assert page.text == "region\ntext\n\nw1 ab"
    assert page.confidences == [0.7, 0.4]
    assert [(r["start"], r["end"]) for r in page.regions] == [(0, 11), (13, 18)]


def test_reading_order_groups_nested_regions_and_unreferenced() -> None:
    order = (
        '<OrderedGroup id="g"><RegionRefIndexed index="2" regionRef="c"/>'
        '<UnorderedGroupIndexed id="u" index="1"><RegionRef regionRef="b"/><RegionRef regionRef="a"/>'
        '</UnorderedGroupIndexed><RegionRefIndexed index="0" regionRef="d"/></OrderedGroup>'
    )
    regions = [
        region("a", tl("A")),
        region("b", tl("B"), region("b1", tl("B1"), rtype="marginalia"), rtype="heading"),
        region("c", tl("C")),
        region("d", tl("D")),
        region("e", tl("E")),
    ]
    page = page_xml_page(parse(pcgts(*regions, order=order)))
    assert page.text == "D\n\nB\n\nB1\n\nA\n\nC\n\nE"
    assert [r.get("parent") for r in page.regions] == [None, None, "b", None, None, None]
    assert [r["type"] for r in page.regions][1:3] == ["heading", "marginalia"]


def test_line_orders() -> None:
    lines = tl("second", y=50) + tl("right", y=100, x=300) + tl("first", y=0) + tl("left", y=102, x=0)
    xml = pcgts(region("r", lines))
    assert page_xml_page(parse(xml)).text == "first\nsecond\nleft\nright"
    assert page_xml_page(parse(xml), "stored").text == "second\nright\nfirst\nleft"
    indexed = tl("b", y=0, index="1") + tl("a", y=50, index="0")
    assert page_xml_page(parse(pcgts(region("r", indexed)))).text == "a\nb"
    assert page_xml_page(parse(pcgts(region("r", indexed))), "top-down").text == "b\na"
    with pytest.raises(ValueError, match="line_order"):
        page_xml_page(parse(xml), "bottom-up")


def test_page_versions() -> None:
    for date in ("2009-03-16", "2010-03-19", "2013-07-15", "2017-07-15", "2019-07-15"):
        ns = f"http://schema.primaresearch.org/PAGE/gts/pagecontent/{date}"
        assert page_xml_page(parse(pcgts(region("r", tl("x")), ns=ns))).version == date


# ---------- the reader: broken input, registry ----------


def test_broken_pages_are_skipped_with_reasons(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    good = pcgts(region("r", tl("good page")))
    lol = "".join(f'<!ENTITY l{i} "{f"&l{i - 1};" * 10}">' for i in range(1, 10))
    write(tmp_path / "book" / "p01.xml", good)
    write(tmp_path / "book" / "p02.xml", good[: len(good) // 2])  # truncated
    write(tmp_path / "book" / "p03.xml", b"")
    write(tmp_path / "book" / "p04.xml", good.replace("good page", "caf\xe9").encode("latin-1"))
    write(tmp_path / "book" / "p05.xml", good.replace("<PcGts", f'<!DOCTYPE PcGts [<!ENTITY l0 "lol">{lol}]>\n<PcGts'))
    write(tmp_path / "book" / "p06.xml", '<alto xmlns="http://www.loc.gov/standards/alto/ns-v4#"/>')
    write(tmp_path / "book" / "p07.xml", good)
    write(tmp_path / "other" / "p1.xml", pcgts(region("r", tl("other book"))))
    write(tmp_path / "broken" / "p1.xml", "<PcGts")
    reader = PageXmlBookReader(str(tmp_path), source="t", sniff_roots=False)
    real_open = reader.data_folder.open

    def failing_open(path: str, *args, **kwargs):
        if path.endswith("p07.xml"):
            raise PermissionError(13, "Permission denied", path)
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(reader.data_folder, "open", failing_open)
    start = time.monotonic()
    docs = {d.id: d for d in read(reader)}
    assert time.monotonic() - start < 10
    assert set(docs) == {"t/book", "t/other"} and docs["t/other"].text == "other book"
    assert docs["t/book"].text == "good page" and "lol" not in docs["t/book"].text
    reasons = ["malformed_xml", "empty", "invalid_encoding", "xml_entities", "not_page", "unreadable_file"]
    assert [b["reason"] for b in docs["t/book"].metadata["bad_pages"]] == reasons
    assert all(stat(reader, f"skipped_pages_{r}") == 1 for r in reasons[1:])
    assert stat(reader, "skipped_pages_malformed_xml") == 1 and stat(reader, "skipped_malformed_xml") == 1
    # with sniffing (default) the ALTO file is not a page at all
    (sniffed,) = [d for d in read(PageXmlBookReader(str(tmp_path / "book"))) if d.text]
    assert "b/p06.xml" not in sniffed.metadata["page_files"] and len(sniffed.metadata["bad_pages"]) == 4


def test_reader_through_the_registry(shared_data: Path) -> None:
    spec = SourceSpec(name="gt", format="page", path=str(shared_data / DE_OCRD), line_order="stored")
    reader = spec.build()
    assert isinstance(reader, PageXmlBookReader) and reader.line_order == "stored"
    docs = read(reader)
    assert len(docs) == 7 and all(d.id.startswith("gt/") for d in docs)
    with pytest.raises(ValueError, match="line_order"):
        SourceSpec(name="gt", format="page", path=str(shared_data / DE_OCRD), line_order="sideways").build()


def test_other_readers_keep_their_metadata(shared_data: Path) -> None:
    from pipelines.readers.alto import AltoBookReader

    (doc,) = read(AltoBookReader(str(shared_data / "alto" / "dinglehopper"), glob_pattern="test.alto2.xml"))
    assert "page_regions" not in doc.metadata


def test_mets_order_of_page_files(tmp_path: Path) -> None:
    from test_alto_reader import mets  # the METS writer of the ALTO tests (tests/ is on sys.path under pytest)

    for i in (1, 2, 3):
        write(tmp_path / "issue" / f"p{i}.xml", pcgts(region("r", tl(f"page{i}"))))
    write(tmp_path / "issue" / "mets.xml", mets(["p3.xml", "p1.xml", "p2.xml"]))
    (doc,) = read(PageXmlBookReader(str(tmp_path)))
    assert doc.metadata["page_order"] == "mets"
    assert split_pages(doc.text, doc.metadata["page_offsets"]) == ["page3", "page1", "page2"]
