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
- The reference: the large scale at the protocol whose baseline scores best (the recipe's weighted task scores in
  item-sd units), the nearest thing here to the "tuned large runs" of the ICLR 2026 paper; ``--reference`` names
  another.
- Tasks (issue #16, item 2's signal-to-noise weighting, measured here on runs that are not the ones decided): per
  task and setting, its signal-to-noise ratio over the candidates (signal: the sd across candidates of their mean
  paired delta; noise: the root mean square over candidates of the seed-to-seed sd of that delta; deltas in the
  baseline's item-sd units), and how each task decided alone transfers to the reference. "SNR-weighted": each
  small-scale protocol decided with task weights proportional to the SNR measured on the *other* small-scale
  protocols' runs (among the tasks the recipe decides on; leave-one-protocol-out, so no weight is chosen on the
  runs it weighs), against the same reference decided with the recipe's weights.
"""

from __future__ import annotations

import itertools
import json
from pathlib import Path
from typing import Any

import numpy as np
from scipy import stats as sps

SAMPLES = 2000
REFERENCE_SCALE = "large"  # the small-scale protocols are measured against this scale at its tuned protocol
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


Paired = dict[str, dict[str, tuple[list, list, dict]]]  # setting -> candidate -> (baseline, variant, first row)


def paired_runs(rows: list[dict[str, Any]]) -> Paired:
    """setting (``scale/protocol``) -> candidate -> the task results of its seeds finished for both it and the
    setting's baseline (at least two), with its first row."""
    by: dict[tuple[str, str], dict[str, dict[int, dict]]] = {}
    for r in rows:
        by.setdefault((r["scale"], r["protocol"]), {}).setdefault(r["candidate"], {})[int(r["seed"])] = r
    out: Paired = {}
    for (scale, protocol), cands in sorted(by.items()):
        base = cands.get("baseline", {})
        setting = out.setdefault(f"{scale}/{protocol}", {})
        for cand, runs in sorted(cands.items()):
            seeds = sorted(set(base) & set(runs))
            if cand != "baseline" and len(seeds) >= 2:
                setting[cand] = ([_tasks(base[s]) for s in seeds], [_tasks(runs[s]) for s in seeds], runs[seeds[0]])
    return out


def decisions(
    rows: list[dict[str, Any]],
    confidence: float = 0.95,
    weights: dict[str, dict[str, float]] | None = None,
    paired: Paired | None = None,
) -> dict[str, dict[str, dict[str, Any]]]:
    """setting (``scale/protocol``) -> candidate -> its decision against the setting's baseline, with the recipe's
    task weights or, for a setting in ``weights``, those."""
    from ablations.decide.stats import decide

    out: dict[str, dict[str, dict[str, Any]]] = {}
    for name, cands in (paired if paired is not None else paired_runs(rows)).items():
        setting = out.setdefault(name, {})
        for cand, (before, after, first) in cands.items():
            v = decide(before, after, (weights or {}).get(name, first["weights"]), confidence, 1000, 0)
            setting[cand] = {k: getattr(v, k) for k in ("verdict", "delta", "low", "high", "mde", "seeds")}
            setting[cand]["expected"] = first.get("expected")
    return out


def task_snr(cands: dict[str, tuple[list, list, dict]]) -> dict[str, dict[str, float | None]]:
    """Per task of one setting: signal (sd across candidates of the mean paired delta), noise (root mean square
    across candidates of the seed-to-seed sd of the delta) and their ratio; deltas in baseline item-sd units."""
    from ablations.decide.stats import _matrix

    means: dict[str, list[float]] = {}
    variances: dict[str, list[float]] = {}
    for before, after, _ in cands.values():
        for t in before[0]:
            ids = sorted(r["id"] for r in before[0][t])
            b, v = _matrix(before, t, ids), _matrix(after, t, ids)
            scale = float(b.std(ddof=1)) if b.size > 1 and b.std() > 0 else 1.0
            per_seed = ((v - b) / scale).mean(axis=1)
            means.setdefault(t, []).append(float(per_seed.mean()))
            variances.setdefault(t, []).append(float(per_seed.var(ddof=1)))
    out: dict[str, dict[str, float | None]] = {}
    for t in sorted(means):
        signal = float(np.std(means[t], ddof=1)) if len(means[t]) > 1 else None
        noise = float(np.sqrt(np.mean(variances[t])))
        out[t] = {"signal": signal, "noise": noise, "snr": signal / noise if signal is not None and noise else None}
    return out


def snr_weights(snr: dict[str, dict[str, dict]], setting: str, decided: list[str]) -> dict[str, float] | None:
    """Weights of the ``decided`` tasks for small-scale ``setting``: their mean SNR over the other small-scale
    settings (None when there is none to measure on)."""
    others = [s for s in snr if s.startswith("small/") and s != setting]
    values = {t: [snr[s][t]["snr"] for s in others if snr[s].get(t, {}).get("snr") is not None] for t in decided}
    if not others or not all(values.values()):
        return None
    return {t: float(np.mean(v)) for t, v in values.items()}


def baseline_scores(rows: list[dict[str, Any]]) -> dict[str, dict[str, dict[str, float]]]:
    """setting -> task -> the baseline's mean score (over its seeds and items) and the sd of its item scores."""
    by: dict[str, dict[str, list[list[float]]]] = {}
    for r in rows:
        if r["candidate"] == "baseline":
            for t, items in r["tasks"].items():
                by.setdefault(f"{r['scale']}/{r['protocol']}", {}).setdefault(t, []).append([x for _, x in items])
    return {
        s: {t: {"mean": float(np.mean(v)), "sd": float(np.std(v, ddof=1)), "seeds": len(v)} for t, v in tasks.items()}
        for s, tasks in sorted(by.items())
    }


def tuned_reference(rows: list[dict[str, Any]], scale: str = REFERENCE_SCALE) -> str | None:
    """The protocol of ``scale`` whose baseline scores best: the recipe's weighted sum over the decided tasks of
    its mean score in item-sd units (the learning rate a tuned large run would use); None without that scale."""
    base = {s: t for s, t in baseline_scores(rows).items() if s.startswith(scale + "/")}
    if not base or not rows:
        return None
    weights = {t: w for t, w in rows[0]["weights"].items() if w > 0}

    def quality(s: str) -> float:
        return sum(w * base[s][t]["mean"] / base[s][t]["sd"] for t, w in weights.items() if t in base[s])

    return max(sorted(base), key=quality)


def tasks_summary(rows: list[dict[str, Any]], paired: Paired, dec: dict[str, dict], reference: str) -> dict[str, Any]:
    """Per-task SNR per setting, each task alone against the reference, and SNR-weighted decisions."""
    snr = {s: task_snr(c) for s, c in paired.items() if c}
    if reference not in dec or not rows:
        return {"snr": snr, "alone": {}, "snr_weighted": {}, "weights": {}}
    recipe_weights = rows[0]["weights"]
    decided = sorted(t for t, w in recipe_weights.items() if w > 0)
    small = [s for s in dec if s.startswith("small/")]
    alone = {}
    for t in sorted({t for c in snr.values() for t in c}):
        d = decisions(rows, weights={s: {t: 1.0} for s in small}, paired={s: paired[s] for s in small})
        alone[t] = {s: compare(d[s], dec[reference]) for s in small}
    weights = {s: w for s in small if (w := snr_weights(snr, s, decided))}
    d = decisions(rows, weights=weights, paired={s: paired[s] for s in weights})
    return {
        "snr": snr,
        "alone": alone,
        "weights": weights,
        "snr_weighted": {s: {"decisions": d[s], "transfer": compare(d[s], dec[reference])} for s in weights},
    }


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
    decisive = [c for c in common if "inconclusive" not in (a[c]["verdict"], b[c]["verdict"])]
    return {
        "candidates": common,
        "verdicts": verdict_agreement([a[c]["verdict"] for c in common], [b[c]["verdict"] for c in common], rng),
        "ranking": ranking_agreement([a[c]["delta"] for c in common], [b[c]["delta"] for c in common], rng),
        # agreement is easy where both are inconclusive: the candidates decided in both, and those decided opposite
        "decisive_in_both": decisive,
        "opposite": [c for c in decisive if a[c]["verdict"] != b[c]["verdict"]],
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


def summarize(rows: list[dict[str, Any]], reference: str | None = None) -> dict[str, Any]:
    """Everything --summary prints and writes; ``reference`` (default: the tuned large-scale protocol, see
    ``tuned_reference``) is the setting the small-scale ones are measured against."""
    reference = reference or tuned_reference(rows) or f"{REFERENCE_SCALE}/default"
    paired = paired_runs(rows)
    # a setting with the baseline only (tuning the reference's learning rate) decides nothing
    dec = {s: d for s, d in decisions(rows, paired=paired).items() if d}
    settings = sorted(dec)
    pairs = {f"{a} vs {b}": compare(dec[a], dec[b]) for a, b in itertools.combinations(settings, 2)}
    scales = sorted({s.split("/")[0] for s in settings})
    by_scale = {sc: {s.split("/")[1]: dec[s] for s in settings if s.startswith(sc + "/")} for sc in scales}
    transfer = {s: compare(dec[s], dec[reference]) for s in settings if reference in dec and s != reference}
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
        "tasks": tasks_summary(rows, paired, dec, reference),
        "reference": reference,
        "baselines": baseline_scores(rows),
        "runs": len(rows),
        "scales": {r["scale"]: {k: r.get(k) for k in ("params", "tokens", "flops")} for r in rows},
    }


def _f(x: float | None, sign: bool = True) -> str:
    return "-" if x is None else f"{x:+.3f}" if sign else f"{x:.2f}"


HEAD = (
    "| candidates | verdict agreement [95%] | same verdict where both decide | pairwise ranking agreement [95%] "
    "| Kendall tau [95%] |"
)


def _agree(c: dict[str, Any]) -> str:
    v, r = c["verdicts"], c["ranking"]
    lo, hi = v["interval"]
    plo, phi = r["pairwise_interval"]
    tlo, thi = r["tau_interval"]
    decided = f"{len(c['decisive_in_both']) - len(c['opposite'])} of {len(c['decisive_in_both'])}"
    return (
        f"{len(c['candidates'])} | {_f(v['point'], False)} [{_f(lo, False)}, {_f(hi, False)}] | {decided} | "
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
    head = HEAD
    if summary["pairs"]:
        out += ["Agreement between settings (bootstrap over candidates):", "", "| settings " + head]
        out.append("|---|---|---|---|---|---|")
        out += [f"| {name} | {_agree(c)} |" for name, c in summary["pairs"].items()]
        out.append("")
    if summary["transfer_to_reference"]:
        out += [f"Against the reference {summary['reference']}:", "", "| small-scale protocol " + head]
        out.append("|---|---|---|---|---|---|")
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
    return "\n".join(out + _tasks_markdown(summary["tasks"], summary["reference"], summary["baselines"])) + "\n"


def _tasks_markdown(tasks: dict[str, Any], reference: str, baselines: dict[str, dict]) -> list[str]:
    out: list[str] = []
    if baselines:
        names = sorted({t for c in baselines.values() for t in c})
        out += ["", "Baseline mean score per setting (higher is better; seeds):", ""]
        out += ["| setting | " + " | ".join(names) + " |", "|---|" + "---|" * len(names)]
        for s, c in baselines.items():
            cells = [f"{c[t]['mean']:.4f} ({c[t]['seeds']})" if t in c else "-" for t in names]
            out.append(f"| {s} | " + " | ".join(cells) + " |")
    if tasks["snr"]:
        names = sorted({t for c in tasks["snr"].values() for t in c})
        out += ["", "Signal-to-noise ratio of each task (signal / noise, item-sd units):", ""]
        out += ["| setting | " + " | ".join(names) + " |", "|---|" + "---|" * len(names)]
        for s, c in tasks["snr"].items():
            cells = [
                f"{c[t]['snr']:.2f} ({c[t]['signal']:.3f} / {c[t]['noise']:.3f})" if c.get(t, {}).get("snr") else "-"
                for t in names
            ]
            out.append(f"| {s} | " + " | ".join(cells) + " |")
    if tasks["alone"]:
        out += ["", f"Each task alone, small-scale settings against {reference} (the reference: recipe weights):", ""]
        out += ["| task | setting " + HEAD, "|---|---|---|---|---|---|---|"]
        out += [f"| {t} | {s} | {_agree(c)} |" for t, by in tasks["alone"].items() for s, c in by.items()]
    if tasks["snr_weighted"]:
        out += ["", "SNR-weighted (weights from the other small-scale protocols' runs):", ""]
        out += ["| setting | weights " + HEAD, "|---|---|---|---|---|---|---|"]
        for s, r in tasks["snr_weighted"].items():
            w = tasks["weights"][s]
            total = sum(w.values())
            shown = ", ".join(f"{t} {x / total:.2f}" for t, x in w.items())
            out.append(f"| {s} | {shown} | {_agree(r['transfer'])} |")
    return out
