"""Book readers and the builders that turn recipe sections into datatrove pipelines."""
