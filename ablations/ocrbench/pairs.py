"""Page pairs for the CER estimator: every system's output and the gold as plain text files with the same names, so
that the CER the benchmark measured becomes training gold:
``python -m filters.signals.train_cer --gold pages:<bench>/pairs/<system>,<bench>/pairs/gold ...``
(``filters/signals/cer_gold.py`` pairs files by the part of the name before the first dot)."""

from __future__ import annotations

from pathlib import Path

PAIRS_DIR = "pairs"


def flat_name(page_id: str) -> str:
    """A page id as one file name without dots (``fr_16c/bpt6k724151/f103`` -> ``fr_16c__bpt6k724151__f103``)."""
    return page_id.replace("/", "__").replace(".", "_")


def write_pairs(out: Path, golds: dict[str, str], texts: dict[tuple[str, str], str], failed: set[tuple[str, str]]):
    """``out/pairs/gold/<page>.txt`` and ``out/pairs/<system>/<page>.txt`` for every page a system read."""
    root = out / PAIRS_DIR
    gold_dir = root / "gold"
    gold_dir.mkdir(parents=True, exist_ok=True)
    for page_id, text in golds.items():
        (gold_dir / f"{flat_name(page_id)}.txt").write_text(text, encoding="utf-8")
    for (system, page_id), text in texts.items():
        if (system, page_id) in failed or page_id not in golds:
            continue
        target = root / system / f"{flat_name(page_id)}.txt"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
