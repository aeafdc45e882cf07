"""Train a diamonds `cut` classifier, evaluate it on a held-out split, and write an
MLServer-loadable model with its metrics and per-example predictions.

    python train.py --model baseline  --out /tmp/diamonds/baseline
    python train.py --model candidate --out /tmp/diamonds/candidate

--out gets model/model.joblib, model/model-settings.json, metrics.json and
predictions.csv. The split depends only on --data, --seed and --test-size, so a
baseline and a candidate trained with the same three are evaluated on the same rows
(paired tests such as McNemar's compare them row by row).
"""

from __future__ import annotations

import argparse
import csv
import json
import platform
import sys
import time
from pathlib import Path

import joblib
import numpy as np
import pandas as pd
import scipy
import sklearn
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, f1_score, log_loss, precision_recall_fscore_support, roc_auc_score
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline
from threadpoolctl import threadpool_limits

import preprocess

HERE = Path(__file__).resolve().parent
DATA = HERE.parent / "data"
MODEL_NAME = "diamonds"
MODELS = ("baseline", "candidate")


def build_model(kind: str, seed: int):
    """The estimator behind the preprocessing step, by kind."""
    if kind == "baseline":
        # Multinomial logistic regression on scaled numbers and one-hot categories.
        return LogisticRegression(C=1.0, max_iter=2000, random_state=seed)
    if kind == "candidate":
        # Histogram boosting: seconds on 35k rows and 2 cores, where GradientBoosting
        # (exact splits, one tree per class per round) takes minutes.
        return HistGradientBoostingClassifier(
            learning_rate=0.1,
            max_iter=300,
            max_leaf_nodes=31,
            early_stopping=True,
            validation_fraction=0.1,
            n_iter_no_change=10,
            random_state=seed,
        )
    raise ValueError(f"unknown model {kind!r}, want one of {', '.join(MODELS)}")


def build_pipeline(kind: str, schema: preprocess.Schema, seed: int) -> Pipeline:
    """Raw feature columns in, class labels and probabilities out."""
    return Pipeline([("preprocess", preprocess.build_preprocessor(schema)), ("model", build_model(kind, seed))])


def evaluate(
    pipeline: Pipeline, x_test: pd.DataFrame, y_test: pd.Series, schema: preprocess.Schema
) -> tuple[dict, pd.DataFrame]:
    """Metrics on the held-out split, and one row of predictions per example."""
    classes = list(pipeline.classes_)
    proba = pipeline.predict_proba(x_test)
    y_pred = np.asarray(classes, dtype=object)[proba.argmax(axis=1)]
    labels = list(schema.classes)
    precision, recall, f1, support = precision_recall_fscore_support(y_test, y_pred, labels=labels, zero_division=0)
    metrics = {
        "accuracy": accuracy_score(y_test, y_pred),
        "f1_macro": f1_score(y_test, y_pred, labels=labels, average="macro", zero_division=0),
        "f1_weighted": f1_score(y_test, y_pred, labels=labels, average="weighted", zero_division=0),
        "roc_auc_ovr_macro": roc_auc_score(y_test, proba, multi_class="ovr", average="macro", labels=classes),
        "log_loss": log_loss(y_test, proba, labels=classes),
        "per_class": {
            c: {"precision": float(p), "recall": float(r), "f1": float(f), "support": int(s)}
            for c, p, r, f, s in zip(labels, precision, recall, f1, support)
        },
    }
    predictions = pd.DataFrame({"row": x_test.index, "y_true": y_test.to_numpy(), "y_pred": y_pred})
    for c in labels:  # schema order, whatever order the estimator keeps
        predictions[f"p_{c}"] = proba[:, classes.index(c)]
    return {k: v if isinstance(v, dict) else float(v) for k, v in metrics.items()}, predictions


def counts(labels, order) -> dict:
    values = pd.Series(labels).value_counts()
    return {c: int(values.get(c, 0)) for c in order}


def jsonable_params(estimator) -> dict:
    """The estimator's hyperparameters that JSON can hold (all of ours)."""
    return {
        k: v for k, v in sorted(estimator.get_params().items()) if v is None or isinstance(v, (bool, int, float, str))
    }


def versions() -> dict:
    return {
        "python": platform.python_version(),
        "scikit-learn": sklearn.__version__,
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "pandas": pd.__version__,
        "joblib": joblib.__version__,
    }


def model_settings(kind: str, data_sha256: str, schema: preprocess.Schema) -> dict:
    """MLServer's model-settings.json. Declaring the inputs and the "pd" content type
    here lets a request that omits content types still decode to a DataFrame."""
    inputs = []
    for name in schema.features:
        spec = {"name": name, "shape": [-1, 1]}
        if name in schema.categorical:
            spec.update(datatype="BYTES", parameters={"content_type": "str"})
        else:
            spec["datatype"] = "INT64" if schema.types[name] == "integer" else "FP64"
        inputs.append(spec)
    return {
        "name": MODEL_NAME,
        "implementation": "mlserver_sklearn.SKLearnModel",
        "parameters": {
            "uri": "./model.joblib",
            "version": f"{kind}-{data_sha256[:12]}",
            "content_type": "pd",
        },
        "inputs": inputs,
        "outputs": [
            {"name": "predict", "datatype": "BYTES", "shape": [-1, 1]},
            {"name": "predict_proba", "datatype": "FP64", "shape": [-1, len(schema.classes)]},
        ],
    }


def write_json(path: Path, doc: dict) -> None:
    path.write_text(json.dumps(doc, indent=2, sort_keys=False) + "\n")


def train(kind: str, data: Path, schema_path: Path, out: Path, seed: int, test_size: float, threads: int = 1) -> dict:
    """Fit, evaluate and write every artifact; return the metrics document."""
    schema = preprocess.load_schema(schema_path)
    df = preprocess.read_dataset(data, schema)
    sha = preprocess.data_hash(data)
    x, y = preprocess.split_xy(df, schema)
    x_train, x_test, y_train, y_test = train_test_split(x, y, test_size=test_size, random_state=seed, stratify=y)

    pipeline = build_pipeline(kind, schema, seed)
    # OpenMP and BLAS threads spin while they wait: on two shared cores, two threads
    # ran the candidate 7x slower than one whenever the other core was busy.
    with threadpool_limits(limits=threads):
        started = time.perf_counter()
        pipeline.fit(x_train, y_train)
        seconds = time.perf_counter() - started
        metrics, predictions = evaluate(pipeline, x_test, y_test, schema)

    model_dir = out / "model"
    model_dir.mkdir(parents=True, exist_ok=True)
    joblib.dump(pipeline, model_dir / "model.joblib")
    write_json(model_dir / "model-settings.json", model_settings(kind, sha, schema))
    predictions.to_csv(out / "predictions.csv", index=False, quoting=csv.QUOTE_MINIMAL, float_format="%.17g")

    estimator = pipeline.named_steps["model"]
    doc = {
        "model": kind,
        "estimator": type(estimator).__name__,
        **{k: metrics[k] for k in ("accuracy", "f1_macro", "f1_weighted", "roc_auc_ovr_macro", "log_loss")},
        "per_class": metrics["per_class"],
        "class_counts": {
            "train": counts(y_train, schema.classes),
            "test": counts(y_test, schema.classes),
            "predicted": counts(predictions["y_pred"], schema.classes),
        },
        "n_train": len(x_train),
        "n_test": len(x_test),
        "classes": list(schema.classes),
        # predict_proba's columns (MLServer's too) follow the estimator's sorted classes.
        "predict_proba_classes": [str(c) for c in pipeline.classes_],
        "features": list(schema.features),
        "data": {"file": data.name, "sha256": sha, "rows": len(df)},
        "model_sha256": preprocess.data_hash(model_dir / "model.joblib"),
        "seed": seed,
        "threads": threads,
        "test_size": test_size,
        "params": jsonable_params(estimator),
        "n_iter": int(np.max(estimator.n_iter_)),  # solver iterations or boosting rounds
        "versions": versions(),
        "train_seconds": round(seconds, 3),
    }
    write_json(out / "metrics.json", doc)
    return doc


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument(
        "--model", choices=MODELS, required=True, help="baseline (logistic regression) or candidate (gradient boosting)"
    )
    p.add_argument(
        "--data", type=Path, default=DATA / "reference.csv", help="training CSV (default: ../data/reference.csv)"
    )
    p.add_argument(
        "--schema", type=Path, default=DATA / "schema.yaml", help="data schema (default: ../data/schema.yaml)"
    )
    p.add_argument("--out", type=Path, required=True, help="output folder")
    p.add_argument("--seed", type=int, default=42, help="seed of the split and the model (default 42)")
    p.add_argument("--test-size", type=float, default=0.2, help="held-out fraction (default 0.2)")
    p.add_argument("--threads", type=int, default=1, help="OpenMP/BLAS threads for fitting (default 1)")
    args = p.parse_args(argv)
    if not 0 < args.test_size < 1:
        p.error(f"--test-size {args.test_size} must be between 0 and 1")
    if args.threads < 1:
        p.error(f"--threads {args.threads} must be at least 1")
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    try:
        doc = train(args.model, args.data, args.schema, args.out, args.seed, args.test_size, args.threads)
    except (preprocess.SchemaError, FileNotFoundError) as err:
        print(f"train: {err}", file=sys.stderr)
        return 1
    print(
        f"train: {args.model} accuracy={doc['accuracy']:.4f} f1_macro={doc['f1_macro']:.4f} "
        f"roc_auc={doc['roc_auc_ovr_macro']:.4f} log_loss={doc['log_loss']:.4f} "
        f"in {doc['train_seconds']:.1f}s -> {args.out}",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
