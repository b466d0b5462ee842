"""The recipe's error rate, shared among its candidates and within each among its looks and variants.

One verdict at 95% has a 5% chance of a false keep or drop; a recipe of k candidates, each decided at 95%, can carry
up to k x 5%: the chance that at least one of its verdicts is false. ``ablation.multiplicity`` says what a run does:

- ``bonferroni`` (the default): the recipe's error rate ``alpha = 1 - confidence`` is spent candidate by candidate,
  in the loop's order. Each candidate may spend an equal share of what is left, ``(alpha - spent) / candidates
  left``; one decided without training (it removes every book, changes no token, or fails) gives no keep or drop
  that could be false and spends nothing, so its share passes to the candidates after it. Every share is fixed
  before its candidate is looked at, and the shares add up to at most ``alpha``; each candidate's chance of a false
  verdict, whatever was decided before it, is within its share, so the chance of any false keep or drop among the
  recipe's candidates stays within ``alpha`` (a union bound: it holds however the greedy path makes the verdicts
  depend on each other, e.g. a false keep changes what every later candidate is compared with). Holm's step-down
  would decide more, but it needs every candidate's p-value at once, and the greedy loop must decide a candidate
  before it builds the next one on top of it.
- ``none``: each candidate at ``confidence``; the recipe-wide bound is then ``k x alpha``, and it is reported.

Within a candidate its share is split again (Bonferroni, ``per_look_confidence``) among the looks at the same
comparison (inconclusive verdicts buy seeds: up to ``max_seeds - seeds + 1`` looks, a sequential test whose error
would otherwise grow with every look) and among a sweep's variants.
"""

from __future__ import annotations

from dataclasses import dataclass

from ablations.recipe.schema import AblationConfig


def per_look_confidence(confidence: float, seeds: int, max_seeds: int, variants: int = 1) -> float:
    """Confidence of each interval of a candidate allowed an error rate of ``1 - confidence``: inconclusive verdicts
    buy seeds, so there are up to ``max_seeds - seeds + 1`` looks at the same comparison, each spending an equal
    share (Bonferroni); a sweep's ``variants`` are as many comparisons, and the best is chosen among them:
    ``1 - (1 - confidence) / (looks x variants)``."""
    looks = max(1, max_seeds - seeds + 1)
    return 1 - (1 - confidence) / (looks * max(1, variants))


@dataclass
class ErrorBudget:
    """The recipe's error rate ``alpha`` as the loop spends it, one candidate at a time."""

    alpha: float
    candidates: int
    multiplicity: str  # bonferroni | none
    spent: float = 0.0
    turns: int = 0  # candidates whose turn has come

    @classmethod
    def of(cls, ab: AblationConfig) -> ErrorBudget:
        return cls(1 - ab.confidence, len(ab.candidates), ab.multiplicity)

    def share(self) -> float:
        """The error rate the next candidate's verdict may spend."""
        if self.multiplicity == "none":
            return self.alpha
        return (self.alpha - self.spent) / max(1, self.candidates - self.turns)

    def spend(self, share: float, trained: bool) -> None:
        """A candidate was decided: with training it spent ``share``, without it nothing."""
        self.turns += 1
        self.spent += share if trained else 0.0

    def marks(self) -> dict[str, float | int]:
        """What every decision record says of the family: ``family_error``, the bound on the chance of any false
        keep or drop among the recipe's ``family_size`` candidates."""
        bound = self.alpha if self.multiplicity == "bonferroni" else min(1.0, self.candidates * self.alpha)
        return {"family_error": bound, "family_size": self.candidates}


def multiplicity(ab: AblationConfig) -> str:
    """One sentence for reports: what each verdict's confidence means for the recipe's verdicts together."""
    k, alpha = len(ab.candidates), 1 - ab.confidence
    if ab.multiplicity == "none":
        return (
            f"Multiplicity (`ablation.multiplicity: none`): each of the {k} candidates was decided at "
            f"{ab.confidence:.0%}; the chance of any false keep or drop among them is up to {min(1, k * alpha):.0%} "
            f"({k} x {alpha:.0%})."
        )
    return (
        f"Multiplicity (`ablation.multiplicity: bonferroni`): the recipe's error rate {alpha:.0%} is shared among its "
        f"{k} candidates (a candidate decided without training spends none of it), and each candidate's share among "
        "its looks (seeds bought) and variants, hence each interval's confidence: the chance of any false keep or "
        f"drop among the {k} candidates is at most {alpha:.0%}."
    )
