"""The experiment: recipe schema, run records, and (with the ablation loop) training, evaluation, decisions."""
