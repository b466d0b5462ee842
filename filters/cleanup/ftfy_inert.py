"""A cheap, exact test that ``ftfy.fix_text`` would return a text unchanged (ftfy 6.3.1, any config).

On one segment (``fix_text`` cuts the text into lines), ``fix_and_explain`` runs: HTML unescaping (only
``HTML_ENTITY_RE`` matches change anything), ``fix_encoding`` (returns the text unchanged unless
``badness.is_bad`` is true), character fixers that each act only on certain characters (C1 controls, Latin
ligatures, full/half-width forms, curly quotes, ``\\r`` and the Unicode line separators, surrogates, ``\\x1b``
escapes, control characters), then Unicode normalisation; it stops after the first round that changes nothing.
So a segment with none of those characters, no HTML entity, no ``is_bad`` match and already normalised comes
back unchanged.

``is_bad`` is the costly part (a 37-way regex tried at every character). Every alternative of ``BADNESS_RE``
needs one non-ASCII character of a fixed set (the "witnesses", read from the pattern's parse tree, which also
checks this claim) and no match is longer than 7 characters, so only short windows around witness characters
need the regex. When the pattern does not have that shape (another ftfy version), ``is_bad`` runs on every
segment instead: slower, still exact.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ftfy import TextFixerConfig

_LINE_BREAKS = "\r\u2028\u2029\x85"
# parse-tree operators that look outside the matched characters (beyond "^", handled by MULTILINE below)
_CONTEXT_OPS = {"ASSERT", "ASSERT_NOT", "GROUPREF", "GROUPREF_EXISTS", "GROUPREF_IGNORE", "ATOMIC_GROUP"}


def _parse(pattern: re.Pattern[str]):
    try:
        import re._parser as sre  # Python 3.11+
    except ImportError:  # pragma: no cover - older Pythons
        import sre_parse as sre  # type: ignore[no-redef]
    return sre.parse(pattern.pattern, pattern.flags)


def _class_codepoints(op: object, av: object) -> set[int] | None:
    """Code points one parsed regex item can match, or None when it is not a plain literal or class."""
    if str(op) == "LITERAL":
        return {av}  # type: ignore[arg-type]
    if str(op) != "IN":
        return None
    out: set[int] = set()
    for kind, arg in av:  # type: ignore[union-attr]
        if str(kind) == "LITERAL":
            out.add(arg)
        elif str(kind) == "RANGE":
            out.update(range(arg[0], arg[1] + 1))
        else:  # NEGATE, CATEGORY (\s, \w): could match ASCII or anything
            return None
    return out


def _context_free(items) -> bool:
    """Whether a parsed pattern decides a match from the matched characters alone (``^`` allowed)."""
    for op, av in items:
        name = str(op)
        if name in _CONTEXT_OPS or (name == "AT" and str(av) != "AT_BEGINNING"):
            return False
        if name == "BRANCH" and not all(_context_free(alt) for alt in av[1]):
            return False
        if name == "SUBPATTERN" and not _context_free(av[-1]):
            return False
        if name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT") and not _context_free(av[2]):
            return False
    return True


def mojibake_witnesses(pattern: re.Pattern[str]) -> frozenset[str] | None:
    """Non-ASCII characters at least one of which is in every match of ``pattern``, or None when that cannot be
    shown from its parse tree (each top-level alternative must have a required item, a literal or a plain class,
    of non-ASCII characters only)."""
    if pattern.flags & re.IGNORECASE:
        return None
    items = list(_parse(pattern))
    if len(items) == 1 and str(items[0][0]) == "BRANCH":
        alternatives = [list(alt) for alt in items[0][1][1]]
    else:
        alternatives = [items]
    candidates: list[list[set[int]]] = []
    for alt in alternatives:
        # top-level items of an alternative are all required (optional ones are MAX_REPEAT, skipped here)
        classes = [c for op, av in alt if (c := _class_codepoints(op, av)) and min(c) >= 0x80]
        if not classes:
            return None
        candidates.append(classes)
    chosen: set[int] = set()
    for classes in sorted(candidates, key=len):  # one witness class per alternative, adding few new characters
        chosen |= min(classes, key=lambda c: (len(c - chosen), len(c)))
    return frozenset(chr(c) for c in chosen)


def window_search(pattern: re.Pattern[str], stop: set[str]) -> Callable[[str], bool] | None:
    """A function true when the text has a character of ``stop`` or when ``pattern`` matches some newline-ended
    segment of it (or more often, never less), running the pattern only near witness characters, in the same
    scan as ``stop``; None when the pattern does not allow it."""
    witnesses = mojibake_witnesses(pattern)
    tree = _parse(pattern)
    width = tree.getwidth()[1]
    if witnesses is None or not _context_free(tree) or width >= 1_000:
        return None
    # MULTILINE: "^" also matches after every newline, i.e. at the start of every segment of a page; a match
    # across a newline can only add matches (the caller then runs ftfy), never lose one
    search = re.compile(pattern.pattern, pattern.flags | re.MULTILINE).search
    find = re.compile(f"[{_char_class(stop | witnesses)}]").finditer
    stops = frozenset(stop)

    def matches(text: str) -> bool:
        # every match holds a witness at some i and lies in [i - width + 1, i + width): search merged windows
        lo = hi = 0
        for m in find(text):
            if m.group() in stops:
                return True
            i = m.start()
            if i - width + 1 < hi:  # overlaps the current window: extend it
                hi = i + width
                continue
            if hi and search(text, lo, hi):
                return True
            lo, hi = max(0, i - width + 1), i + width
        return bool(hi and search(text, lo, hi))

    return matches


def _char_class(chars: set[str]) -> str:
    return "".join(re.escape(c) if c in "\\]^-[" else c for c in sorted(chars))


def inert_test(config: TextFixerConfig) -> Callable[[str], bool]:
    """A function telling that ``ftfy.fix_text(text, config)`` changes nothing in a text split into segments at
    ``\\n``. Exact when it says True; False means "run ftfy", not "ftfy would change it". It is conservative about
    every option but ``normalization``, ``uncurl_quotes`` and ``fix_character_width`` (the characters of every
    other fixer count as acting whether it is on or not). Segments split at a newline keep every condition (a
    newline never composes under normalisation, and no entity spans one), so a whole page can be tested at once."""
    from ftfy.badness import BADNESS_RE, is_bad
    from ftfy.chardata import (
        CONTROL_CHARS,
        DOUBLE_QUOTE_RE,
        HTML_ENTITY_RE,
        LIGATURES,
        SINGLE_QUOTE_RE,
        WIDTH_MAP,
    )

    acting = {chr(c) for c in (*CONTROL_CHARS, *LIGATURES)} | {chr(c) for c in range(0x80, 0xA0)}
    acting |= set(_LINE_BREAKS) | {chr(c) for c in range(0xD800, 0xE000)} | {"\x1b"}
    if config.uncurl_quotes:
        for quotes in (SINGLE_QUOTE_RE, DOUBLE_QUOTE_RE):  # each a single character class
            ((op, av),) = list(_parse(quotes))
            acting |= {chr(c) for c in _class_codepoints(op, av) or ()}
    if config.fix_character_width:
        acting |= {chr(c) for c in WIDTH_MAP}
    normalization = config.normalization
    entity = HTML_ENTITY_RE.search
    normalized = unicodedata.is_normalized
    suspect = window_search(BADNESS_RE, acting)
    if suspect is None:  # ftfy's own test, on each segment that fix_text would give it
        find_acting = re.compile(f"[{_char_class(acting)}]").search

        def suspect(text: str) -> bool:
            if find_acting(text) is not None:
                return True
            lines = text.split("\n")
            return any(is_bad(line + "\n") for line in lines[:-1]) or is_bad(lines[-1])

    def inert(text: str) -> bool:
        if entity(text) is not None:
            return False
        if normalization is not None and not normalized(normalization, text):
            return False
        return not suspect(text)

    return inert
