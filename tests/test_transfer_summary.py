"""bench/transfer.py's summary on constructed results whose answers are known (verdicts, agreement, ranking, flips,
intervals), and its resume logic: a finished row is not run again, a line cut short is not a finished row."""

from __future__ import annotations

import json
import zlib
from pathlib import Path

import numpy as np

from bench.transfer import missing
from bench.transfer_summary import (
    markdown,
    paired_runs,
    ranking_agreement,
    read_rows,
    snr_weights,
    summarize,
    task_snr,
    tuned_reference,
    verdict_agreement,
)

ITEMS = 150
EFFECTS = {"good": 0.5, "bad": -0.5, "mild": 0.2, "neutral": None}  # None: +-0.3 by seed, so never decisive
EXPECTED = {"good": "keep", "bad": "drop", "neutral": "inconclusive"}


def row(scale: str, protocol: str, cand: str, seed: int, effect: float) -> dict:
    difficulty = np.random.default_rng(7).normal(0, 1, ITEMS)
    noise = np.random.default_rng(zlib.crc32(f"{scale}{protocol}{cand}{seed}".encode())).normal(0, 0.01, ITEMS)
    scores = difficulty + effect + noise
    return {
        "scale": scale,
        "protocol": protocol,
        "candidate": cand,
        "seed": seed,
        "expected": EXPECTED.get(cand),
        "params": 1000 if scale == "small" else 8000,
        "tokens": 500,
        "flops": 6 * 500 * (1000 if scale == "small" else 8000),
        "weights": {"t": 1.0},
        "tasks": {"t": [[str(i), float(x)] for i, x in enumerate(scores)]},
    }


def setting(scale: str, protocol: str, sign: float = 1.0) -> list[dict]:
    rows = [row(scale, protocol, "baseline", s, 0.0) for s in range(3)]
    for cand, e in EFFECTS.items():
        for s in range(3):
            effect = (0.3 if s % 2 else -0.3) if e is None else sign * e
            rows.append(row(scale, protocol, cand, s, effect))
    return rows


def test_agreement_ranking_and_flips_on_constructed_settings():
    rows = setting("small", "default") + setting("large", "default") + setting("small", "triple", sign=-1.0)
    s = summarize(rows)
    verdicts = {k: {c: d["verdict"] for c, d in v.items()} for k, v in s["decisions"].items()}
    assert verdicts["large/default"] == {"bad": "drop", "good": "keep", "mild": "keep", "neutral": "inconclusive"}
    assert verdicts["small/default"] == verdicts["large/default"]
    assert verdicts["small/triple"] == {"bad": "keep", "good": "drop", "mild": "drop", "neutral": "inconclusive"}
    same = s["transfer_to_reference"]["small/default"]
    assert same["verdicts"]["point"] == 1.0 and same["verdicts"]["interval"] == [1.0, 1.0]
    assert same["ranking"]["tau"] > 0.99 and same["ranking"]["pairwise"] > 0.8  # neutral's delta is near 0: ranked
    assert same["decisive_in_both"] == ["bad", "good", "mild"] and same["opposite"] == []
    reverse = s["transfer_to_reference"]["small/triple"]
    assert reverse["opposite"] == ["bad", "good", "mild"]
    assert reverse["verdicts"]["point"] == 0.25  # only neutral agrees
    assert reverse["ranking"]["pairwise"] < 0.2 and reverse["ranking"]["tau"] < -0.6
    lo, hi = reverse["ranking"]["pairwise_interval"]
    assert 0 <= lo <= reverse["ranking"]["pairwise"] <= hi <= 1
    assert s["best_small_protocol"] == "small/default"
    flips = s["flips"]["small"]
    assert flips["candidates"] == 4 and sorted(flips["changed"]) == ["bad", "good", "mild"]
    assert sorted(flips["opposite"]) == ["bad", "good", "mild"]
    assert s["flips"]["large"]["candidates"] == 0  # one protocol only: nothing to flip
    assert s["scales"]["large"]["flops"] == 8 * s["scales"]["small"]["flops"]
    assert "6ND = 2.4e+07 FLOPs" in markdown(s) and "small/triple: good drop (expected keep)" in markdown(s)
    assert sorted(s["known_answers_contradicted"]) == [
        "small/triple: bad keep (expected drop)",
        "small/triple: good drop (expected keep)",
    ]


def test_a_candidate_needs_two_paired_seeds_to_be_decided():
    rows = [r for r in setting("small", "default") if not (r["candidate"] == "baseline" and r["seed"] > 0)]
    assert summarize(rows)["decisions"] == {}


def test_interval_sanity():
    rng = np.random.default_rng(0)
    x = rng.normal(size=12)
    y = x + rng.normal(scale=1.0, size=12)  # related, not equal: agreement between chance and 1
    r = ranking_agreement(list(x), list(y), np.random.default_rng(1), samples=500)
    assert 0.5 < r["pairwise"] < 1 and 0 < r["tau"] < 1
    assert r["pairwise_interval"][0] < r["pairwise"] < r["pairwise_interval"][1]
    assert -1 <= r["tau_interval"][0] < r["tau"] < r["tau_interval"][1] <= 1
    # tau-b and pairwise agreement describe the same pairs: with no ties, tau = 2 x pairwise - 1
    assert abs(r["tau"] - (2 * r["pairwise"] - 1)) < 1e-9
    tied = ranking_agreement([1.0, 1.0, 2.0], [1.0, 2.0, 3.0], np.random.default_rng(1), samples=50)
    assert abs(tied["pairwise"] - (0.5 + 1 + 1) / 3) < 1e-9  # a tie counts half
    v = verdict_agreement(["keep", "drop", "keep", "inconclusive"], ["keep", "keep", "keep", "inconclusive"], rng)
    assert v["point"] == 0.75 and 0 <= v["interval"][0] <= 0.75 <= v["interval"][1] <= 1


def test_resume_skips_finished_rows_and_reads_past_a_cut_line(tmp_path: Path):
    results = tmp_path / "results.jsonl"
    done = [row("small", "default", c, s, 0.0) for c in ("baseline", "good") for s in (0, 1)]
    results.write_text("".join(json.dumps(r) + "\n" for r in done) + '{"scale": "small", "proto')
    assert len(read_rows(results)) == 4
    todo = missing(results, "small", "default", ["good", "bad"], [0, 1, 2])
    assert todo == {"baseline": [2], "good": [2], "bad": [0, 1, 2]}
    assert missing(results, "small", "default", ["good"], [0, 1]) == {"baseline": [], "good": []}
    assert missing(results, "large", "default", ["good"], [0]) == {"baseline": [0], "good": [0]}


def two_task_setting(scale: str, protocol: str) -> list[dict]:
    """Task ``clear`` carries each candidate's effect with little seed noise; task ``noisy`` carries no effect and
    a seed-to-seed shift of sd 0.3: its SNR is near 0, ``clear``'s large."""
    rows = []
    for cand, e in [("baseline", 0.0), ("good", 0.5), ("bad", -0.5), ("mild", 0.2)]:
        for s in range(4):
            r = row(scale, protocol, cand, s, e)
            shift = np.random.default_rng(zlib.crc32(f"{scale}{protocol}{cand}{s}noisy".encode())).normal(0, 0.3)
            difficulty = np.random.default_rng(8).normal(0, 1, ITEMS)
            r["tasks"]["noisy"] = [[str(i), float(x + shift)] for i, x in enumerate(difficulty)]
            r["tasks"]["clear"] = r["tasks"].pop("t")
            r["weights"] = {"clear": 1.0, "noisy": 1.0}
            rows.append(r)
    return rows


def test_task_snr_and_leave_one_protocol_out_weights():
    rows = two_task_setting("small", "default") + two_task_setting("small", "third")
    rows += two_task_setting("large", "default")
    paired = paired_runs(rows)
    snr = {s: task_snr(c) for s, c in paired.items()}
    clear, noisy = snr["small/default"]["clear"], snr["small/default"]["noisy"]
    assert clear["signal"] > 0.4 and clear["noise"] < 0.01 and clear["snr"] > 50  # effects 0.5, -0.5, 0.2: sd 0.5
    assert noisy["noise"] > 0.2 and noisy["snr"] < 1
    w = snr_weights(snr, "small/default", ["clear", "noisy"])
    assert w == {t: snr["small/third"][t]["snr"] for t in ("clear", "noisy")}  # the other protocol's runs only
    assert snr_weights({"small/default": snr["small/default"]}, "small/default", ["clear"]) is None
    summary = summarize(rows)
    tasks = summary["tasks"]
    assert set(tasks["snr_weighted"]) == {"small/default", "small/third"}
    weighted = tasks["snr_weighted"]["small/default"]["decisions"]
    assert {c: d["verdict"] for c, d in weighted.items()} == {"bad": "drop", "good": "keep", "mild": "keep"}
    assert tasks["alone"]["clear"]["small/default"]["ranking"]["pairwise"] == 1.0
    assert "SNR-weighted" in markdown(summary)


def test_the_reference_is_the_large_protocol_whose_baseline_scores_best():
    rows = setting("small", "default") + setting("large", "default") + setting("large", "triple")

    def shift(by: float) -> list[dict]:
        out = [dict(r) for r in rows]
        for r in out:
            if (r["scale"], r["protocol"], r["candidate"]) == ("large", "triple", "baseline"):
                r["tasks"] = {"t": [[i, x + by] for i, x in r["tasks"]["t"]]}
        return out

    assert tuned_reference(shift(-0.2)) == "large/default"
    assert tuned_reference(shift(0.2)) == "large/triple"
    assert summarize(shift(0.2), reference="large/default")["reference"] == "large/default"
    assert tuned_reference([r for r in rows if r["scale"] == "small"]) is None
