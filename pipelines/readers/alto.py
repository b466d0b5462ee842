"""ALTO XML (v1/CCS, v2, v3, v4) books: one folder of page files is one book, pages ordered by METS when present."""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterator
from dataclasses import dataclass

from datatrove.data import Document
from datatrove.io import DataFolderLike
from datatrove.utils.logging import logger
from lxml import etree

from filters.pages import natural_key
from pipelines.readers.alto_layout import AltoLayout
from pipelines.readers.base import BadInput, BookReader, BookRef, PageText
from pipelines.readers.mets import mets_fields, physical_order
from pipelines.readers.xmlsafe import local_name, parse_xml, path_matches, read_xml

XSI = "{http://www.w3.org/2001/XMLSchema-instance}"
HYPHENS = "-\u00ad\u2010\u2011\u00ac\u2e17"  # hyphen-minus, soft hyphen, hyphen, non-breaking hyphen, not sign, ⸗
SNIFF_BYTES = 1 << 20  # read at most this much of a file to find its root element
_ALTO_NS = re.compile(r"alto/ns-v(\d+)#?$")
_ALTO_SCHEMA = re.compile(r"alto[-_ ]?v?(\d+)", re.IGNORECASE)


def alto_version(root: etree._Element) -> str | None:
    """'v4' from the namespace, else from SCHEMAVERSION or the schema location; CCS namespace or ALTO 1.x -> 'v1'."""
    ns = etree.QName(root).namespace or ""
    if m := _ALTO_NS.search(ns):
        return f"v{m.group(1)}"
    if "ccs-gmbh.com/ALTO" in ns:
        return "v1"
    if v := (root.get("SCHEMAVERSION") or "").strip():
        return f"v{v.split('.')[0]}"
    schema = (root.get(f"{XSI}schemaLocation") or "") + " " + (root.get(f"{XSI}noNamespaceSchemaLocation") or "")
    m = _ALTO_SCHEMA.search(schema)
    return f"v{m.group(1)}" if m else None


def _text_blocks(root: etree._Element) -> list[etree._Element]:
    """TextBlocks in ReadingOrder (ElementRefs, flattened) when present, the others after them in document order."""
    blocks = list(root.iter("{*}TextBlock"))
    order = next(root.iter("{*}ReadingOrder"), None)
    if order is None:
        return blocks
    by_id = {el.get("ID"): el for el in root.iter("{*}TextBlock", "{*}ComposedBlock")}
    ordered: list[etree._Element] = []
    for ref in order.iter("{*}ElementRef"):
        el = by_id.get(ref.get("REF"))
        if el is not None:
            ordered.extend(el.iter("{*}TextBlock"))  # a TextBlock yields itself, a ComposedBlock its TextBlocks
    seen: set[etree._Element] = set()
    ordered = [b for b in ordered if not (b in seen or seen.add(b))]
    return ordered + [b for b in blocks if b not in seen]


@dataclass
class _Hyphen:
    """A word broken at the end of a line, waiting for its second part."""

    line: list[str]  # the line holding the first part (its last word)
    part: str  # first part without its hyphen
    mark: str  # the printed hyphen, used when no second part follows
    full: str | None  # SUBS_CONTENT of a HypPart1: the whole word
    printed: bool = False  # no markup: a hyphen printed at the end of the line's last String


PRINTED_HYPHENS = "-\u2010\u2011\u00ac\u2e17"  # hyphen-minus, hyphen, non-breaking hyphen, not sign, ⸗


def alto_page(root: etree._Element, join_printed_hyphens: bool = True) -> PageText:
    """Text of an ALTO page: words joined by spaces, one line per TextLine, blocks separated by a blank line.

    A word hyphenated at a line end (HYP element, or SUBS_TYPE="HypPart1") is joined with the first word of the next
    line and put whole at the end of the first line: SUBS_CONTENT when given (the HypPart2 string is then dropped),
    else the two parts without the hyphen. A break left open at the end of the page keeps its printed hyphen.
    Many ALTO files (the 1752 book in dach_gt, for one) carry no hyphen markup: the hyphen is printed inside the
    line's last String. With ``join_printed_hyphens`` such a word is joined with the next line's first word when
    that word starts with a lower-case letter (a syllable break); before a capital (``Verfaſſungs⸗`` / ``Arth``,
    a compound in German print) both stay as printed. ``PageText.layout``: line roles (``alto_layout.py``).
    """
    blocks: list[tuple[list[list[str]], list]] = []
    confidences: list[float] = []
    pending: _Hyphen | None = None
    layout = AltoLayout(root)
    for block in _text_blocks(root):
        lines: list[list[str]] = []
        metas: list = []
        for line in block.iter("{*}TextLine"):
            words, strings, hyp_mark = _line_words(line, confidences)
            if pending is not None and strings:
                _join_hyphen(pending, words, strings[0])
                pending = None
            words = [w for w in words if w]
            if words:
                lines.append(words)
                metas.append(layout.line_meta(block, line))
            if words and strings[-1].get("CONTENT"):
                pending = _line_end_hyphen(words, strings[-1], hyp_mark, join_printed_hyphens)
        if lines:
            blocks.append((lines, metas))
    if pending is not None and not pending.printed:
        pending.line[-1] = pending.part + pending.mark
    text, page_layout = layout.assemble(blocks)
    return PageText(text, confidences, alto_version(root), layout=page_layout, unknown_types=layout.unknown)


def _line_words(line: etree._Element, confidences: list[float]) -> tuple[list[str], list, str | None]:
    """Words and String elements of a TextLine and the HYP mark after its last String; WC values go to
    ``confidences``."""
    words, strings, hyp_mark = [], [], None
    for el in line:
        name = local_name(el.tag)
        if name == "String":
            strings.append(el)
            words.append(el.get("CONTENT") or "")
            hyp_mark = None
            if (wc := _float(el.get("WC"))) is not None:
                confidences.append(wc)
        elif name == "HYP":
            hyp_mark = el.get("CONTENT") or "-"
    return words, strings, hyp_mark


def _join_hyphen(pending: _Hyphen, words: list[str], first: etree._Element) -> None:
    """Complete the word broken at the end of the line before with this line's first word (``words`` changes)."""
    if pending.printed:
        if words[0][:1].islower():  # a String may hold a whole line: move only its first word up
            head, _, rest = words[0].partition(" ")
            pending.line[-1] = pending.part + head
            words[0] = rest
    elif first.get("SUBS_TYPE") == "HypPart2":
        pending.line[-1] = pending.full or pending.part + words[0]
        del words[0]
    elif pending.full:
        pending.line[-1] = pending.full
    else:
        pending.line[-1] = pending.part + words[0]
        del words[0]


def _line_end_hyphen(words: list[str], last: etree._Element, hyp_mark: str | None, printed: bool) -> _Hyphen | None:
    """The word broken at the end of this line (markup, or with ``printed`` a printed hyphen), or None."""
    part1 = last.get("SUBS_TYPE") == "HypPart1"
    if hyp_mark is not None or part1:
        part = words[-1].rstrip(HYPHENS) or words[-1]
        mark = (hyp_mark if hyp_mark is not None else words[-1][len(part) :]).replace("\u00ad", "") or "-"
        full = (last.get("SUBS_CONTENT") or None) if part1 else None
        return _Hyphen(words, part, mark, full)
    if printed and len(words[-1]) > 1 and words[-1][-1] in PRINTED_HYPHENS:
        return _Hyphen(words, words[-1][:-1], words[-1][-1], None, printed=True)
    return None


def _float(value: str | None) -> float | None:
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


class AltoBookReader(BookReader):
    """Reads ALTO books: every folder that directly holds ALTO page files is one book.

    Page files are the files matching ``glob_pattern`` (a file-name pattern at any depth, or a path pattern when it
    holds '/') whose root element is ``alto``; other XML (PAGE, METS) is not a page. Files whose root cannot be read
    are kept as pages so that they are counted as bad. Pages are in natural order of file name, or in the order of
    the METS physical structMap when a METS file in the same folder (or, for a folder of pages without one, in the
    folder above it: OCR-D's ``<book>/mets.xml`` + ``<book>/GT-PAGE/``, where ``<book>`` is then the book id)
    references every page file (``use_mets``). The METS's MODS (else Dublin Core) record of the work gives the
    book's ``title``, ``author``, ``date``, ``year``, ``language``, ``identifiers`` and ``license``
    (``pipelines/readers/mets.py``).
    With ``sniff_roots=False`` files are not opened while listing: a file is METS when its name contains 'mets' and
    every other match is a page (non-ALTO pages are then skipped as ``not_alto``).

    A bad page (``malformed_xml``, ``not_alto``, ``unreadable_file``, ``invalid_encoding``, ``empty``,
    ``xml_entities``) is skipped, counted as ``skipped_pages_<reason>`` and listed in ``metadata["bad_pages"]``; a
    book with no readable page is skipped as ``no_readable_pages``.
    """

    name = "📜 ALTO books"
    page_root = "alto"  # local name of a page file's root element

    def __init__(
        self,
        path: DataFolderLike,
        glob_pattern: str = "*.xml",
        use_mets: bool = True,
        sniff_roots: bool = True,
        join_printed_hyphens: bool = True,
        **kwargs,
    ):
        super().__init__(path, **kwargs)
        self.glob_pattern = glob_pattern
        self.use_mets = use_mets
        self.sniff_roots = sniff_roots
        self.join_printed_hyphens = join_printed_hyphens

    def root_name(self, path: str) -> str | None:
        """Local name of the root element, reading only the start of the file; None when it cannot be found."""
        if not self.sniff_roots:
            return "mets" if "mets" in posixpath.basename(path).lower() else self.page_root
        parser = etree.XMLPullParser(events=("start",), resolve_entities=False, no_network=True)
        try:
            with self.data_folder.open(path, "rb") as f:
                for _ in range(0, SNIFF_BYTES, 1 << 16):
                    if not (chunk := f.read(1 << 16)):
                        return None
                    parser.feed(chunk)
                    for _, el in parser.read_events():
                        return local_name(el.tag)
        except (OSError, etree.XMLSyntaxError):
            return None
        return None

    def list_units(self) -> list[BookRef]:
        folders: dict[str, list[str]] = {}
        for path in self.data_folder.list_files(recursive=True):
            if path_matches(path, self.glob_pattern):
                folders.setdefault(posixpath.dirname(path), []).append(path)
        found: dict[str, tuple[list[str], list[str]]] = {}  # folder -> (pages, METS files)
        for folder in sorted(folders):
            pages, mets = [], []
            for path in folders[folder]:
                root = self.root_name(path)
                if root == "mets":
                    mets.append(path)
                elif root in (self.page_root, None):
                    pages.append(path)
            pages.sort(key=lambda p: natural_key(posixpath.basename(p)))
            found[folder] = (pages, sorted(mets, key=lambda p: natural_key(posixpath.basename(p))))
        return [self._unit(folder, found) for folder in found if found[folder][0]]

    def _unit(self, folder: str, found: dict[str, tuple[list[str], list[str]]]) -> BookRef:
        """The book of a page folder. Pages in a sub-folder of the book's METS (OCR-D: ``<book>/mets.xml`` beside
        ``<book>/GT-PAGE/``) take that METS, and the METS's folder is the book when no other page folder beside
        this one has no METS of its own."""
        pages, mets = found[folder]
        book = folder
        parent = posixpath.dirname(folder)
        if not mets and folder and parent in found and found[parent][1] and not found[parent][0]:
            mets = found[parent][1]
            siblings = [f for f, (p, m) in found.items() if p and not m and f and posixpath.dirname(f) == parent]
            book = parent if len(siblings) == 1 else folder
        book_id = book or posixpath.basename(self.data_folder.path.rstrip("/")) or "."
        return BookRef(book_id, tuple(pages), {"folder": folder, "mets": mets[0] if mets else None})

    def read_page(self, path: str) -> PageText | BadInput:
        root = read_xml(self.data_folder, path)
        if isinstance(root, BadInput):
            return root
        if local_name(root.tag) != "alto":
            return BadInput("not_alto", path, str(root.tag))
        return alto_page(root, self.join_printed_hyphens)

    def book_mets(self, unit: BookRef) -> tuple[list[str], dict]:
        """The unit's page files in reading order and the metadata its METS gives: ``page_order`` ("mets" or
        "natural") and the work's title, author, date, year, language, identifiers, licence (``mets.py``)."""
        mets = unit.extra.get("mets")
        if not (self.use_mets and mets):
            return list(unit.paths), {"page_order": "natural"}
        try:
            with self.data_folder.open(mets, "rb") as f:
                root = parse_xml(f.read(), mets)
        except (OSError, BadInput) as e:
            self.stat_update("mets_unusable")
            logger.warning(f"[{self.source}] METS {mets} not used: {e}")
            return list(unit.paths), {"page_order": "natural"}
        ordered = physical_order(root, posixpath.dirname(mets), list(unit.paths))
        return ordered or list(unit.paths), {"page_order": "mets" if ordered else "natural", **mets_fields(root)}

    def read_unit(self, unit: BookRef) -> Iterator[Document | BadInput]:
        paths, meta = self.book_mets(unit)
        folder = unit.extra.get("folder", "")
        pages = [(path, self.read_page(path)) for path in paths]
        versions = {p.version for _, p in pages if isinstance(p, PageText)}
        version = versions.pop() if len(versions) == 1 else ("mixed" if versions else None)
        yield self.book_from_pages(unit.id, folder, pages, {"alto_version": version, **meta})
