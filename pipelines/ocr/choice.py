"""Which engine ``reocr`` may trust, from a finished OCR benchmark: one whose paired interval against the existing text
excludes no difference, on enough pages.

The benchmark must score the text the block would replace as a system of its own (an ``existing`` engine reading the
library's OCR). For a book in language L, every system that runs an engine is compared with that system on the
benchmark's paired comparison within L (``summary.json`` ``paired_groups.language``; the pooled comparison when the
benchmark has only L, or when the book's language is unknown). A system qualifies when that comparison has at least
``min_pages`` common pages and its interval lies wholly on the system's side (``better``); the qualifying system with
the largest improvement is chosen. When none qualifies the existing text is kept, and the reason names every system's
evidence (too few pages, undecided with its interval, or worse).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from pipelines.ocr.pages import EngineUnavailable


@dataclass(frozen=True)
class Choice:
    """The system to read pages with (None: keep the existing text) and why."""

    system: str | None
    reason: str


def _points(value: float) -> str:
    return f"{value * 100:+.2f}"


class BenchmarkChoice:
    """The evidence of one finished benchmark (``bench_dir``) about ``existing`` (the system holding the text that
    would be replaced; "" = the benchmark's only ``existing`` system)."""

    def __init__(self, bench_dir: str, existing: str = "", min_pages: int = 20):
        root = Path(bench_dir)
        summary_file = root / "summary.json"
        if not summary_file.is_file():
            raise EngineUnavailable(f"benchmark {bench_dir}: no summary.json (run `run_ablation.py ocr-bench` first)")
        self.summary = json.loads(summary_file.read_text(encoding="utf-8"))
        if "paired_groups" not in self.summary:
            raise EngineUnavailable(f"benchmark {bench_dir}: summary.json predates paired groups; run ocr-bench again")
        systems = self.summary["systems"]
        on_disk = sorted(s for s, info in systems.items() if info["engine"] == "existing")
        if not existing and len(on_disk) != 1:
            raise EngineUnavailable(
                f"benchmark {bench_dir}: reocr.existing_system must name the system holding the existing text "
                f"(systems reading OCR on disk: {', '.join(on_disk) or 'none'})"
            )
        self.existing = existing or on_disk[0]
        if self.existing not in systems:
            raise EngineUnavailable(f"benchmark {bench_dir}: no system {self.existing!r} (has {', '.join(systems)})")
        self.runnable = {}
        for system_id, info in systems.items():
            if info["engine"] != "existing":
                record = json.loads((root / info["folder"] / "system.json").read_text(encoding="utf-8"))
                self.runnable[system_id] = {"engine": record["engine"], "params": record["params"]}
        self.min_pages = min_pages

    def _pairs(self, language: str) -> tuple[list[dict], str]:
        """The paired comparisons that speak for ``language`` and where they come from ("" when none do)."""
        by_language = self.summary["paired_groups"].get("language")
        if by_language is not None and language:
            return by_language.get(language, []), f"language {language}"
        languages = sorted(self.summary.get("groups", {}).get("language", {}))
        if not language:
            return self.summary["paired"], "all pages (book language unknown)"
        if by_language is None and languages == [language]:
            return self.summary["paired"], f"language {language}"
        if not languages:
            return self.summary["paired"], "all pages (the benchmark's pages have no language)"
        return [], f"language {language}"

    def choose(self, language: str) -> Choice:
        """The runnable system the benchmark shows better than the existing text for ``language``, or None."""
        pairs, where = self._pairs(language)
        evidence, best = [], None
        for system in sorted(self.runnable):
            pair = next((p for p in pairs if {p["a"], p["b"]} == {system, self.existing}), None)
            if pair is None or not pair["pages"]:
                evidence.append(f"{system}: no common pages")
                continue
            gain = -pair["diff"] if pair["a"] == system else pair["diff"]  # existing CER minus the system's
            if pair["pages"] < self.min_pages:
                evidence.append(f"{system}: {pair['pages']} pages < min_pages {self.min_pages}")
            elif pair["better"] != system:
                verdict = "undecided" if pair["better"] is None else f"{self.existing} better"
                interval = "" if pair["low"] is None else f" [{_points(pair['low'])}, {_points(pair['high'])}]"
                evidence.append(
                    f"{system}: {verdict}, CER {pair['a']} - {pair['b']} {_points(pair['diff'])}{interval}"
                )
            elif best is None or gain > best[1]:
                best = (system, gain, pair["pages"])
        if best is not None:
            system, gain, pages = best
            return Choice(
                system, f"{system} better than {self.existing} by {gain * 100:.2f} points on {pages} pages ({where})"
            )
        return Choice(None, f"kept {self.existing}: no system separated from it on {where}: " + "; ".join(evidence))
