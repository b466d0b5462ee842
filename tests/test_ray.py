"""Processing and dedup through datatrove's RayPipelineExecutor on a local Ray instance, against the local executor."""

from __future__ import annotations

from pathlib import Path

from dedup_util import read
from test_dedup_minhash import SMALL

from pipelines.chain import run_processing
from pipelines.config import BlockSpec, DataConfig, ExecutorConfig, RayConfig
from pipelines.dedup.config import DedupSpec


def test_process_and_dedup_on_ray_equal_the_local_executor(tmp_path: Path, shared_data: Path):
    data = DataConfig(
        sources=[
            {
                "name": "old_books",
                "format": "text",
                "path": str(shared_data / "ocr_pages/old_books/tesseract_otsu_txt"),
                "glob_pattern": "*.txt",
                "book_pattern": r"^([a-z]+)\d+",
            },
            {
                "name": "icdar",
                "format": "icdar2017",
                "path": str(shared_data / "ocr_gold/icdar2017/Full_12M/eng_monograph"),
                "limit": 30,
            },
        ]
    )
    blocks = [BlockSpec(block="book_length", params={"min_words": 2000, "min_pages": 1})]
    dedup = [DedupSpec(kind="minhash", id="minhash", **SMALL)]
    local = ExecutorConfig(tasks=3, workers=1)
    ray = ExecutorConfig(kind="ray", tasks=3, ray=RayConfig(num_cpus=2))

    a = run_processing(data, blocks, dedup, local, tmp_path / "local", progress=False)
    b = run_processing(data, blocks, dedup, ray, tmp_path / "ray", progress=False)

    assert b.folder.name == a.folder.name  # the executor is not part of what a stage computes
    strip = lambda summary: {k: v for k, v in summary.items() if k != "stages"}  # noqa: E731 (stage folders differ)
    assert strip(b.summary) == strip(a.summary)
    assert b.summary["in"]["documents"] == 40 and b.summary["unaccounted"] == 0
    docs_a, docs_b = read(a.folder / "output"), read(b.folder / "output")
    assert docs_b.keys() == docs_a.keys() and len(docs_b) == b.summary["kept"]["documents"]
    assert all(docs_b[k]["text"] == docs_a[k]["text"] for k in docs_a)
    process = Path(b.summary["stages"][0]["folder"])
    assert process.is_relative_to(tmp_path / "ray")
    for rank in range(3):  # datatrove ran every task under Ray and marked it complete
        assert (process / "logs/completions" / f"{rank:05d}").exists()
    import ray as ray_module

    assert ray_module.is_initialized()  # started once for all stages; shut down when the process exits
    ray_module.shutdown()
