"""Model files hold data only: the trees exported from scikit-learn predict as scikit-learn does on real rows (with
missing features), and a pickle named as a model file is refused, naming the file, without running anything."""

from __future__ import annotations

import json
import pickle
import zipfile
from pathlib import Path

import numpy as np
import pytest
from cleanup_util import book, run
from datatrove.data import Document
from helpers import Plant
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
from threadpoolctl import threadpool_limits

from filters.cleanup.line_model import LineModel, LineModelError
from filters.cleanup.line_model import fit_estimator as fit_lines
from filters.cleanup.line_model import load_model as load_lines
from filters.cleanup.page_furniture import PageFurniture
from filters.layout import FURNITURE
from filters.model_file import HEADER, ModelFileError, load_model_file, save_model_file
from filters.signals.cer_estimate import CerEstimateSignal
from filters.signals.cer_features import FEATURES, LANGUAGE_FEATURES
from filters.signals.cer_gold import read_gold
from filters.signals.cer_model import FORMAT, CerModel, featurize
from filters.signals.cer_model import fit_estimator as fit_cer
from filters.signals.cer_model import load_model as load_cer
from filters.trees import Trees
from pipelines.train_line_roles import examples, read_set

ICDAR19 = "ocr_gold/icdar2019/evaluation_4M_without_Finnish"


@pytest.fixture(autouse=True)
def one_thread():
    """scikit-learn on one OpenMP thread: its thread pool costs seconds per call on a busy machine (cer_model)."""
    with threadpool_limits(limits=1, user_api="openmp"):
        yield


@pytest.fixture(scope="module")
def cer_data(shared_data):
    """Feature rows of real OCR pages (English and French ICDAR2019), their CER and collection."""
    pages = [p for sub in ("EN/EN1", "FR/FR2") for p in read_gold(f"icdar:{shared_data / ICDAR19 / sub}")]
    rows, _ = featurize(pages)
    return rows, [p.cer for p in pages], [p.collection for p in pages]


@pytest.fixture(scope="module")
def cer_file(cer_data, tmp_path_factory) -> tuple[Path, HistGradientBoostingRegressor]:
    rows, cer, collections = cer_data
    est = fit_cer(rows, cer, collections, seed=0, params={"max_iter": 80})
    path = tmp_path_factory.mktemp("cer") / "cer.npz"
    CerModel(Trees.from_sklearn(est), record={"pages": len(rows)}).save(path)
    return path, est


def with_missing(rows: np.ndarray) -> np.ndarray:
    """The rows, then the rows with their language features missing (as for a language without resources)."""
    blank = rows.copy()
    blank[:, [FEATURES.index(f) for f in LANGUAGE_FEATURES]] = np.nan
    return np.vstack([rows, blank])


def test_the_cer_model_file_predicts_as_scikit_learn_with_missing_features(cer_data, cer_file):
    path, est = cer_file
    X = with_missing(cer_data[0])
    trees = Trees.from_sklearn(est)
    inner = ~trees.leaf
    assert trees.missing_left[inner].any() and not trees.missing_left[inner].all()  # missing values go both ways
    np.testing.assert_allclose(trees.predict(X), est.predict(X), rtol=0, atol=1e-12)
    loaded = load_cer(path)
    assert loaded.record == {"pages": len(cer_data[0])}
    np.testing.assert_allclose(loaded.predict(X), np.clip(est.predict(X), 0, 1) ** 2, rtol=0, atol=1e-12)


def test_the_line_model_file_gives_scikit_learns_probabilities(shared_data, tmp_path):
    counts = {}
    rows, labels, groups = examples(read_set(f"alto:{shared_data / 'ocr_images/fr_16c'}", counts)[1])
    est, _ = fit_lines(rows, labels, groups, params={"max_iter": 60})
    held, _, _ = examples(read_set(f"alto:{shared_data / 'ocr_images/fr_18c'}", counts)[1])
    X = np.asarray(held + rows, dtype=float)
    assert np.isnan(X).any() and len(est.classes_) > 2
    np.testing.assert_allclose(Trees.from_sklearn(est).predict_proba(X), est.predict_proba(X), rtol=0, atol=1e-12)
    path = tmp_path / "lines.npz"
    LineModel(Trees.from_sklearn(est), tuple(est.classes_)).save(path)
    np.testing.assert_allclose(load_lines(path).proba(X), est.predict_proba(X), rtol=0, atol=1e-12)
    binary = HistGradientBoostingClassifier(max_iter=60, random_state=0).fit(rows, np.isin(labels, FURNITURE))
    np.testing.assert_allclose(Trees.from_sklearn(binary).predict_proba(X), binary.predict_proba(X), atol=1e-12)


def test_categorical_splits_are_not_exported():
    X = np.array([[0.0, 1.0], [1.0, 0.0], [2.0, 1.0], [0.0, 0.0]] * 30)
    est = HistGradientBoostingRegressor(max_iter=3, categorical_features=[0], min_samples_leaf=5)
    with pytest.raises(ValueError, match="categorical"):
        Trees.from_sklearn(est.fit(X, X[:, 0] == 1))


@pytest.mark.parametrize("name", ["evil.joblib", "evil.npz"])
def test_a_pickle_named_as_a_model_file_is_refused_without_running_it(name, tmp_path):
    marker, path = tmp_path / "planted", tmp_path / name
    path.write_bytes(pickle.dumps({"format": FORMAT, "estimator": Plant(marker)}))
    doc = Document(text="Ein Buch mit etwas Text darin.", id="b", metadata={})
    with pytest.raises(ModelFileError, match=f"{path}: not a CER estimator model file but a pickle") as cer:
        list(CerEstimateSignal(str(path)).run(iter([doc])))
    assert f"python -m filters.signals.train_cer --gold icdar:<OCR/gold folder> --out {path.with_suffix('.npz')}" in (
        str(cer.value)
    )
    with pytest.raises(LineModelError, match=f"page_furniture: line_model: {path}: .*pickle.*train_line_roles"):
        run(PageFurniture(line_model=str(path)), book("a line", "another"))
    with pytest.raises(ModelFileError, match="unpickling runs whatever code the file holds"):
        load_lines(path)
    assert not marker.exists()


def test_an_object_array_in_a_model_file_is_refused_without_running_it(cer_file, tmp_path):
    marker, path = tmp_path / "planted", tmp_path / "objects.npz"
    with zipfile.ZipFile(cer_file[0]) as good, zipfile.ZipFile(path, "w") as bad:
        for name in good.namelist():
            if name != "value.npy":
                bad.writestr(name, good.read(name))
        with bad.open("value.npy", "w") as f:
            np.lib.format.write_array(f, np.array([Plant(marker)], dtype=object), allow_pickle=True)
    with pytest.raises(ModelFileError, match=f"{path}: not a CER estimator model file .*allow_pickle=False"):
        load_cer(path)
    assert not marker.exists()


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda a: a["left"].__setitem__(np.flatnonzero(~a["leaf"])[0], 10**9), "left out of range"),
        (lambda a: a["right"].__setitem__(np.flatnonzero(~a["leaf"])[1], 0), "a node is reached twice"),
        (lambda a: a.pop("threshold"), r"no arrays \['threshold'\]"),
        (lambda a: a.__setitem__("value", a["value"].astype(np.complex128)), "wrong type"),
    ],
)
def test_damaged_trees_are_a_clear_error_naming_the_file(cer_file, tmp_path, damage, message):
    header, arrays = load_model_file(cer_file[0], FORMAT, "CER estimator model", "train")
    arrays = {k: v.copy() for k, v in arrays.items()}
    damage(arrays)
    path = tmp_path / "damaged.npz"
    save_model_file(path, {k: v for k, v in header.items() if k != "record"}, arrays, header["record"])
    with pytest.raises(ModelFileError, match=f"{path}: not a CER estimator model file \\(its trees: .*{message}"):
        load_cer(path)


def test_the_header_is_plain_json_and_the_record_is_written_beside_it(cer_file):
    path, _ = cer_file
    with zipfile.ZipFile(path) as z:
        header = json.loads(z.read(HEADER))
        arrays = Trees.from_sklearn(cer_file[1]).arrays()
        assert sorted(z.namelist()) == sorted([HEADER, *(f"{k}.npy" for k in arrays)])
    assert header["format"] == FORMAT and header["features"] == list(FEATURES)
    assert header["trees"] == {"kind": "regression", "n_features": len(FEATURES)}
    assert json.loads(Path(f"{path}.json").read_text())["pages"] == header["record"]["pages"]
    loaded = np.load(path, allow_pickle=False)  # an .npz NumPy reads as it is
    assert set(loaded.files) >= {"roots", "value"}
