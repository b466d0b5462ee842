"""Segments (``segments.py``) written as Markdown blocks.

- A body segment is a paragraph (lines joined as in ``heuristic.join_lines``). The first body segment of a page
  continues the paragraph left open at the end of the page before, which stays open when its last line does not
  end a sentence (``heuristic.SENTENCE_END``), is no title-page text, and no heading comes between, and only when
  the page directly follows that page (``filters.pages.consecutive_pages``: sampled pages 3 and 700 do not join;
  counted as ``page_gaps_paragraph_ended``).
- A heading is ``#`` x level + its lines joined.
- The footnotes of a page (and its marginalia with ``marginalia: notes``) become Markdown footnotes ``[^n]``,
  numbered through the book (a footnote region typed ``footnote-continued`` (PAGE), or a page's first footnote
  without a note mark (``segments.NOTE_MARK``) after a note that does not end a sentence or starting in lower case,
  continues the last footnote of the page before: one note, counted as ``notes_footnote_continued``): the
  references at the end of the page's last paragraph (inside it, where the page ends, when the paragraph runs on),
  the definitions ``[^n]: note`` right after that paragraph; a page without a paragraph hands its notes to the next
  paragraph. ``inline`` marginalia are paragraphs of their own, after the paragraph they interrupt; ``drop`` leaves
  them out.
- Page markers (``<!-- page N -->``, N from 1) are blocks of their own, or inline where a paragraph runs over the
  page break (an HTML comment inside a paragraph is allowed in CommonMark).
- Text that Markdown would read as syntax is escaped with a backslash: a paragraph starting with one of
  ``- # > + * = | _ ~ ` <`` or with ``1.``/``1)``, a ``[^`` anywhere, a heading ending in ``#``.
"""

from __future__ import annotations

import re
from collections import Counter

from pipelines.markdown.heuristic import SENTENCE_END, breaks_word, glue
from pipelines.markdown.segments import NOTE_MARK, Segment

_LEADING = re.compile(r"^(?:[-#>+*=|_~`<]|\d+(?=[.)](?:\s|$)))")


def escape(text: str) -> str:
    """Backslashes before what Markdown would read as block syntax or a footnote reference."""
    text = text.replace("[^", "\\[^")
    m = _LEADING.match(text)
    if m is None:
        return text
    end = m.end()
    return text[:end] + "\\" + text[end:] if text[0].isdigit() else "\\" + text


def join_pieces(pieces: list[tuple[str, str]]) -> str:
    """Text lines ("text"), page markers ("raw") and footnote references ("ref", right after the text) joined by
    spaces, except right after a line ending in a hyphen after a letter (the next text follows directly, the hyphen
    kept, a soft hyphen dropped: ``heuristic.glue``)."""
    out, broken = "", False
    for kind, s in pieces:
        if not out:
            out = s
        elif broken and kind != "ref":
            out = glue(out, s)
        else:
            out += ("" if kind == "ref" else " ") + s
        if kind == "text":
            broken = breaks_word(s)
    return out


class MarkdownBlocks:
    """Collects the blocks of one book; ``page`` for each page's segments, then ``finish``."""

    def __init__(self, marginalia: str, page_markers: bool, counts: Counter) -> None:
        self.marginalia, self.page_markers, self.counts = marginalia, page_markers, counts
        self.blocks: list[str] = []
        self.para: list[tuple[str, str]] = []  # the open paragraph
        self.para_page = -1  # page of its last line
        self.para_role: str | None = None  # role of its last segment
        self.after: list[str] = []  # blocks that wait for the open paragraph to close
        self.waiting: list[tuple[str, str]] = []  # (reference, definition) of notes with no paragraph yet
        self.last: tuple[int, int] | None = None  # (block index, page) of the last closed paragraph
        self.notes = 0
        self.note_open: list | None = None  # [number, page, text] of the last footnote written

    def close(self) -> None:
        if not self.para:
            return
        if self.waiting:
            self.para.append(("ref", "".join(r for r, _ in self.waiting)))
            self.after[:0] = [d for _, d in self.waiting]
            self.waiting = []
        self.blocks.append(join_pieces(self.para))
        self.last = (len(self.blocks) - 1, self.para_page)
        self.blocks.extend(self.after)
        self.para, self.after = [], []
        self.counts["paragraphs"] += 1

    def page(self, p: int, segments: list[Segment], follows: bool = True) -> None:
        """Add page ``p``; ``follows``: it directly follows the page before (else no paragraph or note runs on)."""
        if not follows:
            if self.para:
                self.counts["page_gaps_paragraph_ended"] += 1
            self.close()
            self.note_open = None
        marker = f"<!-- page {p + 1} -->" if self.page_markers else None
        if marker:
            (self.para.append(("raw", marker)) if self.para else self.blocks.append(marker))
        runs_on = bool(self.para)
        notes: list[tuple[str, str]] = []  # (kind, text) of the page's new notes
        seen_footnote = False
        for seg in segments:
            if seg.kind == "body":
                if not runs_on:
                    self.close()
                runs_on = False
                first = not self.para
                self.para.extend(
                    ("text", escape(t) if first and i == 0 else t.replace("[^", "\\[^"))
                    for i, t in enumerate(seg.lines)
                )
                self.para_page, self.para_role = p, seg.role
            elif seg.kind == "heading":
                self.close()
                runs_on = False
                text = join_pieces([("text", t.replace("[^", "\\[^")) for t in seg.lines])
                self.blocks.append("#" * seg.level + " " + (text[:-1] + "\\#" if text.endswith("#") else text))
                self.counts[f"headings_h{seg.level}"] += 1
            elif seg.kind == "footnote" or self.marginalia == "notes":
                note = join_pieces([("text", t.replace("[^", "\\[^")) for t in seg.lines])
                first_note, seen_footnote = not seen_footnote, seen_footnote or seg.kind == "footnote"
                if (
                    seg.kind == "footnote"
                    and (first_note or seg.continued)
                    and self._continues(p, note, seg.continued)
                ):
                    self._continue_note(p, note)
                else:
                    notes.append((seg.kind, note))
                    self.counts[f"notes_{seg.kind}"] += 1
            elif self.marginalia == "inline":
                block = escape(join_pieces([("text", t) for t in seg.lines]))
                (self.after.append(block) if self.para else self.blocks.append(block))
                self.counts["marginalia_inline"] += len(seg.lines)
            else:
                self.counts["marginalia_dropped"] += len(seg.lines)
        if notes:
            self._notes(p, notes)
        if self.para and (self.para_role == "title-page" or SENTENCE_END.search(self.para_text_end())):
            self.close()

    def para_text_end(self) -> str:
        return next((s for kind, s in reversed(self.para) if kind == "text"), "")

    def _continues(self, p: int, note: str, typed: bool) -> bool:
        """A footnote continues the last note: when its region is typed so (``typed``: PAGE ``footnote-continued``)
        and that note is on this page or the page before; else when it is the page's first footnote, has no note
        mark, and the last note, on the page before, does not end a sentence or this one starts in lower case."""
        last = self.note_open
        if typed and last is not None and last[1] in (p - 1, p):
            return True
        if last is None or last[1] != p - 1 or NOTE_MARK.match(note):
            return False
        return not SENTENCE_END.search(last[2]) or note[:1].islower()

    def _continue_note(self, p: int, note: str) -> None:
        """Append ``note`` to the definition of the open note, wherever it waits (``after``, ``waiting``, blocks)."""
        n, _, text = self.note_open
        joined = join_pieces([("text", text), ("text", note)])
        old, new = f"[^{n}]: {text}", f"[^{n}]: {joined}"
        self.after = [new if d == old else d for d in self.after]
        self.waiting = [(r, new if d == old else d) for r, d in self.waiting]
        i = next((i for i in range(len(self.blocks) - 1, -1, -1) if self.blocks[i] == old), None)
        if i is not None:
            self.blocks[i] = new
        self.note_open = [n, p, joined]
        self.counts["notes_footnote_continued"] += 1

    def _notes(self, p: int, notes: list[tuple[str, str]]) -> None:
        pairs = []
        for kind, note in notes:
            self.notes += 1
            pairs.append((f"[^{self.notes}]", f"[^{self.notes}]: {note}"))
            self.note_open = [self.notes, p, note] if kind == "footnote" else None
        refs = "".join(r for r, _ in pairs)
        if self.para:
            self.para.append(("ref", refs))
            self.after.extend(d for _, d in pairs)
        elif self.last is not None and self.last[1] == p:
            i = self.last[0]
            self.blocks[i] += refs
            self.blocks[i + 1 : i + 1] = [d for _, d in pairs]
        else:
            self.waiting.extend(pairs)

    def finish(self, held: list[str]) -> str:
        if held:  # a drop capital with no word after it
            self.para.append(("text", "".join(held)))
        self.close()
        if self.waiting:
            if self.last is not None:
                self.blocks[self.last[0]] += "".join(r for r, _ in self.waiting)
            self.blocks.extend(d for _, d in self.waiting)
        return "\n\n".join(self.blocks)
