"""lighteval's per-item scores equal a direct computation with torch on the same small model, for every choice task
kind (minimal pairs, gold against OCR, the cloze tasks read from ../shared/data), and each task's metric selects the
score the decision uses.

The direct computation follows lighteval 0.13's convention for a transformers model (pairwise tokenisation,
``tok_encode_pair``): the context (``BOS + query``, trailing whitespace moved to the front of each choice) and each
choice are tokenised separately without special tokens, and a choice's log-probability is the sum of the
log-softmax of the logits that predict its tokens in one forward pass over context + choice. Per-character
normalisation divides by the choice's length in characters (lighteval's ``LogProbCharNorm``), per-token by its
token count.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from ablations.eval.evaluator import Evaluator
from ablations.eval.tasks import TASKS, ChoiceTask, make_task
from ablations.recipe.schema import EvalTaskConfig, ModelConfig
from ablations.train.hf import build_model
from ablations.train.tokenizer import BOS, train_bpe

CHOICE_KINDS = sorted(k for k in TASKS.names() if isinstance(make_task(k), ChoiceTask))
ITEMS = 4  # per task
SEQ = 512


@pytest.fixture(scope="module")
def scored(tmp_path_factory, shared_data):
    """Every choice kind's items, a tiny random Llama, lighteval's rows (with lighteval's own acc_norm metric
    beside ours) and the evaluator."""
    from transformers import PreTrainedTokenizerFast

    from ablations.eval.lighteval_tasks import task_configs

    tmp = tmp_path_factory.mktemp("scores")
    tasks = [EvalTaskConfig(name=k, kind=k, max_items=ITEMS) for k in CHOICE_KINDS]
    texts = [(shared_data / "clean_books/ecco_tcp").glob("*.txt").__next__().read_text()[:200_000]]
    tok_dir = train_bpe(iter(texts), 600, tmp / "tok")
    tok = PreTrainedTokenizerFast.from_pretrained(str(tok_dir))
    cfg = ModelConfig(hidden_size=32, num_layers=2, num_heads=2, intermediate_size=64, max_seq_len=SEQ)
    model = build_model(cfg, len(tok), seed=0)
    with torch.no_grad():  # a random model predicts nearly uniformly; sharpen it so that position errors show
        model.lm_head.weight.mul_(10)
    ev = Evaluator(tasks, tmp / "eval", shared_data, [], seed=0, batch_size=8, tokenizer=tok, max_tokens=SEQ)
    ev._configs = task_configs(ev.folders)
    for c in ev._configs:  # lighteval's own per-character normalised accuracy, to compare ours with
        c.metrics = [*c.metrics, _lighteval_acc_norm()]
    model.eval()
    rows = ev.evaluate(model, tok, tok_dir, SEQ)
    return ev, model, tok, rows


def _lighteval_acc_norm():
    from lighteval.metrics.metrics_sample import LoglikelihoodAcc
    from lighteval.metrics.normalizations import LogProbCharNorm
    from lighteval.metrics.utils.metric_utils import SampleLevelMetric
    from lighteval.tasks.requests import SamplingMethod

    return SampleLevelMetric(
        metric_name="lighteval_acc_norm",
        sample_level_fn=LoglikelihoodAcc(logprob_normalization=LogProbCharNorm()),
        category=SamplingMethod.LOGPROBS,
        corpus_level_fn=np.mean,
        higher_is_better=True,
    )


def direct(model, tok, query: str, choices: list[str]) -> list[tuple[float, int, bool]]:
    """Per choice: (summed log-probability, tokens, greedy decoding gives it), by one plain forward pass each."""
    context = BOS + query
    space = context[len(context.rstrip()) :]
    context = context.rstrip() if space else context
    ctx = tok(context, add_special_tokens=False)["input_ids"]
    out = []
    for choice in choices:
        cont = tok(space + choice, add_special_tokens=False)["input_ids"]
        with torch.no_grad():
            logp = torch.log_softmax(model(torch.tensor([ctx + cont])).logits[0].double(), dim=-1)
        pred = logp[len(ctx) - 1 : len(ctx) - 1 + len(cont)]  # position i predicts token i + 1
        lp = float(pred[torch.arange(len(cont)), torch.tensor(cont)].sum())
        out.append((lp, len(cont), pred.argmax(-1).tolist() == cont))
    return out


def expected(item: dict, per_choice: list[tuple[float, int, bool]]) -> dict:
    """The metrics of one item from the direct log-probabilities, written out independently of the code."""
    lps = [lp for lp, _, _ in per_choice]
    gold = item["gold"]
    out = {"logprob": lps[gold]}
    forms = {
        "": lps,
        "_norm": [lp / len(c) for lp, c in zip(lps, item["choices"], strict=True)],
        "_norm_token": [lp / n for lp, (_, n, _) in zip(lps, per_choice, strict=True)],
    }
    for suffix, v in forms.items():
        if len(v) == 1:
            out["acc" + suffix], out["margin" + suffix] = float(per_choice[0][2]), v[0]
        else:
            out["acc" + suffix] = float(max(range(len(v)), key=v.__getitem__) == gold)
            out["margin" + suffix] = v[gold] - float(np.logaddexp.reduce(v))
    return out


def test_every_choice_kind_is_scored_and_the_cloze_tasks_run_through_lighteval(scored):
    ev, _, _, rows = scored
    assert len(CHOICE_KINDS) == 8 and set(rows) == set(CHOICE_KINDS)
    assert {"hellaswag", "arc_easy", "arc_challenge", "piqa", "winogrande", "lambada"} <= set(rows)
    for kind in CHOICE_KINDS:
        assert sorted(r["id"] for r in rows[kind]) == sorted(it["id"] for it in ev.items[kind])
        assert len(rows[kind]) == ITEMS


@pytest.mark.parametrize("kind", CHOICE_KINDS)
def test_lighteval_scores_equal_the_direct_computation(scored, kind):
    ev, model, tok, rows = scored
    by_id = {r["id"]: r for r in rows[kind]}
    for item in ev.items[kind]:
        per_choice = direct(model, tok, item["query"], item["choices"])
        want, got = expected(item, per_choice), by_id[item["id"]]
        # lighteval sums in float32: its rounding grows with the log-probabilities' size (hundreds of nats)
        tol = 1e-4 + 1e-6 * max(abs(lp) for lp, _, _ in per_choice)
        for name, value in want.items():
            assert got[name] == pytest.approx(value, rel=1e-5, abs=tol), (kind, item["id"], name)
        if len(item["choices"]) > 1:  # ours is lighteval's LogProbCharNorm accuracy (one choice: ours is greedy)
            assert got["acc_norm"] == got["lighteval_acc_norm"], (kind, item["id"])


def test_items_discriminate(scored):
    """The comparison is not vacuous: choices' log-probabilities differ, and the normalisations disagree on some
    item (raw and per-character accuracy are different numbers)."""
    ev, _, _, rows = scored
    multi = [r for k in CHOICE_KINDS if k != "lambada" for r in rows[k]]
    assert len({round(r["logprob"], 3) for r in multi}) > len(multi) // 2
    assert all(r["margin"] <= 0 for r in multi) and any(r["acc"] == 1 for r in multi)
    assert any(r["acc"] != r["acc_norm"] or r["acc"] != r["acc_norm_token"] for r in multi)


def test_the_task_metric_selects_the_score(scored):
    """acc_norm for hellaswag, piqa and ARC (as lighteval and FineWeb), acc for the rest; the score is its margin."""
    _, _, _, rows = scored
    norm = {"hellaswag", "piqa", "arc_easy", "arc_challenge"}
    for kind in CHOICE_KINDS:
        want = "margin_norm" if kind in norm else "margin"
        assert all(r["score"] == r[want] for r in rows[kind]), kind


def test_metric_is_checked_and_selectable_in_the_config(shared_data, tmp_path):
    from pydantic import ValidationError

    assert EvalTaskConfig(name="b", kind="blimp", metric="acc_norm_token").metric == "acc_norm_token"
    with pytest.raises(ValidationError, match="unknown metric 'acc_nrom'"):
        EvalTaskConfig(name="b", kind="blimp", metric="acc_nrom")
    with pytest.raises(ValidationError, match="takes no metric"):
        EvalTaskConfig(name="t", kind="bpb", metric="acc")
    tasks = [EvalTaskConfig(name="b", kind="blimp", max_items=2, metric="acc_norm_token")]
    ev = Evaluator(tasks, tmp_path, shared_data, [], seed=0, batch_size=2)
    assert ev.scores == {"b": "margin_norm_token"}
