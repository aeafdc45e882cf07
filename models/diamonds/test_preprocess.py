"""Tests of preprocess.py: the schema, the input checks both ways, the hash, the
transformer's determinism."""

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import preprocess

DATA = Path(__file__).resolve().parent.parent / "data"
REFERENCE_SHA256 = "a64fcd985ed6dc57b608985475d67b20ec51f140325d738548c1e64795e1db9b"  # models/data/README.md


@pytest.fixture(scope="module")
def schema():
    return preprocess.load_schema(DATA / "schema.yaml")


@pytest.fixture(scope="module")
def sample(schema):
    return preprocess.read_dataset(DATA / "reference.csv", schema).head(500)


def test_schema_columns(schema):
    assert schema.target == "cut"
    assert schema.features == ("carat", "color", "clarity", "depth", "table", "price", "x", "y", "z")
    assert schema.numeric == ("carat", "depth", "table", "price", "x", "y", "z")
    assert schema.categorical == ("color", "clarity")
    assert schema.classes == ("Fair", "Good", "Very Good", "Premium", "Ideal")
    assert schema.types["price"] == "integer"


@pytest.mark.parametrize(
    "doc, want",
    [
        ({"target": "cut"}, "'columns' list"),
        ({"target": "cut", "columns": [{"name": True, "type": "float"}]}, "columns[0] has no name"),
        ({"target": "cut", "columns": [{"name": "a", "type": "text"}]}, "column 'a' has type 'text'"),
        ({"target": "cut", "columns": [{"name": "cut", "type": "category"}]}, "category column 'cut' lists no values"),
        ({"target": "price", "columns": [{"name": "price", "type": "integer"}]}, "target 'price' is not a category"),
    ],
)
def test_schema_from_dict_rejects(doc, want):
    with pytest.raises(preprocess.SchemaError, match=r"^bad\.yaml: ") as err:
        preprocess.schema_from_dict(doc, source="bad.yaml")
    assert want in str(err.value)


def test_validate_accepts_reference(schema, sample):
    preprocess.validate(sample, schema, source="reference.csv")
    preprocess.validate(sample.drop(columns="cut"), schema, source="request", require_target=False)


@pytest.mark.parametrize(
    "change, want",
    [
        (lambda df: df.drop(columns="price"), "data.csv: missing column(s) 'price'"),
        (lambda df: df.drop(columns=["cut", "x"]), "missing column(s) 'x', 'cut'"),
        (lambda df: df.assign(extra=1), "unexpected column(s) 'extra'"),
        (lambda df: df.assign(carat="heavy"), "column 'carat' is"),
        (lambda df: df.assign(depth=np.where(df.index < 3, np.nan, df["depth"])), "null values in 'depth' (3 rows)"),
        (lambda df: df.assign(cut=df["cut"].where(df.index > 0, "Superb")), "unknown class(es) 'Superb'"),
    ],
)
def test_validate_rejects(schema, sample, change, want):
    with pytest.raises(preprocess.SchemaError) as err:
        preprocess.validate(change(sample.copy()), schema, source="data.csv")
    assert want in str(err.value), f"validate() error = {err.value}, want it to contain {want}"


def test_read_dataset_names_file_and_column(schema, tmp_path):
    bad = tmp_path / "no-price.csv"
    pd.read_csv(DATA / "batch-001.csv", nrows=20).drop(columns="price").to_csv(bad, index=False)
    with pytest.raises(preprocess.SchemaError, match=r"no-price\.csv: missing column\(s\) 'price'"):
        preprocess.read_dataset(bad, schema)


def test_read_dataset_keeps_file_rows_as_index(schema):
    df = preprocess.read_dataset(DATA / "batch-001.csv", schema)
    assert len(df) == 10788
    assert list(df.index[:3]) == [0, 1, 2]
    assert df.loc[1, "cut"] == "Fair"  # line 3 of the file


def test_data_hash(tmp_path):
    assert preprocess.data_hash(DATA / "reference.csv") == REFERENCE_SHA256
    f = tmp_path / "f.csv"
    f.write_bytes(b"a,b\n1,2\n")
    assert preprocess.data_hash(f) == hashlib.sha256(b"a,b\n1,2\n").hexdigest()
    f.write_bytes(b"a,b\n1,3\n")
    assert preprocess.data_hash(f) != hashlib.sha256(b"a,b\n1,2\n").hexdigest()


def test_split_xy(schema, sample):
    x, y = preprocess.split_xy(sample, schema)
    assert tuple(x.columns) == schema.features
    assert y.name == "cut" and len(y) == len(x)
    with pytest.raises(preprocess.SchemaError, match="no target column 'cut'"):
        preprocess.split_xy(sample.drop(columns="cut"), schema)


def test_preprocessor_is_deterministic(schema, sample):
    x, _ = preprocess.split_xy(sample, schema)
    a = preprocess.build_preprocessor(schema).fit_transform(x)
    b = preprocess.build_preprocessor(schema).fit_transform(x)
    np.testing.assert_array_equal(a, b)
    # 7 scaled numbers + 7 colours + 8 clarities, whatever the sample holds.
    assert a.shape == (len(x), 22)


def test_preprocessor_columns_come_from_schema(schema, sample):
    x, _ = preprocess.split_xy(sample, schema)
    few = x[x["color"].isin(["E", "F"])]
    names_all = preprocess.build_preprocessor(schema).fit(x).get_feature_names_out()
    names_few = preprocess.build_preprocessor(schema).fit(few).get_feature_names_out()
    assert list(names_all) == list(names_few)
    assert "categorical__color_J" in names_few


def test_preprocessor_ignores_unknown_category(schema, sample):
    x, _ = preprocess.split_xy(sample, schema)
    pre = preprocess.build_preprocessor(schema).fit(x)
    row = x.head(1).assign(color="Z")
    out = pd.DataFrame(pre.transform(row), columns=pre.get_feature_names_out())
    assert out.filter(like="categorical__color_").to_numpy().sum() == 0


def test_import_has_no_side_effects(tmp_path):
    """Importing reads nothing and writes nothing; YAML is loaded only by load_schema."""
    code = "import sys, preprocess; print('yaml' in sys.modules)"
    env = dict(os.environ, PYTHONPATH=str(Path(preprocess.__file__).parent))
    cmd = [sys.executable, "-c", code]
    out = subprocess.run(cmd, cwd=tmp_path, env=env, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
    assert list(tmp_path.iterdir()) == []
