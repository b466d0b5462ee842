"""sbatch: render ``slurm/job.sbatch`` for a stage job and submit it, and ask SLURM what became of a job."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from string import Template

from pipelines.config import ExecutorConfig, SlurmResources
from pipelines.executors import env_command

REPO = Path(__file__).resolve().parents[2]
TEMPLATE = REPO / "slurm" / "job.sbatch"


class SlurmError(RuntimeError):
    pass


def accelerate_launch(processes: int, port: str) -> list[str]:
    """``accelerate launch`` of a Python module (named after the returned ``-m``): data-parallel over ``processes``
    GPUs of one node, fp32, its rendezvous on ``port``."""
    return [
        "python",
        "-m",
        "accelerate.commands.launch",
        "--multi_gpu",
        "--num_machines=1",
        f"--num_processes={processes}",
        "--mixed_precision=no",
        "--dynamo_backend=no",
        f"--main_process_port={port}",
        "-m",
    ]


def launcher(processes: int) -> str:
    """How a job starts ``ablations.slurm.job``: ``python -m``, or ``accelerate launch`` over ``processes`` GPUs
    (a port per job, so that jobs sharing a node do not meet)."""
    if processes <= 1:
        return "python -m"
    return " ".join(accelerate_launch(processes, "$((20000 + SLURM_JOB_ID % 10000))"))


def render(
    executor: ExecutorConfig,
    resources: SlurmResources,
    job_name: str,
    spec: Path,
    log: str,
    array: int | None,
    processes: int = 1,
) -> str:
    """The job script: every #SBATCH value from the recipe's ``executor.slurm`` section; ``processes`` > 1 runs the
    job under ``accelerate launch`` (multi-GPU training)."""
    s = executor.slurm
    extra = [f"#SBATCH --{k}={v}" for k, v in s.sbatch_args.items()]
    if s.account:
        extra.append(f"#SBATCH --account={s.account}")
    if s.qos:
        extra.append(f"#SBATCH --qos={s.qos}")
    if resources.gpus:
        extra.append(f"#SBATCH --gpus-per-node={resources.gpus}")
    if array is not None:
        extra.append(f"#SBATCH --array=0-{array - 1}")
    return Template(TEMPLATE.read_text()).substitute(
        job_name=job_name,
        partition=s.partition,
        cpus_per_task=resources.cpus_per_task,
        mem_per_cpu_gb=resources.mem_per_cpu_gb,
        time=resources.time,
        log=log,
        extra_directives="\n".join(extra),
        env_command=env_command(executor),
        repo=REPO,
        launcher=launcher(processes),
        spec=spec,
    )


def sbatch(script: str, script_path: Path, dependency: str | None = None) -> str:
    """Write ``script`` and submit it; the job id."""
    script_path.parent.mkdir(parents=True, exist_ok=True)
    script_path.write_text(script)
    cmd = ["sbatch", "--parsable"] + ([f"--dependency={dependency}"] if dependency else []) + [str(script_path)]
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    except FileNotFoundError as e:
        raise SlurmError("sbatch not found: executor.kind=slurm needs a SLURM client on this machine") from e
    if out.returncode != 0:
        raise SlurmError(f"sbatch {script_path} failed: {out.stderr.strip() or out.stdout.strip()}")
    return out.stdout.strip().split(";")[0]


def job_states(job_ids: list[str]) -> dict[str, str]:
    """SLURM state of each job still known to the controller (array tasks summarised: e.g. 'RUNNING x2,
    PENDING x1'); jobs it has forgotten are left out."""
    ids = [j for j in job_ids if j]
    if not ids:
        return {}
    try:
        out = subprocess.run(
            ["squeue", "-h", "-r", "-o", "%i %T", "-j", ",".join(ids)], capture_output=True, text=True, timeout=60
        )
    except FileNotFoundError as e:
        raise SlurmError("squeue not found: executor.kind=slurm needs a SLURM client on this machine") from e
    states: dict[str, dict[str, int]] = {}
    for line in out.stdout.splitlines():
        task, state = line.split()
        job = task.split("_")[0]
        states.setdefault(job, {})
        states[job][state] = states[job].get(state, 0) + 1
    return {j: ", ".join(f"{s} x{n}" if n > 1 else s for s, n in sorted(c.items())) for j, c in states.items()}


def cancel(job_ids: list[str]) -> None:
    if job_ids:
        subprocess.run(["scancel", *job_ids], capture_output=True, timeout=60)


def write_spec(path: Path, spec: dict) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(spec, indent=1, default=str))
    return path
