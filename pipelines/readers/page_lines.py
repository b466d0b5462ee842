"""Lines of a PAGE TextRegion in reading order, and the choice of a TextEquiv (lowest @index, Unicode or PlainText)."""

from __future__ import annotations

import re
from typing import NamedTuple

from lxml import etree

_CUSTOM_INDEX = re.compile(r"readingOrder\s*\{[^}]*\bindex:\s*(-?\d+)")


def explicit_index(line: etree._Element) -> int | None:
    """The line's position given by the file: Transkribus ``custom="readingOrder {index:N;}"``, else @index."""
    if m := _CUSTOM_INDEX.search(line.get("custom") or ""):
        return int(m.group(1))
    try:
        return int(line.get("index"))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None


def ordered_lines(region: etree._Element, line_order: str = "auto") -> list[etree._Element]:
    """The TextLines directly in ``region`` in reading order.

    "stored": document order. "top-down": by position (``top_down``). "auto": by the explicit index when every line
    has one (stable, so equal indices keep document order), else by position.
    """
    lines = region.findall("{*}TextLine")
    if line_order == "stored" or len(lines) < 2:
        return lines
    if line_order == "auto":
        indices = [explicit_index(line) for line in lines]
        if all(i is not None for i in indices):
            return [lines[k] for k in sorted(range(len(lines)), key=lambda k: indices[k])]
    return top_down(lines)


def top_down(lines: list[etree._Element]) -> list[etree._Element]:
    """Lines sorted top-down by their Coords (Baseline when there are none); document order when one has neither.

    A stable sort on (top y, left x); then a line side by side with every line of the row before it (no horizontal
    overlap, baselines within a quarter of a line height: a catch-word and a signature mark, two table headings)
    joins that row, and a row is read left to right.
    """
    boxes = [_box(line) for line in lines]
    if any(b is None for b in boxes):
        return lines
    order = sorted(range(len(lines)), key=lambda k: (boxes[k].top, boxes[k].left))  # type: ignore[union-attr]
    rows: list[list[int]] = []
    for k in order:
        if rows and all(_beside(boxes[k], boxes[j]) for j in rows[-1]):  # type: ignore[arg-type]
            rows[-1].append(k)
        else:
            rows.append([k])
    return [lines[k] for row in rows for k in sorted(row, key=lambda k: boxes[k].left)]  # type: ignore[union-attr]


class _Box(NamedTuple):
    left: float
    right: float
    top: float
    bottom: float
    base: float  # mean y of the baseline, else the bottom


def _beside(a: _Box, b: _Box) -> bool:
    """True when two lines stand side by side: baselines within a quarter line height, no horizontal overlap."""
    if abs(a.base - b.base) > min(a.bottom - a.top, b.bottom - b.top) / 4:
        return False
    return min(a.right, b.right) - max(a.left, b.left) <= 0.1 * min(a.right - a.left, b.right - b.left)


def _points(line: etree._Element, name: str) -> list[tuple[float, ...]]:
    el = line.find(f"{{*}}{name}")
    try:
        points = (
            [tuple(float(v) for v in p.split(",")) for p in (el.get("points") or "").split()] if el is not None else []
        )
    except ValueError:
        return []
    return points if all(len(p) == 2 for p in points) else []


def _box(line: etree._Element) -> _Box | None:
    """Bounding box of the line's Coords polygon (else its Baseline) and its baseline height; None without points."""
    baseline = _points(line, "Baseline")
    points = _points(line, "Coords") or baseline
    if not points:
        return None
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    base = sum(p[1] for p in baseline) / len(baseline) if baseline else max(ys)
    return _Box(min(xs), max(xs), min(ys), max(ys), base)


def text_equiv(el: etree._Element) -> tuple[str, float | None] | None:
    """(text, conf) of the element's own TextEquiv with the lowest @index (else its first): Unicode, else
    PlainText. None when the element has no TextEquiv."""
    equivs = el.findall("{*}TextEquiv")
    if not equivs:
        return None
    indexed = [(i, te) for te in equivs if (i := int_or_none(te.get("index"))) is not None]
    te = min(indexed, key=lambda p: p[0])[1] if indexed else equivs[0]
    text = te.findtext("{*}Unicode") or te.findtext("{*}PlainText") or ""
    try:
        conf = float(te.get("conf")) if te.get("conf") is not None else None  # type: ignore[arg-type]
    except ValueError:
        conf = None
    return text, conf


def words_text(line: etree._Element, confidences: list[float]) -> str:
    """A line's text from its Words (their TextEquivs, else their Glyphs'), joined by spaces."""
    words = []
    for word in line.findall("{*}Word"):
        own = text_equiv(word)
        parts = [own] if own is not None else [te for g in word.iter("{*}Glyph") if (te := text_equiv(g)) is not None]
        confidences.extend(c for _, c in parts if c is not None)
        if text := "".join(t for t, _ in parts).strip():
            words.append(text)
    return " ".join(words)


def int_or_none(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None
