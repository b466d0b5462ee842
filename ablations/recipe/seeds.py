"""Seeds of random plug-ins: a block, candidate or dedup kind that takes a ``seed`` (default None) and is given
none gets one derived from ``experiment.seed`` and its id (``filters.plugins.derived_seed``), pinned in the resolved
recipe: one stage key, one output. ``seed: null`` is refused where parameters are checked (``Registry``)."""

from __future__ import annotations

from typing import Any

from filters.plugins import SEED, Registry, derived_seed


def seed_random_plugins(cfg: Any) -> Any:
    """Give every random plug-in of ``cfg`` (a ``RecipeConfig``: importing it here would be a cycle) that has no
    seed its derived seed, in place; returns ``cfg``."""
    from filters.registry import REGISTRY as BLOCKS
    from pipelines.dedup.config import REGISTRY as DEDUP_KINDS

    seed = cfg.experiment.seed
    for b in cfg.blocks():
        _seed(BLOCKS, b.block, b.params, seed, b.id)
    for d in cfg.dedup:
        _seed(DEDUP_KINDS, d.kind, d.__pydantic_extra__, seed, d.id)
    for c in cfg.ablation.candidates:
        _seed(DEDUP_KINDS if c.section == "dedup" else BLOCKS, c.block, c.params, seed, c.id)
    return cfg


def _seed(registry: Registry, name: str, params: dict[str, Any] | None, experiment_seed: int, item_id: str | None):
    """Give ``params`` the derived seed when the plug-in takes a ``seed`` (default None) and none was given."""
    if params is not None and SEED in registry.parameters(name) and params.get(SEED) is None:
        params[SEED] = derived_seed(experiment_seed, str(item_id))
