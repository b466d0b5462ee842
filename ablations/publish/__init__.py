"""Publishing a finished experiment: recipe docs, reproducible Parquet releases with a dataset card, Hub upload."""
