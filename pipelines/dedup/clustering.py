"""Clusters of duplicate books: union-find over pairs, the kept copy of each cluster, and the cluster report."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from pipelines.dedup.records import DocInfo


def flatten(infos: list[list[DocInfo]]) -> tuple[list[DocInfo], np.ndarray]:
    """All books in one list (global index = offset of the rank + position) and the offset of each rank."""
    offsets = np.zeros(len(infos) + 1, dtype=np.int64)
    offsets[1:] = np.cumsum([len(r) for r in infos])
    return [d for rank in infos for d in rank], offsets


def groups_from_pairs(n: int, a: np.ndarray, b: np.ndarray) -> list[list[int]]:
    """Connected components (size >= 2) of the graph on ``n`` books with edges ``a[i] - b[i]``, each sorted,
    ordered by their first member."""
    parent = list(range(n))

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for x, y in zip(a.tolist(), b.tolist(), strict=True):
        rx, ry = find(x), find(y)
        if rx != ry:
            parent[max(rx, ry)] = min(rx, ry)
    members: dict[int, list[int]] = {}
    for x in sorted({int(v) for v in np.concatenate([a, b])}) if len(a) else []:
        members.setdefault(find(x), []).append(x)
    return [m for _, m in sorted(members.items()) if len(m) > 1]


@dataclass
class Cluster:
    id: int
    members: list[int]
    kept: int
    info: dict = field(default_factory=dict)


def choose_survivors(groups: list[list[int]], flat: list[DocInfo], key) -> list[Cluster]:
    """One Cluster per group, keeping the member with the smallest ``key`` (see ``records.survivor_key``)."""
    return [Cluster(i, g, min(g, key=lambda m: key(flat[m]))) for i, g in enumerate(groups)]


def decision_rows(clusters: list[Cluster], flat: list[DocInfo], reason: str) -> dict[int, dict[int, dict]]:
    """rank -> position -> decision, for every member of every cluster (the kept one with ``drop`` None)."""
    out: dict[int, dict[int, dict]] = {}
    for c in clusters:
        for m in c.members:
            d = flat[m]
            row = {"i": d.idx, "id": d.id, "cluster": c.id, "size": len(c.members), "drop": None}
            if m != c.kept:
                row |= {"drop": reason, "kept": flat[c.kept].id}
            out.setdefault(d.rank, {})[d.idx] = row
    return out


def write_cluster_report(path: Path, clusters: list[Cluster], flat: list[DocInfo]) -> None:
    """``clusters.jsonl``: one line per cluster with its kept book, every member and their quality signals."""
    with open(path, "w", encoding="utf-8") as f:
        for c in clusters:
            row = {
                "cluster": c.id,
                "size": len(c.members),
                "kept": flat[c.kept].id,
                "members": [flat[m].id for m in c.members],
                "quality": [flat[m].quality for m in c.members],
                **c.info,
            }
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
