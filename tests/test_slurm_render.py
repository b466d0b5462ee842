"""The job script a SLURM stage job gets: every #SBATCH value from the recipe's executor.slurm section."""

from __future__ import annotations

import subprocess
from pathlib import Path

from ablations.slurm.submit import render
from pipelines.config import ExecutorConfig


def sbatch_lines(script: str) -> list[str]:
    return [line for line in script.splitlines() if line.startswith("#SBATCH")]


def test_rendered_job_script_carries_the_recipe_values(tmp_path: Path):
    executor = ExecutorConfig(
        kind="slurm",
        slurm={
            "partition": "gpu",
            "account": "books",
            "qos": "high",
            "env_command": "source /opt/fb/bin/activate",
            "sbatch_args": {"constraint": "a100"},
            "training": {"cpus_per_task": 8, "mem_per_cpu_gb": 4, "gpus": 2, "time": "12:00:00"},
        },
    )
    spec = tmp_path / "005-train.json"
    script = render(executor, executor.slurm.training, "fb-x-train", spec, "/logs/%A_%a.log", array=6, processes=2)
    lines = sbatch_lines(script)
    for expected in (
        "#SBATCH --job-name=fb-x-train",
        "#SBATCH --partition=gpu",
        "#SBATCH --account=books",
        "#SBATCH --qos=high",
        "#SBATCH --constraint=a100",
        "#SBATCH --cpus-per-task=8",
        "#SBATCH --mem-per-cpu=4G",
        "#SBATCH --time=12:00:00",
        "#SBATCH --gpus-per-node=2",
        "#SBATCH --array=0-5",
        "#SBATCH --output=/logs/%A_%a.log",
        "#SBATCH --requeue",
        "#SBATCH --kill-on-invalid-dep=yes",
    ):
        assert expected in lines, expected
    assert "source /opt/fb/bin/activate" in script
    assert "--num_processes=2" in script and f"-m ablations.slurm.job {spec}" in script
    path = tmp_path / "job.sbatch"
    path.write_text(script)
    assert subprocess.run(["bash", "-n", str(path)]).returncode == 0


def test_a_plain_job_has_no_optional_directives_and_runs_python(tmp_path: Path):
    executor = ExecutorConfig(kind="slurm", slurm={"env_command": "true"})
    script = render(executor, executor.slurm.processing, "fb-x-driver", tmp_path / "s.json", "/l/%j.log", None)
    text = "\n".join(sbatch_lines(script))
    assert "--account" not in text and "--qos" not in text and "--gpus" not in text and "--array" not in text
    assert script.rstrip().endswith(f"exec python -m ablations.slurm.job {tmp_path / 's.json'}")
