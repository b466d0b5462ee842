"""Running a recipe on SLURM: the driver (rounds of jobs), the job entry point, sbatch and status."""
