"""Line layout of an ALTO page (``page_layout`` of ``filters/layout.py``): roles from TAGREFS, fonts, positions.

A TextBlock's role is the role of its tag labels (``TAGREFS`` -> ``Tags/OtherTag/@LABEL``; else the ``TYPE`` of an
enclosing ComposedBlock), a TextLine's from its own labels and its block's (``line_role``). Font size and style are
those of the TextStyles (``Styles``) its Strings refer to (``STYLEREFS`` of the String, else of the line, else of
the block; a String's own ``STYLE`` attribute wins for the style), the value covering most characters. The box is
the line's HPOS/VPOS/WIDTH/HEIGHT relative to the Page's WIDTH/HEIGHT. A page without tags has no layout.
"""

from __future__ import annotations

from collections import Counter

from lxml import etree

from pipelines.readers.layout import LayoutBuilder, label_role, line_role, unknown_label

LineMeta = tuple[str | None, str | None, list | None, float | None, str | None]  # role, region, box, size, style


def _num(value: str | None) -> float | None:
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


class AltoLayout:
    """Tag labels, text styles and page size of one ALTO page, read once."""

    def __init__(self, root: etree._Element):
        self.tags = {t.get("ID"): t.get("LABEL") or "" for t in root.iter("{*}OtherTag", "{*}LayoutTag")}
        self.active = bool(self.tags) or any(True for _ in root.iter("{*}ComposedBlock"))
        self.styles: dict[str, tuple[float | None, str | None]] = {}
        for s in root.iter("{*}TextStyle"):
            self.styles[s.get("ID")] = (_num(s.get("FONTSIZE")), (s.get("FONTSTYLE") or "").strip() or None)
        page = next(root.iter("{*}Page"), None)
        self.size = (_num(page.get("WIDTH")), _num(page.get("HEIGHT"))) if page is not None else (None, None)
        self._zones: dict[etree._Element, str | None] = {}
        self.unknown: Counter = Counter()  # tag labels the roles do not know, per tagged block or line

    def _labels_role(self, el: etree._Element) -> str | None:
        labels = [self.tags[t] for t in (el.get("TAGREFS") or "").split() if t in self.tags]
        self.unknown.update(u for label in labels if (u := unknown_label(label)))
        return next((r for r in map(label_role, labels) if r is not None), None)

    def zone_role(self, block: etree._Element) -> str | None:
        """Role of a TextBlock: its own tags, else an enclosing ComposedBlock's tags or TYPE."""
        if block not in self._zones:
            role = self._labels_role(block)
            for parent in block.iterancestors("{*}ComposedBlock"):
                if role is None:
                    role = self._labels_role(parent) or label_role(parent.get("TYPE"))
            self._zones[block] = role
        return self._zones[block]

    def line_meta(self, block: etree._Element, line: etree._Element) -> LineMeta | None:
        """(role, region id, box, font size, font style) of one TextLine; None on a page without tags."""
        if not self.active:
            return None
        role = line_role(self.zone_role(block), self._labels_role(line))
        return role, block.get("ID"), self._box(line), *self._font(block, line)

    def _box(self, line: etree._Element) -> list[float] | None:
        w, h = self.size
        x, y = _num(line.get("HPOS")), _num(line.get("VPOS"))
        dx, dy = _num(line.get("WIDTH")), _num(line.get("HEIGHT"))
        if not w or not h or None in (x, y, dx, dy):
            return None
        return [round(x / w, 4), round(y / h, 4), round((x + dx) / w, 4), round((y + dy) / h, 4)]  # type: ignore

    def _font(self, block: etree._Element, line: etree._Element) -> tuple[float | None, str | None]:
        if not self.styles:
            return None, None
        sizes: Counter = Counter()
        kinds: Counter = Counter()
        inherited = line.get("STYLEREFS") or block.get("STYLEREFS") or ""
        for s in line.iter("{*}String"):
            n = len(s.get("CONTENT") or "")
            found = [self.styles[r] for r in (s.get("STYLEREFS") or inherited).split() if r in self.styles]
            size = next((z for z, _ in found if z is not None), None)
            style = (s.get("STYLE") or "").strip() or next((t for _, t in found if t is not None), None)
            sizes[size] += n
            kinds[style] += n
        size = max(sizes, key=sizes.__getitem__) if sizes else None
        return size, (max(kinds, key=kinds.__getitem__) if kinds else None)

    @staticmethod
    def assemble(blocks: list[tuple[list[list[str]], list]]) -> tuple[str, dict | None]:
        """Page text (lines of words joined by spaces and "\\n", blocks by a blank line) and its layout."""
        builder = LayoutBuilder()
        parts, pos = [], 0
        for lines, metas in blocks:
            texts = [" ".join(words) for words in lines]
            if parts:
                pos += 2
            for t, meta in zip(texts, metas, strict=True):
                if meta is not None:
                    builder.add(pos, pos + len(t), *meta)
                pos += len(t) + 1
            pos -= 1
            parts.append("\n".join(texts))
        text = "\n\n".join(parts)
        return text, builder.build(len(text))
