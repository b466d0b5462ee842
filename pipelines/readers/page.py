"""PAGE XML (2009-2019) pages: regions in ReadingOrder, lines in their stored or top-down order, region types kept.

One PAGE file is one page. Its text is the text of its TextRegions in reading order, lines joined by "\\n" and
regions separated by a blank line (as ``alto_page``). ``PageText.regions`` keeps one entry per region with text:

    {"id": "r2", "type": "paragraph", "start": 12, "end": 480}            # text[start:end] is the region's text
    {"id": "c1", "type": None, "start": 482, "end": 490, "parent": "t0"}  # nested in region (TableRegion) "t0"

``type`` is the PAGE ``@type`` of the TextRegion (heading, paragraph, header, footer, page-number, footnote,
footnote-continued, marginalia, catch-word, signature-mark, drop-capital, caption, credit, other, ...), else the
``structure {type:...}`` of its ``@custom`` (Transkribus, eScriptorium), else None. ``PageText.layout`` gives
every line the role of its region's type (``pipelines/readers/layout.py``, ``filters/layout.py``); a type the
roles do not know is read as "other" (main text) and counted by name (``unknown_region_type_<type>``, and
``metadata["unknown_region_types"]``), never silently.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator

from datatrove.data import Document
from datatrove.io import DataFolderLike
from lxml import etree

from pipelines.readers.alto import AltoBookReader
from pipelines.readers.base import BadInput, BookRef, PageText
from pipelines.readers.layout import LayoutBuilder, lines_of_regions, unknown_label
from pipelines.readers.page_lines import int_or_none, ordered_lines, text_equiv, words_text
from pipelines.readers.xmlsafe import local_name, read_xml

PAGE_NAMESPACE = re.compile(r"^https?://schema\.primaresearch\.org/PAGE/gts/pagecontent/(\d{4}-\d{2}-\d{2})/?$")
LINE_ORDERS = ("auto", "stored", "top-down")
_CUSTOM_TYPE = re.compile(r"structure\s*\{[^}]*\btype:\s*([^;}]+)")


def page_version(root: etree._Element) -> str | None:
    """The date of the PAGE schema ('2019-07-15') from the root's namespace; None when it is not a PAGE namespace."""
    m = PAGE_NAMESPACE.match(etree.QName(root).namespace or "")
    return m.group(1) if m else None


def is_page_root(root: etree._Element) -> bool:
    """True for a ``PcGts`` root element (in a PAGE namespace or none)."""
    ns = etree.QName(root).namespace
    return local_name(root.tag) == "PcGts" and (ns is None or page_version(root) is not None)


def ordered_regions(root: etree._Element) -> list[etree._Element]:
    """TextRegions in ReadingOrder (groups flattened, RegionRefIndexed by @index), then the rest in document order.

    A referenced region that is not a TextRegion (a TableRegion) stands for the TextRegions inside it; a nested
    TextRegion follows its parent unless the ReadingOrder places it earlier.
    """
    regions = list(root.iter("{*}TextRegion"))
    order = next(root.iter("{*}ReadingOrder"), None)
    if order is None:
        return regions
    by_id = {el.get("id"): el for el in root.iter() if local_name(el.tag).endswith("Region") and el.get("id")}
    ordered: list[etree._Element] = []
    for ref in _region_refs(order):
        el = by_id.get(ref)
        if el is not None:
            ordered.extend(el.iter("{*}TextRegion"))
    seen: set[etree._Element] = set()
    ordered = [r for r in ordered if not (r in seen or seen.add(r))]
    return ordered + [r for r in regions if r not in seen]


def _region_refs(group: etree._Element) -> list[str]:
    """Region ids of a ReadingOrder or group, depth first; children of an indexed group sorted by @index."""
    children = [c for c in group if c.get("regionRef") or local_name(c.tag).endswith(("Group", "GroupIndexed"))]
    if all(int_or_none(c.get("index")) is not None for c in children):
        children.sort(key=lambda c: int_or_none(c.get("index")))  # stable: equal indices keep document order
    refs: list[str] = []
    for child in children:
        inner = _region_refs(child)  # a group that stands for a region (a table) orders the regions inside it
        refs.extend(inner)
        if ref := child.get("regionRef"):
            refs.append(ref)
    return refs


def region_type(region: etree._Element) -> str | None:
    """PAGE @type of a region, else the ``structure {type:...}`` of its @custom, else None."""
    if t := (region.get("type") or "").strip():
        return t
    m = _CUSTOM_TYPE.search(region.get("custom") or "")
    return m.group(1).strip() if m else None


def region_text(region: etree._Element, line_order: str, confidences: list[float]) -> str:
    """Text of one TextRegion's own lines (nested regions excluded); @conf of the TextEquivs used go to
    ``confidences``.

    Line TextEquivs when some line has a non-empty one (a line without one falls back to its words, then glyphs);
    else the region's own TextEquiv; else the words (or glyphs) of its lines.
    """
    lines = ordered_lines(region, line_order)
    line_equivs = [text_equiv(line) for line in lines]
    if any(te is not None and te[0].strip() for te in line_equivs):
        texts = []
        for line, te in zip(lines, line_equivs, strict=True):
            if te is not None:
                texts.append(te[0])
                confidences.extend([te[1]] if te[1] is not None else [])
            else:
                texts.append(words_text(line, confidences))
    elif (te := text_equiv(region)) is not None:
        texts = te[0].splitlines()
        confidences.extend([te[1]] if te[1] is not None else [])
    else:
        texts = [words_text(line, confidences) for line in lines]
    return "\n".join(t.rstrip("\r") for t in texts if t.strip())


def page_xml_page(root: etree._Element, line_order: str = "auto") -> PageText:
    """Text of a PAGE page: TextRegions in reading order, lines joined by "\\n", regions separated by a blank line.

    ``line_order``: "auto" follows an explicit line order (Transkribus ``custom="readingOrder {index:N;}"`` or
    ``@index`` on every line of a region), else sorts lines top-down (OCR-D gold stores lines out of order);
    "stored" keeps document order; "top-down" always sorts by position. ``PageText.regions`` lists the regions
    that have text, with their type and character offsets (see the module docstring).
    """
    if line_order not in LINE_ORDERS:
        raise ValueError(f"line_order must be one of {LINE_ORDERS}, not {line_order!r}")
    confidences: list[float] = []
    parts: list[str] = []
    regions: list[dict] = []
    start = 0
    for region in ordered_regions(root):
        text = region_text(region, line_order, confidences)
        if not text:
            continue
        if parts:
            start += 2  # the blank line between regions
        entry = {"id": region.get("id"), "type": region_type(region), "start": start, "end": start + len(text)}
        parent = next((a for a in region.iterancestors() if local_name(a.tag).endswith("Region")), None)
        if parent is not None:
            entry["parent"] = parent.get("id")
        regions.append(entry)
        parts.append(text)
        start += len(text)
    text = "\n\n".join(parts)
    builder = LayoutBuilder()
    lines_of_regions(text, regions, builder)
    unknown = Counter(t for r in regions if (t := unknown_label(r["type"])))
    return PageText(text, confidences, page_version(root), regions, builder.build(len(text)), unknown)


class PageXmlBookReader(AltoBookReader):
    """Reads PAGE XML books: every folder that directly holds PAGE page files is one book.

    Page files are the files matching ``glob_pattern`` (a file-name pattern at any depth, or a path pattern when it
    holds '/') whose root element is ``PcGts``; other XML (ALTO, METS) in the folder is not a page. Pages are in
    natural order of file name, or in METS physical order when a METS file in the folder references every page
    (``use_mets``); ``sniff_roots`` as in ``AltoBookReader``. ``line_order`` as in ``page_xml_page``.

    The book's metadata has ``page_version`` (the PAGE schema date, "mixed" when pages differ), ``page_order`` and
    ``page_regions`` (per page: regions in reading order with ``id``, ``type``, ``start``, ``end``; see
    ``pipelines/readers/page.py``). A bad page (``malformed_xml``, ``not_page``, ``unreadable_file``,
    ``invalid_encoding``, ``empty``, ``xml_entities``) is skipped, counted as ``skipped_pages_<reason>`` and listed
    in ``metadata["bad_pages"]``; a book with no readable page is skipped as ``no_readable_pages``.
    """

    name = "📄 PAGE XML books"
    page_root = "PcGts"

    def __init__(
        self,
        path: DataFolderLike,
        glob_pattern: str = "*.xml",
        line_order: str = "auto",
        use_mets: bool = True,
        sniff_roots: bool = True,
        **kwargs,
    ):
        if line_order not in LINE_ORDERS:
            raise ValueError(f"PageXmlBookReader: line_order must be one of {LINE_ORDERS}, not {line_order!r}")
        super().__init__(path, glob_pattern=glob_pattern, use_mets=use_mets, sniff_roots=sniff_roots, **kwargs)
        self.line_order = line_order

    def read_page(self, path: str) -> PageText | BadInput:
        root = read_xml(self.data_folder, path)
        if isinstance(root, BadInput):
            return root
        if not is_page_root(root):
            return BadInput("not_page", path, str(root.tag))
        return page_xml_page(root, self.line_order)

    def read_unit(self, unit: BookRef) -> Iterator[Document | BadInput]:
        paths, meta = self.book_mets(unit)
        pages = [(path, self.read_page(path)) for path in paths]
        versions = {p.version for _, p in pages if isinstance(p, PageText)}
        version = versions.pop() if len(versions) == 1 else ("mixed" if versions else None)
        yield self.book_from_pages(unit.id, unit.extra.get("folder", ""), pages, {"page_version": version, **meta})
