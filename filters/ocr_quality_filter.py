"""Drop books, or bad pages inside books, whose OCR-quality signals fall outside per-signal thresholds."""

from __future__ import annotations

from typing import Literal

from datatrove.data import Document
from datatrove.pipeline.filters.base_filter import BaseFilter
from datatrove.pipeline.writers.disk_base import DiskWriter

from filters.pages import set_pages
from filters.signals import SIGNALS, TRAINING_FREE, signal_class
from filters.signals.base import ABSTAIN_KEY, BOOK_KEY, PAGE_KEY
from filters.signals.word_signals import WordSignals
from filters.textview import text_view

SignalName = Literal[tuple(SIGNALS)]  # the registered signals (filters/signals/__init__.py)
# training-free defaults: dict_ratio and garbage_ratio set so that at most 2% of clean_books are dropped (see
# BENCHMARKS.md, "OCR-quality signals against gold"); word_confidence 0.5 is a conservative guess, not calibrated
DEFAULT_MIN: dict[str, float] = {"dict_ratio": 0.85, "word_confidence": 0.5}
DEFAULT_MAX: dict[str, float] = {"garbage_ratio": 0.05}
PAGE_LISTS = ("page_files", "page_word_confidence", "page_numbers")
# the languages the default thresholds of the word-based signals were set on (clean and OCR'd books in these)
CALIBRATED_LANGUAGES = ("en", "fr", "de", "es", "it", "nl", "pt")
LANGUAGE_SIGNALS = ("dict_ratio", "garbage_ratio")  # signals whose scale depends on the language's spelling


class OcrQualityFilter(BaseFilter):
    """Threshold filter over OCR-quality signals (``metadata["ocr_signals"]``), at book or page level.

    ``min`` / ``max`` map signal names to thresholds; a value outside drops with reason ``<signal>_below_min`` /
    ``<signal>_above_max``. A signal that could not be measured (None, e.g. no word confidence in plain text)
    has no say; a signal that abstained (no resource for the book's language: ``metadata["ocr_signals_abstained"]``)
    has no say either, and is counted as ``abstained_<signal>_<language>`` (the run summary warns with these
    counts). The thresholds of ``dict_ratio`` and ``garbage_ratio`` hold for ``threshold_languages`` (default: the
    seven languages they were set on; empty = every language): in a book of another language these signals are
    measured and recorded but have no say (a book whose language is not recorded is judged), counted as
    ``uncalibrated_<signal>_<language>`` (historic Polish,
    Slovene and Bulgarian gold text scores a median ``dict_ratio`` of 0.60-0.68 against today's word lists, so
    the 0.85 set on Western European books would drop them all, good OCR or not). Signals missing from the
    metadata are computed here with their defaults when they need no trained model (``compute_missing``;
    ``dict_ratio`` and ``garbage_ratio`` together, in one pass over the tokens: ``filters.signals.word_signals``);
    a model-based signal must come from its own block earlier.

    ``level: page`` judges each page with at least ``min_page_words`` words and drops the bad ones; the book is
    kept (rewritten with ``set_pages``, so page offsets stay true) when at least ``min_kept_fraction`` of its
    pages survive, else dropped as ``too_few_pages_kept``. Dropped pages are listed in
    ``metadata["pages_dropped"]`` (page number as read, reason) and ``metadata["pages_dropped_fraction"]``;
    page-level metadata lists and book signal values are updated to the kept pages.
    """

    name = "🔬 OCR quality"

    def __init__(
        self,
        min: dict[SignalName, float] = DEFAULT_MIN,  # noqa: B006 (copied below; plain default pinned in configs)
        max: dict[SignalName, float] = DEFAULT_MAX,  # noqa: B006
        level: Literal["book", "page"] = "book",
        min_kept_fraction: float = 0.5,
        min_page_words: int = 50,
        compute_missing: bool = True,
        threshold_languages: tuple[str, ...] = CALIBRATED_LANGUAGES,
        exclusion_writer: DiskWriter | None = None,
    ):
        super().__init__(exclusion_writer)
        self.min = dict(min)
        self.max = dict(max)
        self.level = level
        self.min_kept_fraction = min_kept_fraction
        self.min_page_words = min_page_words
        self.compute_missing = compute_missing
        self.threshold_languages = tuple(threshold_languages)
        self.signals = list(dict.fromkeys([*self.min, *self.max]))
        for name in self.signals:
            signal_class(name)  # raises on an unknown name
        self._computers: dict = {}
        self._word_signals: WordSignals | None = None

    def ensure_signals(self, doc: Document) -> None:
        """Compute training-free signals that are missing; fail clearly on a missing model-based one."""
        book = doc.metadata.get(BOOK_KEY, {})
        pages = doc.metadata.get(PAGE_KEY, {})
        n_pages = len(text_view(doc).pages)
        missing = [
            name
            for name in self.signals
            if not (name in book and name in pages and len(pages[name]["values"]) == n_pages)  # absent or stale
        ]
        for name in missing:
            if not (self.compute_missing and name in TRAINING_FREE):
                raise ValueError(
                    f"document {doc.id!r} has no OCR-quality signal {name!r} (or it was computed before the text's "
                    f"pages changed): put the {name!r} block before this filter"
                )
        together: dict[str, list] = {}
        if {"dict_ratio", "garbage_ratio"} <= set(missing):  # one pass over the tokens for both
            if self._word_signals is None:
                self._word_signals = WordSignals(self._computer("dict_ratio"), self._computer("garbage_ratio"))
            together = self._word_signals.page_scores(doc)
        for name in missing:
            if name in together:
                self._computer(name).record(doc, together[name])
            else:
                self._computer(name).measure(doc)
            self.stat_update(f"computed_{name}")

    def silent_signals(self, doc: Document) -> set[str]:
        """The judged signals that have no say on ``doc``, each counted: ``abstained_<signal>_<language>`` (no
        resource for the language) or ``uncalibrated_<signal>_<language>`` (no threshold for it)."""
        abstained = doc.metadata.get(ABSTAIN_KEY) or {}
        lang = doc.metadata.get("language") or "unknown"
        silent = set()
        for name in self.signals:
            if name in abstained:
                self.stat_update(f"abstained_{name}_{lang}")
                silent.add(name)
            elif (
                name in LANGUAGE_SIGNALS
                and self.threshold_languages
                and lang not in (*self.threshold_languages, "unknown")
            ):
                self.stat_update(f"uncalibrated_{name}_{lang}")
                silent.add(name)
        return silent

    def _computer(self, name: str):
        """This filter's own instance (default parameters) of a training-free signal."""
        if name not in self._computers:
            self._computers[name] = signal_class(name)()
        return self._computers[name]

    def judge(self, values: dict[str, float | None], silent: set[str] = frozenset()) -> str | None:
        """The reason to drop, or None to keep; ``silent`` signals have no say."""
        for name, threshold in self.min.items():
            v = values.get(name)
            if v is not None and v < threshold and name not in silent:
                return f"{name}_below_min"
        for name, threshold in self.max.items():
            v = values.get(name)
            if v is not None and v > threshold and name not in silent:
                return f"{name}_above_max"
        return None

    def filter(self, doc: Document) -> bool | tuple[bool, str]:
        self.ensure_signals(doc)
        silent = self.silent_signals(doc)
        if self.level == "book":
            reason = self.judge(doc.metadata[BOOK_KEY], silent)
            return (False, reason) if reason else True
        return self.filter_pages(doc, silent)

    def filter_pages(self, doc: Document, silent: set[str] = frozenset()) -> bool | tuple[bool, str]:
        view = text_view(doc)
        page_signals = doc.metadata[PAGE_KEY]
        keep: list[int] = []
        dropped: list[tuple[int, str]] = []
        for i, words in enumerate(view.page_words):
            reason = None
            if len(words) >= self.min_page_words:
                reason = self.judge({n: page_signals[n]["values"][i] for n in self.signals}, silent)
            if reason:
                dropped.append((i, reason))
                self.stat_update("pages_dropped", f"pages_dropped_{reason}")
            else:
                keep.append(i)
        self.stat_update("pages_judged", value=len(view.pages))
        if not dropped:
            return True
        if len(keep) < self.min_kept_fraction * len(view.pages):
            return False, "too_few_pages_kept"
        self.drop_pages(doc, keep, dropped)
        return True

    def drop_pages(self, doc: Document, keep: list[int], dropped: list[tuple[int, str]]) -> None:
        view = text_view(doc)
        meta = doc.metadata
        n = len(view.pages)
        numbers = meta.get("page_numbers")
        if not (isinstance(numbers, list) and len(numbers) == n):
            numbers = meta["page_numbers"] = list(range(n))
        history = meta.setdefault("pages_dropped", [])
        history.extend({"page": numbers[i], "reason": r} for i, r in dropped)
        meta["pages_dropped_fraction"] = len(history) / (n + len(history) - len(dropped))
        for key in PAGE_LISTS:
            if isinstance(meta.get(key), list) and len(meta[key]) == n:
                meta[key] = [meta[key][i] for i in keep]
        page_words = [len(view.page_words[i]) for i in keep]
        for name, page in meta.get(PAGE_KEY, {}).items():
            if len(page["values"]) != n:
                continue  # computed on other pages (a block rewrote the text since): left as it was
            page["values"] = [page["values"][i] for i in keep]
            page["n"] = [page["n"][i] for i in keep]
            meta[BOOK_KEY][name] = signal_class(name).aggregate(page["values"], page["n"])
        if isinstance(meta.get("page_word_confidence"), list) and meta.get("word_confidence") is not None:
            confs = meta["page_word_confidence"]
            total = sum(w for c, w in zip(confs, page_words, strict=True) if c is not None)
            meta["word_confidence"] = (
                sum(c * w for c, w in zip(confs, page_words, strict=True) if c is not None) / total if total else None
            )
        set_pages(doc, [view.pages[i] for i in keep])
