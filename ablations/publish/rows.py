"""One Parquet row of a release per processed book (the columns of ``layout.COLUMNS``)."""

from __future__ import annotations

import json
import re
from typing import Any

from ablations.publish.markdown import markdown_text
from filters.signals import SIGNALS
from pipelines.markdown.config import MarkdownOptions


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value != value:
        return None
    return float(value)


def _text(value: Any) -> str | None:
    return None if value is None or value == "" else str(value)


def _year(value: Any) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    m = re.search(r"\b(\d{4})\b", str(value)) if value is not None else None
    return int(m.group(1)) if m else None


def _identifiers(value: Any) -> str | None:
    """Identifiers as a JSON object with sorted keys (a bare value as ``{"id": value}``), None when there are none."""
    if value in (None, "", {}):
        return None
    data = {str(k): str(v) for k, v in value.items()} if isinstance(value, dict) else {"id": str(value)}
    return json.dumps(data, ensure_ascii=False, sort_keys=True)


def _dedup(meta: dict) -> tuple[str | None, int | None]:
    """Clusters of every dedup stage (``<stage id>_cluster`` / ``_cluster_size`` keys, -1 = in no cluster)."""
    clusters, sizes = [], []
    for key in sorted(meta):
        if key.endswith("_cluster") and f"{key}_size" in meta:
            value, size = meta[key], meta[f"{key}_size"]
            sizes.append(int(size) if isinstance(size, int) else 1)
            if value not in (-1, None):
                clusters.append(f"{key.removesuffix('_cluster')}:{value}")
    return ("; ".join(clusters) or None), (max(sizes) if sizes else None)


def book_row(doc: dict, options: MarkdownOptions = MarkdownOptions(), notes: dict | None = None) -> dict[str, Any]:
    """One Parquet row of a processed book (a datatrove JSONL record: text, id, metadata)."""
    meta = doc.get("metadata") or {}
    signals = meta.get("ocr_signals") or {}
    cluster, size = _dedup(meta)
    row = {
        "id": doc["id"],
        "source": _text(meta.get("source")),
        "title": _text(meta.get("title")),
        "author": _text(meta.get("author") or meta.get("creator")),
        "year": _year(meta.get("year", meta.get("date"))),
        "language": _text(meta.get("language")),
        "identifiers": _identifiers(meta.get("identifiers")),
        "license": _text(meta.get("license")),
        "text": markdown_text(doc, options, notes),
        "n_pages": meta.get("pages_merged") or meta.get("n_pages"),
        **{f"ocr_{name}": _number(signals.get(name)) for name in SIGNALS},
        "ocr_cer": _number(meta.get("cer")),
        "pages_dropped_fraction": _number(meta.get("pages_dropped_fraction")),
        "dedup_cluster": cluster,
        "dedup_cluster_size": size,
    }
    if row["ocr_word_confidence"] is None:
        row["ocr_word_confidence"] = _number(meta.get("word_confidence"))  # the readers' value, no signal block
    return row
