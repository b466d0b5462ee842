"""The summary of bench/transfer.py: verdicts per setting (scale and learning-rate protocol) from the finished
rows of its results file, and how far the settings agree.

- A setting's decision on a candidate: ablations/decide/stats.py ``decide`` on the seeds finished for both the
  baseline and the candidate (at least two), as the loop decides.
- Verdict agreement of two settings: the share of their common candidates with the same verdict (keep, drop or
  inconclusive).
- Ranking agreement: over every pair of common candidates, the share that the two settings order alike by delta
  (DataDecide's pairwise decision accuracy; a tie counts half), and Kendall's tau-b of the deltas.
- Intervals: percentile bootstrap over candidates (resampled with replacement; pairs of a candidate with itself are
  left out), ``SAMPLES`` draws.
- Flips across learning rates, per scale: a candidate whose verdict differs between protocols, and one with keep
  at one protocol and drop at another.
"""

from __future__ import annotations

import itertools
import json
from pathlib import Path
from typing import Any

import numpy as np
from scipy import stats as sps

SAMPLES = 2000
REFERENCE = "large/default"  # the setting the small-scale protocols are measured against
Key = tuple[str, str, str, int]  # (scale, protocol, candidate, seed)
# (known answer, verdict) pairs that contradict it; the near-neutral random drop may be dropped, never kept
CONTRADICTIONS = {("keep", "drop"), ("drop", "keep"), ("inconclusive", "keep")}


def read_rows(path: Path) -> list[dict[str, Any]]:
    """The finished rows of a results file; a line cut short by an interruption is skipped."""
    rows = []
    if path.exists():
        for line in path.read_text(encoding="utf-8").splitlines():
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError:
                continue
    return rows


def row_key(row: dict[str, Any]) -> Key:
    return row["scale"], row["protocol"], row["candidate"], int(row["seed"])


def decisions(rows: list[dict[str, Any]], confidence: float = 0.95) -> dict[str, dict[str, dict[str, Any]]]:
    """setting (``scale/protocol``) -> candidate -> its decision against the setting's baseline."""
    from ablations.decide.stats import decide

    by: dict[tuple[str, str], dict[str, dict[int, dict]]] = {}
    for r in rows:
        by.setdefault((r["scale"], r["protocol"]), {}).setdefault(r["candidate"], {})[int(r["seed"])] = r
    out: dict[str, dict[str, dict[str, Any]]] = {}
    for (scale, protocol), cands in sorted(by.items()):
        base = cands.get("baseline", {})
        setting = out.setdefault(f"{scale}/{protocol}", {})
        for cand, runs in sorted(cands.items()):
            seeds = sorted(set(base) & set(runs))
            if cand == "baseline" or len(seeds) < 2:
                continue
            first = runs[seeds[0]]
            before = [_tasks(base[s]) for s in seeds]
            after = [_tasks(runs[s]) for s in seeds]
            v = decide(before, after, first["weights"], confidence, 1000, 0)
            setting[cand] = {k: getattr(v, k) for k in ("verdict", "delta", "low", "high", "mde", "seeds")}
            setting[cand]["expected"] = first.get("expected")
    return out


def _tasks(row: dict[str, Any]) -> dict[str, list[dict]]:
    return {t: [{"id": i, "score": s} for i, s in items] for t, items in row["tasks"].items()}


def _interval(values: list[float]) -> list[float | None]:
    finite = [v for v in values if v == v]
    return [float(np.percentile(finite, 2.5)), float(np.percentile(finite, 97.5))] if finite else [None, None]


def verdict_agreement(a: list[str], b: list[str], rng: np.random.Generator, samples: int = SAMPLES) -> dict:
    """Share of candidates with the same verdict in both settings, with its bootstrap interval."""
    same = np.array([x == y for x, y in zip(a, b, strict=True)], dtype=float)
    if not len(same):
        return {"point": None, "interval": [None, None]}
    boot = [same[rng.integers(0, len(same), len(same))].mean() for _ in range(samples)]
    return {"point": float(same.mean()), "interval": _interval(boot)}


def _concordance(a: np.ndarray, b: np.ndarray, idx: np.ndarray) -> float:
    """Share of pairs of (resampled) candidates ordered alike by ``a`` and ``b``; a tie in either counts half."""
    scores = []
    for i, j in itertools.combinations(idx, 2):
        if i == j:
            continue
        s = np.sign(a[i] - a[j]) * np.sign(b[i] - b[j])
        scores.append(1.0 if s > 0 else 0.0 if s < 0 else 0.5)
    return float(np.mean(scores)) if scores else float("nan")


def ranking_agreement(a: list[float], b: list[float], rng: np.random.Generator, samples: int = SAMPLES) -> dict:
    """Pairwise order agreement and Kendall's tau-b of two settings' deltas, each with its bootstrap interval."""
    x, y = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    n = len(x)
    if n < 2:
        return {"pairwise": None, "pairwise_interval": [None, None], "tau": None, "tau_interval": [None, None]}
    pairwise, taus = [], []
    for _ in range(samples):
        idx = rng.integers(0, n, n)
        pairwise.append(_concordance(x, y, idx))
        tau = sps.kendalltau(x[idx], y[idx]).statistic if len(set(idx)) > 1 else float("nan")
        taus.append(float(tau))
    return {
        "pairwise": _concordance(x, y, np.arange(n)),
        "pairwise_interval": _interval(pairwise),
        "tau": float(sps.kendalltau(x, y).statistic),
        "tau_interval": _interval(taus),
    }


def compare(a: dict[str, dict], b: dict[str, dict], seed: int = 0) -> dict[str, Any]:
    """Agreement of two settings' decisions on their common candidates."""
    common = sorted(set(a) & set(b))
    rng = np.random.default_rng(seed)
    return {
        "candidates": common,
        "verdicts": verdict_agreement([a[c]["verdict"] for c in common], [b[c]["verdict"] for c in common], rng),
        "ranking": ranking_agreement([a[c]["delta"] for c in common], [b[c]["delta"] for c in common], rng),
    }


def flips(by_protocol: dict[str, dict[str, dict]]) -> dict[str, Any]:
    """Across the protocols of one scale: candidates whose verdict changes, and those kept at one and dropped at
    another (only candidates decided at two or more protocols)."""
    cands = sorted({c for d in by_protocol.values() for c in d})
    verdicts = {c: {p: d[c]["verdict"] for p, d in by_protocol.items() if c in d} for c in cands}
    verdicts = {c: v for c, v in verdicts.items() if len(v) >= 2}
    changed = [c for c, v in verdicts.items() if len(set(v.values())) > 1]
    opposite = [c for c, v in verdicts.items() if {"keep", "drop"} <= set(v.values())]
    return {"candidates": len(verdicts), "changed": changed, "opposite": opposite, "verdicts": verdicts}


def summarize(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Everything --summary prints and writes."""
    dec = decisions(rows)
    settings = sorted(dec)
    pairs = {f"{a} vs {b}": compare(dec[a], dec[b]) for a, b in itertools.combinations(settings, 2)}
    scales = sorted({s.split("/")[0] for s in settings})
    by_scale = {sc: {s.split("/")[1]: dec[s] for s in settings if s.startswith(sc + "/")} for sc in scales}
    transfer = {s: compare(dec[s], dec[REFERENCE]) for s in settings if REFERENCE in dec and s != REFERENCE}
    ranked = [s for s, c in transfer.items() if s.startswith("small/") and c["ranking"]["pairwise"] is not None]
    best = max(
        ranked, key=lambda s: (transfer[s]["ranking"]["pairwise"], transfer[s]["verdicts"]["point"]), default=None
    )
    wrong = [
        f"{s}: {c} {d['verdict']} (expected {d['expected']})"
        for s in settings
        for c, d in dec[s].items()
        if (d.get("expected"), d["verdict"]) in CONTRADICTIONS
    ]
    return {
        "decisions": dec,
        "pairs": pairs,
        "transfer_to_reference": transfer,
        "best_small_protocol": best,
        "flips": {sc: flips(p) for sc, p in by_scale.items()},
        "known_answers_contradicted": wrong,
        "runs": len(rows),
        "scales": {r["scale"]: {k: r.get(k) for k in ("params", "tokens", "flops")} for r in rows},
    }


def _f(x: float | None, sign: bool = True) -> str:
    return "-" if x is None else f"{x:+.3f}" if sign else f"{x:.2f}"


def _agree(c: dict[str, Any]) -> str:
    v, r = c["verdicts"], c["ranking"]
    lo, hi = v["interval"]
    plo, phi = r["pairwise_interval"]
    tlo, thi = r["tau_interval"]
    return (
        f"{len(c['candidates'])} | {_f(v['point'], False)} [{_f(lo, False)}, {_f(hi, False)}] | "
        f"{_f(r['pairwise'], False)} [{_f(plo, False)}, {_f(phi, False)}] | {_f(r['tau'])} [{_f(tlo)}, {_f(thi)}]"
    )


def markdown(summary: dict[str, Any]) -> str:
    """The summary as Markdown tables (what BENCHMARKS.md quotes)."""
    out = [f"Finished runs: {summary['runs']}.", ""]
    for scale, c in summary["scales"].items():
        out.append(f"- {scale}: {c['params']:,} parameters, {c['tokens']:,} tokens, 6ND = {c['flops']:.3g} FLOPs")
    out.append("")
    for setting, cands in summary["decisions"].items():
        out += [f"**{setting}**", "", "| candidate | expected | verdict | delta | interval | mde | seeds |"]
        out.append("|---|---|---|---|---|---|---|")
        for c, d in cands.items():
            out.append(
                f"| {c} | {d.get('expected') or '-'} | {d['verdict']} | {_f(d['delta'])} | "
                f"[{_f(d['low'])}, {_f(d['high'])}] | {_f(d['mde'], False)} | {d['seeds']} |"
            )
        out.append("")
    head = "| candidates | verdict agreement [95%] | pairwise ranking agreement [95%] | Kendall tau [95%] |"
    if summary["pairs"]:
        out += ["Agreement between settings (bootstrap over candidates):", "", "| settings " + head]
        out.append("|---|---|---|---|---|")
        out += [f"| {name} | {_agree(c)} |" for name, c in summary["pairs"].items()]
        out.append("")
    if summary["transfer_to_reference"]:
        out += [f"Against the reference {REFERENCE}:", "", "| small-scale protocol " + head, "|---|---|---|---|---|"]
        out += [f"| {s} | {_agree(c)} |" for s, c in summary["transfer_to_reference"].items()]
        out += ["", f"Best small-scale protocol (pairwise ranking agreement): {summary['best_small_protocol']}", ""]
    for scale, f in summary["flips"].items():
        if f["candidates"]:
            out.append(
                f"Flips across learning rates at {scale}: {len(f['changed'])} of {f['candidates']} candidates change "
                f"verdict ({', '.join(f['changed']) or 'none'}); keep at one rate and drop at another: "
                f"{', '.join(f['opposite']) or 'none'}."
            )
    wrong = summary["known_answers_contradicted"]
    out.append(f"Known answers contradicted: {'; '.join(wrong) if wrong else 'none'}.")
    return "\n".join(out) + "\n"
