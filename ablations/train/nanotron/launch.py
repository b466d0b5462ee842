"""The sbatch script of a nanotron run, rendered from ``slurm/nanotron.sbatch`` (a ``string.Template``)."""

from __future__ import annotations

import re
from pathlib import Path
from string import Template

import yaml

TEMPLATE = Path(__file__).resolve().parents[3] / "slurm" / "nanotron.sbatch"
DEFAULT_RUN_TRAIN = "${NANOTRON_DIR:-}/run_train.py"  # expanded by the job's shell when no --nanotron-dir is given
_WORD = re.compile(r"^[A-Za-z0-9_.,:=+@/-]+$")  # what an #SBATCH value may hold (no spaces, quotes or $)


class LaunchError(ValueError):
    """A launch parameter that would make a wrong or broken script; the message names it."""


def world_size(config: dict) -> int:
    """Processes nanotron expects: dp * tp * pp of the config's ``parallelism`` section."""
    p = config["parallelism"]
    return int(p["dp"]) * int(p["tp"]) * int(p["pp"])


def render_sbatch(
    config_path: str | Path,
    gpus_per_node: int,
    nodes: int = 1,
    time: str = "24:00:00",
    partition: str | None = None,
    account: str | None = None,
    cpus_per_task: int | None = None,
    activate: str = "",
    nanotron_dir: str | Path | None = None,
    job_name: str | None = None,
    log_dir: str | Path | None = None,
) -> str:
    """The script text; its torchrun starts ``nodes * gpus_per_node`` processes, which must equal dp*tp*pp."""
    config_path = Path(config_path).resolve()
    if not config_path.is_file():
        raise LaunchError(f"{config_path}: nanotron config not found (write it first with write_config)")
    config = yaml.safe_load(config_path.read_text(encoding="utf-8"))
    if nodes < 1 or gpus_per_node < 1:
        raise LaunchError(f"nodes ({nodes}) and gpus per node ({gpus_per_node}) must be at least 1")
    if nodes * gpus_per_node != world_size(config):
        raise LaunchError(
            f"{nodes} node(s) x {gpus_per_node} GPU(s) = {nodes * gpus_per_node} processes, but {config_path} "
            f"expects dp*tp*pp = {world_size(config)}: regenerate the config with --gpus {nodes * gpus_per_node}"
        )
    job_name = job_name or str(config["general"]["run"])
    log_dir = Path(log_dir).resolve() if log_dir else config_path.parent
    cpus = cpus_per_task if cpus_per_task is not None else 8 * gpus_per_node
    run_train = str(Path(nanotron_dir).resolve() / "run_train.py") if nanotron_dir else DEFAULT_RUN_TRAIN
    for key, value in {"job name": job_name, "time": time, "partition": partition, "account": account}.items():
        if value is not None and not _WORD.match(value):
            raise LaunchError(f"{key} {value!r}: #SBATCH values may not hold spaces, quotes or '$'")
    for key, value in {"config": str(config_path), "log dir": str(log_dir), "run_train.py": run_train}.items():
        if any(c in value for c in '"`\n') or ("$" in value and value != DEFAULT_RUN_TRAIN):
            raise LaunchError(f"{key} path {value!r} holds a quote, backquote, '$' or newline")
    if "\n" in activate:
        raise LaunchError("the activation command must be one line (join commands with &&)")
    if cpus < 1:
        raise LaunchError(f"cpus per task ({cpus}) must be at least 1")
    return Template(TEMPLATE.read_text(encoding="utf-8")).substitute(
        job_name=job_name,
        partition_line=f"#SBATCH --partition={partition}" if partition else "# (no --partition: the cluster default)",
        account_line=f"#SBATCH --account={account}" if account else "# (no --account: the user default)",
        nodes=nodes,
        gpus_per_node=gpus_per_node,
        cpus_per_task=cpus,
        time=time,
        log_dir=log_dir,
        activate=activate or "# (no --activate: nanotron and torchrun come from the environment sbatch was run in)",
        run_train=run_train,
        config=config_path,
    )


def write_sbatch(config_path: str | Path, out: str | Path | None = None, **params) -> Path:
    """Render the script beside the config (``train.sbatch``) or to ``out``; return its path."""
    text = render_sbatch(config_path, **params)
    path = Path(out) if out else Path(config_path).resolve().parent / "train.sbatch"
    path.write_text(text, encoding="utf-8")
    path.chmod(0o755)
    return path
