"""AltoBookReader on real ALTO (dach-gt, BL newspaper with METS, dinglehopper v1-v3) and on small written fixtures."""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path
from xml.sax.saxutils import quoteattr

import pytest
from datatrove.data import Document
from lxml import etree

from filters.pages import PAGE_SEPARATOR, split_pages
from pipelines.readers.alto import AltoBookReader, BadInput, alto_page
from pipelines.readers.xmlsafe import parse_xml, path_matches

V4 = "http://www.loc.gov/standards/alto/ns-v4#"
V2 = "http://www.loc.gov/standards/alto/ns-v2#"
BOOK_1752 = "data/DE-4/urn_nbn_de_hebis_04-eb2010-01689/alto"
BL_ISSUE = "demo-files/0002647/1824/0217"


# ---------- helpers ----------


def read(reader: AltoBookReader, rank: int = 0, world_size: int = 1) -> list[Document]:
    return list(reader.run(rank=rank, world_size=world_size))


def pages_of(doc: Document) -> list[str]:
    return split_pages(doc.text, doc.metadata["page_offsets"])


def stat(reader: AltoBookReader, name: str) -> float:
    return reader.stats.stats[name].total if name in reader.stats.stats else 0


def s(content: str, **attrs: str | float) -> str:
    """An ALTO String element."""
    extra = "".join(f" {k}={quoteattr(str(v))}" for k, v in attrs.items())
    return f"<String CONTENT={quoteattr(content)}{extra}/>"


def line(*words: str, hyp: str | None = None) -> str:
    """A TextLine of String elements (given as plain words or as ``s(...)`` markup), optionally ending with HYP."""
    items = [w if w.startswith("<") else s(w) for w in words]
    end = f"<HYP CONTENT={quoteattr(hyp)}/>" if hyp is not None else ""
    return "<TextLine>" + '<SP WIDTH="5"/>'.join(items) + end + "</TextLine>"


def alto(*blocks: list[str], ns: str | None = V4, head: str = "", ids: bool = False) -> str:
    """An ALTO page; each block is a list of TextLine strings."""
    xmlns = f' xmlns="{ns}"' if ns else ""
    attrs = [f' ID="b{i}"' if ids else "" for i in range(len(blocks))]
    body = "".join(f"<TextBlock{a}>{''.join(lines)}</TextBlock>" for a, lines in zip(attrs, blocks, strict=True))
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<alto{xmlns}>{head}'
        f"<Layout><Page><PrintSpace>{body}</PrintSpace></Page></Layout></alto>"
    )


def page_text(xml: str) -> str:
    return alto_page(etree.fromstring(xml.encode())).text


def write(path: Path, content: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content.encode() if isinstance(content, str) else content)
    return path


def root_name(path: Path) -> str | None:
    try:
        return etree.QName(etree.parse(str(path)).getroot()).localname
    except etree.XMLSyntaxError:
        return None


# ---------- real data ----------


def test_dach_gt_one_document_per_alto_folder(shared_data: Path) -> None:
    data = shared_data / "alto" / "dach_gt"
    expected = Counter(str(p.parent.relative_to(data)) for p in data.rglob("*.xml") if root_name(p) == "alto")
    assert expected, f"no ALTO files found under {data}"
    reader = AltoBookReader(str(data), source="dach_gt")
    docs = read(reader)
    assert {d.id for d in docs} == {f"dach_gt/{folder}" for folder in expected}
    for doc in docs:
        n = expected[doc.id.removeprefix("dach_gt/")]
        assert doc.metadata["n_pages"] == len(doc.metadata["page_offsets"]) == len(doc.metadata["page_files"]) == n
        assert doc.metadata["alto_version"] == "v4"
        assert "bad_pages" not in doc.metadata
    assert stat(reader, "documents") == len(expected)
    # PAGE XML (GT-PAGE folders, DE-1, DE-17, DE-525) and the METS of DE-12 are not books
    assert not any("GT-PAGE" in d.id for d in docs)


def test_1752_book_pages_in_natural_order(shared_data: Path) -> None:
    reader = AltoBookReader(str(shared_data / "alto" / "dach_gt"), source="dach_gt")
    (doc,) = [d for d in read(reader) if d.id == f"dach_gt/{BOOK_1752}"]
    meta = doc.metadata
    assert meta["n_pages"] == 672
    assert meta["page_files"] == [f"{BOOK_1752}/image{i:03d}.xml" for i in range(672)]
    assert meta["page_order"] == "natural"
    pages = pages_of(doc)
    assert len(pages) == 672 and doc.text.count(PAGE_SEPARATOR) == 671
    assert pages[10].startswith("Abbt, Anno 1680. ſchon das drittemahl zum Druck\n")
    # WC is given for only some lines of this book: page means exist but are partial
    assert 0.9 < meta["word_confidence"] <= 1
    assert len(meta["page_word_confidence"]) == 672


def test_1752_book_joins_printed_hyphens(shared_data: Path) -> None:
    """This book has no HYP / HypPart1 markup (grep finds none): each line is one String and the printed line-end
    hyphen (⸗ or -) is part of its CONTENT. Syllable breaks (next line starts lower-case) are joined; before a
    capital the hyphen marks a compound and stays; with join_printed_hyphens=False the text stays as printed."""
    folder = shared_data / "alto" / "dach_gt" / BOOK_1752
    (doc,) = read(AltoBookReader(str(folder), glob_pattern="image01[0-3].xml"))
    assert doc.metadata["n_pages"] == 4
    assert "als eine Zugab\nbeyfuͤgen" in doc.text and "Zu⸗" not in doc.text
    assert "Verfaſſungs⸗Arth Cœleſtini\nAbbtens nachzufolgen" in doc.text  # "Cœle-" ended a line
    assert "Staats⸗\nVerfaſſung" in doc.text  # before a capital: a compound, kept as printed
    (raw,) = read(AltoBookReader(str(folder), glob_pattern="image01[0-3].xml", join_printed_hyphens=False))
    assert "als eine Zu⸗\ngab beyfuͤgen" in raw.text and "Cœle-\nſtini Abbtens" in raw.text


def test_printed_hyphen_rule() -> None:
    xml = alto([line("ein", "Wort⸗"), line("ende", "und"), line("Schreib⸗"), line("Arth", "x-"), line("7")])
    assert page_text(xml) == "ein Wortende\nund\nSchreib⸗\nArth x-\n7"


def test_real_hyphenation_markup_is_joined(shared_data: Path) -> None:
    # BL 1824 page 1: <String CONTENT="Prelee" SUBS_TYPE="HypPart1" SUBS_CONTENT="Preleetions"/><HYP CONTENT="-"/>
    # then the next line starts with <String CONTENT="tions" SUBS_TYPE="HypPart2" .../> followed by "and Isaiah,"
    reader = AltoBookReader(str(shared_data / "alto" / "bl_newspaper"), glob_pattern="*_0001.xml")
    (doc,) = read(reader)
    assert "In his Preleetions\nand Isaiah," in doc.text
    assert "Prelee-" not in doc.text and "Prelee\n" not in doc.text and "tions and Isaiah" not in doc.text
    # dinglehopper test.alto2.xml (ABBYY, ALTO v2): "übersicht" HypPart1 + soft-hyphen HYP, "lich" HypPart2
    reader = AltoBookReader(str(shared_data / "alto" / "dinglehopper"), glob_pattern="test.alto2.xml")
    (doc,) = read(reader)
    assert "möglichst weit aus, damit es übersichtlich\nwird und bedeckt" in doc.text
    assert "übersicht\n" not in doc.text and "\nlich wird" not in doc.text and "\u00ad" not in doc.text


def test_bl_newspaper_pages_in_mets_order(shared_data: Path) -> None:
    reader = AltoBookReader(str(shared_data / "alto" / "bl_newspaper"), source="bl")
    (doc,) = read(reader)
    assert doc.id == f"bl/{BL_ISSUE}"
    assert doc.metadata["page_order"] == "mets"
    assert doc.metadata["n_pages"] == len(doc.metadata["page_offsets"]) == 4
    assert doc.metadata["page_files"] == [f"{BL_ISSUE}/0002647_18240217_000{i}.xml" for i in range(1, 5)]
    assert doc.metadata["alto_version"] == "v1"  # no namespace; schema location alto-1-4.xsd
    assert all(0 < c < 1 for c in doc.metadata["page_word_confidence"])
    # the quickstart config reads it with a path pattern
    (same,) = read(AltoBookReader(str(shared_data / "alto" / "bl_newspaper"), glob_pattern="**/*.xml", source="bl"))
    assert same.text == doc.text


@pytest.mark.parametrize(
    ("name", "version", "start"),
    [
        ("test.alto1.xml", "v1", None),  # CCS namespace (ALTO 1.x), Chronicling America
        ("test.alto2.xml", "v2", "142\n\ndie Zugtiere eines Joches"),
        ("test.alto3.xml", "v3", "über die vielen Sorgen wegen deſſelben vergaß\n\nHartkopf,"),
    ],
)
def test_dinglehopper_alto_versions(shared_data: Path, name: str, version: str, start: str | None) -> None:
    reader = AltoBookReader(str(shared_data / "alto" / "dinglehopper"), glob_pattern=name)
    (doc,) = read(reader)
    assert doc.id == "books/dinglehopper"  # files directly in data_folder: the book takes the folder's name
    assert doc.metadata["alto_version"] == version
    assert doc.metadata["page_files"] == [name]
    assert doc.metadata["word_confidence"] is not None
    assert len(doc.text.split()) > 10
    if start:
        assert doc.text.startswith(start)


def test_dinglehopper_folders_mix_page_xml_and_alto(shared_data: Path) -> None:
    reader = AltoBookReader(str(shared_data / "alto" / "dinglehopper"), source="dh")
    docs = {d.id: d for d in read(reader)}
    assert set(docs) == {"dh/dinglehopper", "dh/bigger-texts/00008228", "dh/lorem-ipsum"}
    assert docs["dh/dinglehopper"].metadata["page_files"] == ["test.alto1.xml", "test.alto2.xml", "test.alto3.xml"]
    assert docs["dh/dinglehopper"].metadata["alto_version"] == "mixed"
    assert stat(reader, "skipped_pages_not_alto") == 0  # PAGE files are not pages of these books


def test_sharding_is_disjoint_and_complete(shared_data: Path) -> None:
    data = str(shared_data / "alto" / "dach_gt")
    everything = {d.id for d in read(AltoBookReader(data))}
    shards = [{d.id for d in read(AltoBookReader(data), rank=r, world_size=2)} for r in range(2)]
    assert shards[0] and shards[1]
    assert not shards[0] & shards[1]
    assert shards[0] | shards[1] == everything


# ---------- written fixtures: text ----------


def test_lines_words_and_blocks() -> None:
    xml = alto([line("Hello", "world"), line("second", "line")], [line("new", "block")])
    assert page_text(xml) == "Hello world\nsecond line\n\nnew block"


def test_hyp_element_joins_parts_without_hyphen() -> None:
    xml = alto([line("a", "won", hyp="-"), line("derful", "day")])
    assert page_text(xml) == "a wonderful\nday"


def test_hyp_part1_uses_subs_content_and_drops_part2() -> None:
    xml = alto(
        [
            line("the", s("Lon", SUBS_TYPE="HypPart1", SUBS_CONTENT="London"), hyp="\u00ad"),
            line(s("don", SUBS_TYPE="HypPart2", SUBS_CONTENT="London"), "bridge"),
        ]
    )
    assert page_text(xml) == "the London\nbridge"


def test_hyp_part1_without_subs_content_and_hyphen_in_content() -> None:
    xml = alto([line("in", s("hyphen-", SUBS_TYPE="HypPart1")), line(s("ation", SUBS_TYPE="HypPart2"), "x")])
    assert page_text(xml) == "in hyphenation\nx"


def test_hyphen_joined_across_blocks_and_lines_emptied() -> None:
    xml = alto([line("end", "of", "col", hyp="-")], [line("umn"), line("next")])
    assert page_text(xml) == "end of column\n\nnext"


def test_open_hyphen_at_page_end_keeps_printed_hyphen() -> None:
    xml = alto([line("last", s("wo", SUBS_TYPE="HypPart1", SUBS_CONTENT="word"), hyp="-")])
    assert page_text(xml) == "last wo-"


def test_any_namespace_and_no_namespace() -> None:
    blocks = [line("same", "text")]
    texts = {page_text(alto(blocks, ns=ns)) for ns in (V4, V2, "http://schema.ccs-gmbh.com/ALTO", None)}
    assert texts == {"same text"}


def test_reading_order_is_followed() -> None:
    head = '<ReadingOrder><OrderedGroup ID="g"><ElementRef ID="r1" REF="b1"/></OrderedGroup></ReadingOrder>'
    xml = alto([line("second")], [line("first")], [line("third")], head=head, ids=True)
    assert page_text(xml) == "first\n\nsecond\n\nthird"


# ---------- written fixtures: books ----------


def test_word_confidence_per_page_and_book(tmp_path: Path) -> None:
    write(tmp_path / "b" / "p1.xml", alto([line(s("a", WC="0.5"), s("b", WC="1.0"), s("c", WC="0.9"))]))
    write(tmp_path / "b" / "p2.xml", alto([line("no", "confidence")]))
    write(tmp_path / "b" / "p10.xml", alto([line(s("z", WC="0.2"))]))
    (doc,) = read(AltoBookReader(str(tmp_path)))
    meta = doc.metadata
    assert meta["page_files"] == ["b/p1.xml", "b/p2.xml", "b/p10.xml"]
    assert meta["page_word_confidence"] == [pytest.approx(0.8), None, pytest.approx(0.2)]
    assert meta["word_confidence"] == pytest.approx((0.5 + 1.0 + 0.9 + 0.2) / 4)
    assert doc.id == "books/b" and meta["alto_version"] == "v4"


def test_blank_page_is_kept_as_a_page(tmp_path: Path) -> None:
    write(tmp_path / "b" / "p1.xml", alto([line("text")]))
    write(tmp_path / "b" / "p2.xml", alto())
    (doc,) = read(AltoBookReader(str(tmp_path)))
    assert doc.metadata["n_pages"] == 2 and pages_of(doc) == ["text", ""]


def test_broken_page_is_skipped_and_book_kept(tmp_path: Path) -> None:
    good = alto([line("good", "page")])
    write(tmp_path / "book" / "page_1.xml", good)
    write(tmp_path / "book" / "page_2.xml", good[: len(good) // 2])  # truncated
    reader = AltoBookReader(str(tmp_path))
    (doc,) = read(reader)
    assert doc.text == "good page"
    assert doc.metadata["n_pages"] == 1 and doc.metadata["page_files"] == ["book/page_1.xml"]
    assert doc.metadata["bad_pages"] == [{"file": "book/page_2.xml", "reason": "malformed_xml"}]
    assert stat(reader, "skipped_pages_malformed_xml") == 1
    assert stat(reader, "documents") == 1


def test_folder_of_broken_files_gives_no_document(tmp_path: Path) -> None:
    write(tmp_path / "good" / "p1.xml", alto([line("fine")]))
    write(tmp_path / "bad" / "p1.xml", alto([line("cut")])[:60])
    write(tmp_path / "bad" / "p2.xml", alto([line("caf\xe9")]).encode("latin-1"))  # declared UTF-8
    write(tmp_path / "bad" / "p3.xml", b"")
    reader = AltoBookReader(str(tmp_path), source="t")
    docs = read(reader)
    assert [d.id for d in docs] == ["t/good"]
    assert stat(reader, "skipped_no_readable_pages") == 1
    assert stat(reader, "skipped_pages_malformed_xml") == 1
    assert stat(reader, "skipped_pages_invalid_encoding") == 1
    assert stat(reader, "skipped_pages_empty") == 1


def test_not_alto_and_unreadable_pages(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path / "b" / "p1.xml", alto([line("ok")]))
    write(
        tmp_path / "b" / "p2.xml", '<PcGts xmlns="http://schema.primaresearch.org/PAGE/gts/pagecontent/2019-07-15"/>'
    )
    write(tmp_path / "b" / "p3.xml", alto([line("gone")]))
    # sniffing (default): the PAGE file is not a page of the book at all
    (doc,) = read(AltoBookReader(str(tmp_path)))
    assert doc.metadata["page_files"] == ["b/p1.xml", "b/p3.xml"]
    # without sniffing every matching file is a page: the PAGE file is a bad page; make p3 unreadable
    reader = AltoBookReader(str(tmp_path), sniff_roots=False)
    real_open = reader.data_folder.open

    def failing_open(path: str, *args, **kwargs):
        if path.endswith("p3.xml"):
            raise PermissionError(13, "Permission denied", path)
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(reader.data_folder, "open", failing_open)
    (doc,) = read(reader)
    assert doc.text == "ok"
    assert doc.metadata["bad_pages"] == [
        {"file": "b/p2.xml", "reason": "not_alto"},
        {"file": "b/p3.xml", "reason": "unreadable_file"},
    ]
    assert stat(reader, "skipped_pages_not_alto") == stat(reader, "skipped_pages_unreadable_file") == 1


def test_entity_expansion_is_not_performed(tmp_path: Path) -> None:
    lol = "".join(f'<!ENTITY l{i} "{f"&l{i - 1};" * 10}">' for i in range(1, 10))
    bomb = alto([line('<String CONTENT="&l9;"/>', "x")]).replace(
        "<alto", f'<!DOCTYPE alto [<!ENTITY l0 "lol">{lol}]>\n<alto', 1
    )
    small = alto([line('<String CONTENT="&e;"/>')]).replace(
        "<alto", '<!DOCTYPE alto [<!ENTITY e "expanded">]>\n<alto', 1
    )
    write(tmp_path / "b" / "p1.xml", alto([line("safe")]))
    write(tmp_path / "b" / "p2.xml", bomb)
    write(tmp_path / "b" / "p3.xml", small)
    start = time.monotonic()
    reader = AltoBookReader(str(tmp_path))
    (doc,) = read(reader)
    assert time.monotonic() - start < 10
    assert doc.text == "safe" and "lol" not in doc.text and "expanded" not in doc.text
    assert [b["reason"] for b in doc.metadata["bad_pages"]] == ["xml_entities", "xml_entities"]
    with pytest.raises(BadInput) as err:
        parse_xml(bomb.encode(), "bomb.xml")
    assert err.value.reason == "xml_entities"


def test_mets_order_used_when_it_covers_the_pages(tmp_path: Path) -> None:
    for i in (1, 2, 3):
        write(tmp_path / "issue" / f"p{i}.xml", alto([line(f"page{i}")]))
    write(tmp_path / "issue" / "mets.xml", mets(["p3.xml", "p1.xml", "p2.xml"]))
    (doc,) = read(AltoBookReader(str(tmp_path)))
    assert doc.metadata["page_order"] == "mets"
    assert pages_of(doc) == ["page3", "page1", "page2"]
    assert doc.metadata["page_files"] == ["issue/p3.xml", "issue/p1.xml", "issue/p2.xml"]
    (natural,) = read(AltoBookReader(str(tmp_path), use_mets=False))
    assert pages_of(natural) == ["page1", "page2", "page3"] and natural.metadata["page_order"] == "natural"


def test_mets_missing_a_page_falls_back_to_natural_order(tmp_path: Path) -> None:
    for i in (1, 2, 3):
        write(tmp_path / "issue" / f"p{i}.xml", alto([line(f"page{i}")]))
    write(tmp_path / "issue" / "issue_mets.xml", mets(["p3.xml", "p1.xml"]))
    (doc,) = read(AltoBookReader(str(tmp_path)))
    assert doc.metadata["page_order"] == "natural"
    assert pages_of(doc) == ["page1", "page2", "page3"]


def test_path_patterns() -> None:
    assert path_matches("a/b/c.xml", "*.xml") and path_matches("c.xml", "*.xml")
    assert path_matches("a/b/c.xml", "**/*.xml") and path_matches("c.xml", "**/*.xml")
    assert not path_matches("a/c.html", "*.xml")


def mets(hrefs: list[str]) -> str:
    """A METS whose physical structMap lists ``hrefs`` in order, ORDER attributes given shuffled in the file."""
    files = "".join(
        f'<mets:file ID="alto{i}"><mets:FLocat LOCTYPE="URL" xlink:href="{h}"/></mets:file>'
        for i, h in enumerate(hrefs)
    )
    divs = "".join(
        f'<mets:div ORDER="{i + 1}" TYPE="page"><mets:fptr FILEID="img{i}"/><mets:fptr FILEID="alto{i}"/></mets:div>'
        for i in reversed(range(len(hrefs)))
    )
    return (
        '<mets:mets xmlns:mets="http://www.loc.gov/METS/" xmlns:xlink="http://www.w3.org/1999/xlink">'
        f'<mets:fileSec><mets:fileGrp USE="FULLTEXT">{files}</mets:fileGrp></mets:fileSec>'
        f'<mets:structMap TYPE="PHYSICAL"><mets:div TYPE="physSequence">{divs}</mets:div></mets:structMap>'
        "</mets:mets>"
    )
