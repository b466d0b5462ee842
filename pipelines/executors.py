"""The datatrove executor of a stage, chosen by the recipe's ``executor`` section.

``run_pipeline`` runs a pipeline to completion on this machine (``local``) or on a Ray cluster (``ray``: datatrove's
``RayPipelineExecutor``; a local Ray instance is started when no address is given). ``submit_pipeline`` hands a
pipeline to SLURM as a job array (datatrove's ``SlurmPipelineExecutor``) and returns at once with the job id: the
ablation driver (``ablations/slurm/``) chains the stages that read its output after it. Inside a SLURM job, stages
that need no array of their own (dedup, tokenizing) run with the local executor on the job's CPUs.

Every executor keeps datatrove's per-task completion markers in ``logging_dir``, so a stage killed part-way resumes
task by task whichever executor runs it next.
"""

from __future__ import annotations

import atexit
import sys
from pathlib import Path

from pipelines.config import ExecutorConfig


def run_pipeline(pipeline: list, tasks: int, workers: int, logging_dir: Path, executor: ExecutorConfig) -> None:
    """Run ``pipeline`` over ``tasks`` tasks and return when all have finished. With ``kind: slurm`` this runs inside
    a job (the job array itself is ``submit_pipeline``'s), so on the job's CPUs with the local executor."""
    if executor.kind == "ray":
        _run_ray(pipeline, tasks, workers, logging_dir, executor)
        return
    from datatrove.executor import LocalPipelineExecutor

    LocalPipelineExecutor(
        pipeline=pipeline,
        tasks=tasks,
        workers=workers,
        logging_dir=str(logging_dir),
        start_method=executor.start_method,
        skip_completed=True,
    ).run()


def _run_ray(pipeline: list, tasks: int, workers: int, logging_dir: Path, executor: ExecutorConfig) -> None:
    import ray
    from datatrove.executor import RayPipelineExecutor

    cfg = executor.ray
    if not ray.is_initialized():  # one instance for every stage of this process; shut down when it exits
        ray.init(address=cfg.address, num_cpus=cfg.num_cpus, include_dashboard=False, log_to_driver=False)
        atexit.register(ray.shutdown)
    RayPipelineExecutor(
        pipeline=pipeline,
        tasks=tasks,
        workers=workers,
        logging_dir=str(logging_dir),
        skip_completed=True,
        cpus_per_task=cfg.cpus_per_task,
        mem_per_cpu_gb=cfg.mem_per_cpu_gb,
    ).run()


def env_command(executor: ExecutorConfig) -> str:
    """The shell line that activates the Python environment inside a SLURM job."""
    if executor.slurm.env_command:
        return executor.slurm.env_command
    activate = Path(sys.prefix) / "bin" / "activate"
    if not activate.exists():
        raise ValueError(
            f"executor.slurm.env_command is not set and {sys.prefix} has no bin/activate: set it to the line that "
            "activates your Python environment in a job (e.g. 'source /path/to/venv/bin/activate')"
        )
    return f"source {activate}"


def submit_pipeline(
    pipeline: list, tasks: int, logging_dir: Path, executor: ExecutorConfig, job_name: str
) -> str | None:
    """Submit ``pipeline`` as a SLURM job array of its unfinished tasks; its job id, or None when every task has
    already finished (nothing to submit)."""
    from datatrove.executor import SlurmPipelineExecutor

    s = executor.slurm
    r = s.processing
    sbatch_args = dict(s.sbatch_args)
    if s.account:
        sbatch_args["account"] = s.account
    slurm = SlurmPipelineExecutor(
        pipeline=pipeline,
        tasks=tasks,
        workers=executor.workers,
        time=r.time,
        partition=s.partition,
        cpus_per_task=r.cpus_per_task,
        mem_per_cpu_gb=r.mem_per_cpu_gb,
        job_name=job_name,
        qos=s.qos or "",
        env_command=env_command(executor),
        sbatch_args=sbatch_args,
        logging_dir=str(logging_dir),
        skip_completed=True,
        mail_type="NONE",
    )
    slurm.run()
    return None if slurm.job_id in (None, -1) else str(slurm.job_id)
