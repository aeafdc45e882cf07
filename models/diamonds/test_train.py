"""Tests of train.py: same inputs give the same metrics and predictions, the two models
are scored on the same rows, the artifacts are what MLServer and the Go gates read, and
testdata/ matches what the default models predict."""

import json
import subprocess
import sys
from pathlib import Path

import joblib
import pandas as pd
import pytest

import preprocess
import train

HERE = Path(__file__).resolve().parent
DATA = HERE.parent / "data"
TESTDATA = HERE / "testdata"
SCHEMA = DATA / "schema.yaml"
TIMING = {"train_seconds"}


@pytest.fixture(scope="module")
def small_csv(tmp_path_factory):
    """The first 3,000 rows of reference.csv, byte for byte: seconds to train."""
    path = tmp_path_factory.mktemp("data") / "small.csv"
    with (DATA / "reference.csv").open("rb") as f:
        path.write_bytes(b"".join(line for _, line in zip(range(3001), f)))
    return path


@pytest.fixture(scope="module")
def small_runs(small_csv, tmp_path_factory):
    """Both models trained on small_csv with the defaults."""
    out = tmp_path_factory.mktemp("runs")
    for kind in train.MODELS:
        assert train.main(["--model", kind, "--data", str(small_csv), "--out", str(out / kind)]) == 0
    return out


def read_metrics(folder: Path) -> dict:
    return json.loads((folder / "metrics.json").read_text())


@pytest.mark.parametrize("kind", train.MODELS)
def test_two_runs_are_identical(kind, small_csv, small_runs, tmp_path):
    # The second run is a separate process, so no state is shared with the first.
    cmd = [sys.executable, str(HERE / "train.py"), "--model", kind, "--data", str(small_csv), "--out", str(tmp_path)]
    subprocess.run(cmd, check=True, capture_output=True)
    first, second = read_metrics(small_runs / kind), read_metrics(tmp_path)
    for key in first.keys() - TIMING:
        assert first[key] == second[key], f"metrics.json[{key!r}] = {second[key]}, want {first[key]}"
    assert (small_runs / kind / "predictions.csv").read_bytes() == (tmp_path / "predictions.csv").read_bytes()


def test_metrics(small_runs, small_csv):
    for kind in train.MODELS:
        m = read_metrics(small_runs / kind)
        assert m["model"] == kind
        for key in ("accuracy", "f1_macro", "f1_weighted", "roc_auc_ovr_macro"):
            assert 0 < m[key] <= 1, f"{kind} {key} = {m[key]}"
        assert m["log_loss"] > 0
        assert m["n_train"] + m["n_test"] == m["data"]["rows"] == 3000
        assert m["n_test"] == 600  # --test-size 0.2
        assert sum(m["class_counts"]["test"].values()) == m["n_test"]
        assert sum(m["class_counts"]["predicted"].values()) == m["n_test"]
        assert m["data"]["sha256"] == preprocess.data_hash(small_csv)
        assert m["seed"] == 42 and m["params"]["random_state"] == 42
        assert set(m["versions"]) >= {"python", "scikit-learn", "numpy", "scipy", "pandas"}
        assert m["train_seconds"] >= 0


def test_predictions_pair_up(small_runs, small_csv):
    """Baseline and candidate are scored on the same rows, named by their place in the file."""
    base = pd.read_csv(small_runs / "baseline" / "predictions.csv")
    cand = pd.read_csv(small_runs / "candidate" / "predictions.csv")
    assert base["row"].tolist() == cand["row"].tolist()
    assert base["y_true"].tolist() == cand["y_true"].tolist()
    source = pd.read_csv(small_csv)
    assert base["y_true"].tolist() == source.loc[base["row"], "cut"].tolist()
    classes = ["Fair", "Good", "Very Good", "Premium", "Ideal"]
    assert list(base.columns) == ["row", "y_true", "y_pred"] + [f"p_{c}" for c in classes]
    proba = cand[[f"p_{c}" for c in classes]]
    assert (proba.sum(axis=1) - 1).abs().max() < 1e-9
    assert cand["y_pred"].tolist() == proba.idxmax(axis=1).str.removeprefix("p_").tolist()


def test_model_artifacts(small_runs):
    batch = pd.read_csv(DATA / "batch-001.csv", nrows=50)
    for kind in train.MODELS:
        settings = json.loads((small_runs / kind / "model" / "model-settings.json").read_text())
        assert settings["name"] == "diamonds"
        assert settings["implementation"] == "mlserver_sklearn.SKLearnModel"
        assert settings["parameters"]["uri"] == "./model.joblib"
        assert settings["parameters"]["version"].startswith(f"{kind}-")
        assert [i["name"] for i in settings["inputs"]] == list(preprocess.load_schema(SCHEMA).features)
        model = joblib.load(small_runs / kind / "model" / "model.joblib")
        x = batch.drop(columns="cut")  # raw columns in, as MLServer hands them over
        assert model.predict_proba(x).shape == (50, 5)
        assert set(model.predict(x)) <= set(model.classes_)


def test_main_names_file_and_missing_column(tmp_path, capsys):
    bad = tmp_path / "no-price.csv"
    pd.read_csv(DATA / "batch-001.csv", nrows=100).drop(columns="price").to_csv(bad, index=False)
    assert train.main(["--model", "baseline", "--data", str(bad), "--out", str(tmp_path / "out")]) == 1
    err = capsys.readouterr().err
    assert "no-price.csv: missing column(s) 'price'" in err, err
    assert not (tmp_path / "out").exists()


def request_frame(request: dict) -> pd.DataFrame:
    """Decode a V2 request the way MLServer's pandas codec does: one input, one column."""
    return pd.DataFrame({i["name"]: i["data"] for i in request["inputs"]})


def test_request_testdata_matches_batch_and_settings(small_runs):
    request = json.loads((TESTDATA / "infer-request.json").read_text())
    expected = json.loads((TESTDATA / "infer-expected.json").read_text())
    settings = json.loads((small_runs / "candidate" / "model" / "model-settings.json").read_text())
    assert request["parameters"] == {"content_type": "pd"}
    assert [(i["name"], i["datatype"]) for i in request["inputs"]] == [
        (i["name"], i["datatype"]) for i in settings["inputs"]
    ]
    batch = pd.read_csv(DATA / "batch-001.csv")
    want = batch.loc[expected["rows"]].drop(columns="cut").reset_index(drop=True)
    pd.testing.assert_frame_equal(request_frame(request), want, check_dtype=False)


@pytest.mark.parametrize("kind", train.MODELS)
def test_default_models_predict_expected_classes(kind, tmp_path):
    """testdata/infer-expected.json holds for both models trained with the defaults
    (the rows were picked where both are right by a wide margin)."""
    train.main(["--model", kind, "--out", str(tmp_path)])
    expected = json.loads((TESTDATA / "infer-expected.json").read_text())
    model = joblib.load(tmp_path / "model" / "model.joblib")
    request = json.loads((TESTDATA / "infer-request.json").read_text())
    assert model.predict(request_frame(request)).tolist() == expected["predict"]
    assert model.classes_.tolist() == expected["predict_proba_classes"]
