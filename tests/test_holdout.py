"""Held-out evaluation documents: chosen by a seeded hash of their id, text optionally from another source."""

from ablations.eval.holdout import holdout_documents
from ablations.recipe.schema import HoldoutConfig
from pipelines.config import DataConfig

ENG = "ocr_gold/icdar2017/Full_12M/eng_monograph"


def data(shared):
    return DataConfig.model_validate(
        {"sources": [{"name": "icdar", "format": "icdar2017", "side": "ocr", "path": str(shared / ENG), "limit": 30}]}
    )


def test_held_out_ids_are_seeded_and_their_text_can_come_from_the_gold_side(shared_data):
    cfg = HoldoutConfig(source="icdar", documents=5)
    ocr = holdout_documents(data(shared_data), cfg, seed=0)
    assert len(ocr) == 5 and ocr == holdout_documents(data(shared_data), cfg, seed=0)
    assert set(ocr) != set(holdout_documents(data(shared_data), cfg, seed=1))
    gold_cfg = HoldoutConfig.model_validate(
        {
            "source": "icdar",
            "documents": 5,
            "text_source": {"name": "g", "format": "icdar2017", "side": "gold", "path": str(shared_data / ENG)},
        }
    )
    gold = holdout_documents(data(shared_data), gold_cfg, seed=0)
    assert list(gold) == list(ocr)  # the same held-out books (ids of the training source)...
    assert all("@" not in t for t in gold.values()) and gold != ocr  # ...with their gold text
