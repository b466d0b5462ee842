"""The trainer's CPU thread count: by default the CPUs this process may actually use (its affinity, which a
container, ``taskset`` or SLURM's cgroup narrows, and ``SLURM_CPUS_PER_TASK`` when set), shared among the
processes of one ``accelerate launch`` on the node; ``os.cpu_count()`` counts the whole machine, and threads beyond
the usable CPUs spin-wait against each other (issue #14: 50 times slower on a shared node)."""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping

logger = logging.getLogger(__name__)
_warned: set[tuple[int, int]] = set()


def usable_cpus(affinity: set[int] | None, env: Mapping[str, str]) -> int:
    """CPUs one training process may use: the affinity set (None: unknown, ``os.cpu_count()``), at most
    ``SLURM_CPUS_PER_TASK``, divided among ``LOCAL_WORLD_SIZE`` processes on this node; at least 1."""
    cpus = len(affinity) if affinity else (os.cpu_count() or 1)
    slurm = env.get("SLURM_CPUS_PER_TASK", "")
    if slurm.isdigit() and int(slurm) > 0:
        cpus = min(cpus, int(slurm))
    local = env.get("LOCAL_WORLD_SIZE", "")
    if local.isdigit() and int(local) > 1:
        cpus //= int(local)
    return max(1, cpus)


def process_affinity() -> set[int] | None:
    """The CPUs this process may run on (None where the platform does not say, e.g. macOS)."""
    getter = getattr(os, "sched_getaffinity", None)
    return set(getter(0)) if getter else None


def training_threads(requested: int, usable: int) -> int:
    """``training.threads`` resolved: 0 is ``usable``; more than ``usable`` is kept, with one warning per process."""
    if requested == 0:
        return usable
    if requested > usable and (requested, usable) not in _warned:
        _warned.add((requested, usable))
        logger.warning(
            "training.threads=%d but this process may use %d CPUs (affinity / SLURM_CPUS_PER_TASK): threads beyond "
            "them wait on each other and training slows down many times; set training.threads: 0 (the usable CPUs)",
            requested,
            usable,
        )
    return requested


def default_threads(requested: int) -> int:
    """The thread count for this process: ``training_threads`` over its affinity and environment."""
    return training_threads(requested, usable_cpus(process_affinity(), os.environ))
