"""Train/eval overlap fractions on a constructed case whose n-gram overlap is known item by item."""

import pytest

from ablations.eval.overlap import overlap
from pipelines import jsonl


def test_overlap_fractions_of_a_constructed_case(tmp_path):
    train = tmp_path / "output"
    jsonl.write(train / "00000.jsonl", [{"id": "a", "text": "alpha beta gamma delta epsilon zeta eta theta"}])
    jsonl.write(train / "00001.jsonl", [{"id": "b", "text": "one two three four"}, {"id": "c", "text": "five six"}])
    eval_texts = {
        "long": [
            "Alpha, BETA gamma -- delta epsilon! and more",  # the doc's first 5-gram (case, punctuation ignored)
            "one two three four five six",  # its 5-grams span two documents: not in the training data
            "zeta eta theta iota kappa",  # 3 words of the doc, no whole 5-gram
            "so beta gamma delta epsilon zeta",  # the doc's second 5-gram
        ],
        "short": ["eta theta", "theta alpha", "Gamma."],  # under 5 words: the whole item is the n-gram
        "none": [],
    }
    assert overlap(train, eval_texts, 5) == {"long": 0.5, "short": pytest.approx(2 / 3), "none": 0.0}
    # with 3-grams every long item overlaps ("one two three", "zeta eta theta"); short ones as before
    assert overlap(train, eval_texts, 3) == {"long": 1.0, "short": pytest.approx(2 / 3), "none": 0.0}
