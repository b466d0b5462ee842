"""Repair unicode with ftfy (mojibake, HTML entities, control characters, ligatures), page by page."""

from __future__ import annotations

import re
from typing import Literal

from datatrove.data import Document

from filters.cleanup.base import PageRewriter
from filters.cleanup.ftfy_inert import inert_test
from filters.textview import TextView

# characters no ftfy fix acts on: tab, newline, form feed, printable ASCII but "&" (HTML entities), dashes, and
# curly quotes unless uncurl_quotes; the Latin ligatures U+FB00-FB06 are only ever replaced (fix_latin_ligatures)
_SAFE = "\t\n\x0c\x20-\x25\x27-\x7e—–"
_QUOTES = "“”‘’"
_LIGATURES = "ﬀﬁﬂﬃﬄﬅﬆ"


class UnicodeFix(PageRewriter):
    """``ftfy.fix_text`` on every page, with every ``TextFixerConfig`` field a parameter (pinned in the config).

    Defaults follow datatrove's ``FTFYFormatter`` (repair encodings, do not impose a style: curly quotes and
    full-width characters stay) except ``fix_latin_ligatures`` (on: ``ﬁ`` -> ``fi``, presentation forms that
    OCR engines emit for printed ligatures), ``fix_line_breaks`` and ``normalization`` NFC. The output is
    exactly ``ftfy.fix_text(page)``: pages and lines that no fix can change skip ftfy (ASCII without ``&`` or
    control characters, plus curly quotes and dashes when ``uncurl_quotes`` is off; more generally, text with no
    character a fixer acts on, no HTML entity, no mojibake and already normalised: ``filters.cleanup.ftfy_inert``),
    lines whose only other characters are Latin ligatures just have them replaced, and ftfy works line by line on
    the rest, as ``fix_text`` does.
    The ftfy version is pinned in pyproject.toml (6.3.1).

    Stats: ``pages_fixed``, ``lines_fixed``.
    """

    name = "🩹 unicode fix (ftfy)"
    _requires_dependencies = ["ftfy"]

    def __init__(
        self,
        unescape_html: Literal["auto"] | bool = "auto",
        remove_terminal_escapes: bool = True,
        fix_encoding: bool = True,
        restore_byte_a0: bool = True,
        replace_lossy_sequences: bool = True,
        decode_inconsistent_utf8: bool = True,
        fix_c1_controls: bool = True,
        fix_latin_ligatures: bool = True,
        fix_character_width: bool = False,
        uncurl_quotes: bool = False,
        fix_line_breaks: bool = True,
        fix_surrogates: bool = True,
        remove_control_chars: bool = True,
        normalization: Literal["NFC", "NFD", "NFKC", "NFKD"] | None = "NFC",
        max_decode_length: int = 1_000_000,
    ):
        super().__init__()
        from ftfy import TextFixerConfig

        self.config = TextFixerConfig(
            unescape_html=unescape_html,
            remove_terminal_escapes=remove_terminal_escapes,
            fix_encoding=fix_encoding,
            restore_byte_a0=restore_byte_a0,
            replace_lossy_sequences=replace_lossy_sequences,
            decode_inconsistent_utf8=decode_inconsistent_utf8,
            fix_c1_controls=fix_c1_controls,
            fix_latin_ligatures=fix_latin_ligatures,
            fix_character_width=fix_character_width,
            uncurl_quotes=uncurl_quotes,
            fix_line_breaks=fix_line_breaks,
            fix_surrogates=fix_surrogates,
            remove_control_chars=remove_control_chars,
            normalization=normalization,
            max_decode_length=max_decode_length,
            explain=False,
        )
        # fast paths, checked against ftfy itself in the tests: a segment of safe characters only is unchanged;
        # one that adds ligatures only just has them replaced (not under NFKC/NFKD, which would decompose them)
        safe = _SAFE + ("" if uncurl_quotes else _QUOTES)
        self._unsafe = re.compile(f"[^{safe}]")
        self._not_ligature_only = re.compile(f"[^{safe}{_LIGATURES}]")
        self._ligature_fast_path = normalization in (None, "NFC", "NFD")
        from ftfy.chardata import LIGATURES

        self._ligatures = {c: LIGATURES[ord(c)] for c in _LIGATURES} if fix_latin_ligatures else {}
        # a page or line that no ftfy fixer can act on (``filters.cleanup.ftfy_inert``) is returned as it is
        self._inert = inert_test(self.config)

    def _fix_segment(self, segment: str, config) -> str:
        if self._unsafe.search(segment) is None:
            return segment
        if self._ligature_fast_path and self._not_ligature_only.search(segment) is None:
            for lig, letters in self._ligatures.items():
                if lig in segment:
                    segment = segment.replace(lig, letters)
            return segment
        if self._inert(segment):
            return segment
        import ftfy

        return ftfy.fix_text(segment, config=config)

    def fix_page(self, page: str) -> str:
        """Exactly ``ftfy.fix_text(page, config)``: the same line segments, ftfy skipped where it cannot act."""
        if self._unsafe.search(page) is None:
            return page
        if self._inert(page):
            self.stat_update("lines_fixed", value=0)  # as the line loop below would count it
            return page
        config = self.config
        segments = page.split("\n")
        last = len(segments) - 1
        out = []
        changed = 0
        for k, line in enumerate(segments):
            segment = line + "\n" if k < last else line
            fixed = self._fix_segment(segment, config)
            changed += fixed is not segment and fixed != segment
            out.append(fixed)
            if config.unescape_html == "auto" and "<" in line:
                config = config._replace(unescape_html=False)  # ftfy.fix_text stops unescaping from the first "<"
        self.stat_update("lines_fixed", value=changed)
        return "".join(out)

    def rewrite(self, doc: Document, view: TextView) -> list[str] | None:
        pages = view.pages
        new = [self.fix_page(p) for p in pages]
        n = sum(a is not b and a != b for a, b in zip(new, pages, strict=True))
        if not n:
            return None
        self.stat_update("pages_fixed", value=n)
        return new
