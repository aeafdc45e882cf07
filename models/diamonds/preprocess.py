"""Preprocessing shared by every diamonds model: the schema's columns, input checks,
the X/y split, the data hash and the scikit-learn ColumnTransformer.

Everything here is a pure function of its arguments, except the two readers
(load_schema, read_dataset), which touch only the file they are given. Importing
the module does nothing. The transformer uses scikit-learn classes only, so a
pickled pipeline loads in MLServer without this file.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.preprocessing import OneHotEncoder, StandardScaler

NUMERIC_TYPES = frozenset({"float", "integer"})
CATEGORICAL_TYPES = frozenset({"category"})


class SchemaError(ValueError):
    """A schema or a data file does not meet the contract; the message says where."""


@dataclass(frozen=True)
class Schema:
    """The columns of a data set, as models/data/schema.yaml declares them.

    features keeps the file's column order (without the target): a DataFrame sent
    to a fitted pipeline must have its columns in this order.
    """

    target: str
    features: tuple[str, ...]
    numeric: tuple[str, ...]
    categorical: tuple[str, ...]
    # Allowed values of every category column, the target's included, in schema order.
    categories: Mapping[str, tuple[str, ...]]
    # The schema's type of every column: float, integer or category.
    types: Mapping[str, str]
    source: str = "schema.yaml"

    @property
    def classes(self) -> tuple[str, ...]:
        """The target's classes in schema order (worst to best cut)."""
        return self.categories[self.target]

    @property
    def columns(self) -> tuple[str, ...]:
        """Every column a training file must have: the features, then the target."""
        return self.features + (self.target,)


def schema_from_dict(doc: Mapping, source: str = "schema.yaml") -> Schema:
    """Build a Schema from a parsed schema.yaml document; source names it in errors."""
    if not isinstance(doc, Mapping) or not isinstance(doc.get("columns"), list):
        raise SchemaError(f"{source}: want a mapping with a 'columns' list")
    target = doc.get("target")
    features, numeric, categorical, categories, types = [], [], [], {}, {}
    for i, col in enumerate(doc["columns"]):
        name, kind = (col.get("name"), col.get("type")) if isinstance(col, Mapping) else (None, None)
        if not isinstance(name, str) or not name:
            raise SchemaError(f"{source}: columns[{i}] has no name (a bare y or n is a YAML boolean: quote it)")
        if kind in CATEGORICAL_TYPES:
            values = col.get("values")
            if not values:
                raise SchemaError(f"{source}: category column {name!r} lists no values")
            categories[name] = tuple(str(v) for v in values)
        elif kind not in NUMERIC_TYPES:
            want = ", ".join(sorted(NUMERIC_TYPES | CATEGORICAL_TYPES))
            raise SchemaError(f"{source}: column {name!r} has type {kind!r}, want one of {want}")
        types[name] = kind
        if name == target:
            continue
        features.append(name)
        (categorical if kind in CATEGORICAL_TYPES else numeric).append(name)
    if target not in categories:
        raise SchemaError(f"{source}: target {target!r} is not a category column")
    return Schema(
        target=target,
        features=tuple(features),
        numeric=tuple(numeric),
        categorical=tuple(categorical),
        categories=categories,
        types=types,
        source=source,
    )


def load_schema(path: str | Path) -> Schema:
    """Read a schema.yaml file."""
    import yaml  # only the trainer needs it; the served model does not

    path = Path(path)
    with path.open("rb") as f:
        return schema_from_dict(yaml.safe_load(f), source=str(path))


def data_hash(path: str | Path) -> str:
    """sha256 (hex) of a file's bytes: the data's identity in metrics and lineage."""
    digest = hashlib.sha256()
    with Path(path).open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def validate(df: pd.DataFrame, schema: Schema, source: str, require_target: bool = True) -> None:
    """Check that df has exactly the schema's columns, numbers where numbers belong,
    no nulls and only known target classes. Raise SchemaError naming source.

    Unknown feature categories are allowed: the encoder ignores them, and the data
    gate (pipelines/data) is where a batch's allowed values are enforced.
    """
    want = schema.columns if require_target else schema.features
    have = [str(c) for c in df.columns]
    missing = [c for c in want if c not in have]
    if missing:
        raise SchemaError(
            f"{source}: missing column(s) {', '.join(map(repr, missing))} "
            f"(want {', '.join(want)} as in {schema.source})"
        )
    extra = [c for c in have if c not in want]
    if extra:
        raise SchemaError(f"{source}: unexpected column(s) {', '.join(map(repr, extra))} (not in {schema.source})")
    for name in schema.numeric:
        if not pd.api.types.is_numeric_dtype(df[name]) or pd.api.types.is_bool_dtype(df[name]):
            raise SchemaError(f"{source}: column {name!r} is {df[name].dtype}, want numbers ({schema.source})")
    nulls = {c: int(n) for c, n in df[list(want)].isna().sum().items() if n}
    if nulls:
        where = ", ".join(f"{c!r} ({n} rows)" for c, n in nulls.items())
        raise SchemaError(f"{source}: null values in {where}")
    if require_target:
        unknown = sorted(set(df[schema.target].astype(str)) - set(schema.classes))
        if unknown:
            raise SchemaError(
                f"{source}: target {schema.target!r} has unknown class(es) "
                f"{', '.join(map(repr, unknown))} (want {', '.join(schema.classes)})"
            )


def read_dataset(path: str | Path, schema: Schema) -> pd.DataFrame:
    """Read a CSV data file and validate it. The index is the 0-based data row
    (header not counted), which predictions.csv reports as `row`."""
    path = Path(path)
    # Categories are read as text so that a value like "1" is not turned into a number.
    df = pd.read_csv(path, dtype={c: str for c in schema.categories})
    validate(df, schema, source=str(path))
    return df


def split_xy(df: pd.DataFrame, schema: Schema) -> tuple[pd.DataFrame, pd.Series]:
    """Features in schema order, and the target."""
    if schema.target not in df.columns:
        raise SchemaError(f"split_xy: no target column {schema.target!r}")
    return df.loc[:, list(schema.features)], df[schema.target].astype(str)


def build_preprocessor(schema: Schema) -> ColumnTransformer:
    """Scale the numeric columns, one-hot encode the categorical ones.

    Categories come from the schema, not from the data, so the encoded columns are
    the same whatever sample a model is fitted on; a value outside the schema
    encodes as all zeros instead of failing a live request.
    """
    encoder = OneHotEncoder(
        categories=[list(schema.categories[c]) for c in schema.categorical],
        handle_unknown="ignore",
        sparse_output=False,
    )
    return ColumnTransformer(
        [
            ("numeric", StandardScaler(), list(schema.numeric)),
            ("categorical", encoder, list(schema.categorical)),
        ],
        remainder="drop",
        verbose_feature_names_out=True,
    )
