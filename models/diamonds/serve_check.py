"""Serve a trained model with a real MLServer and replay the V2 request in testdata/.

    python serve_check.py request --settings OUT/model/model-settings.json --rows 9,11,14
        writes testdata/infer-request.json from those rows of models/data/batch-001.csv
    python serve_check.py check --mlserver VENV/bin/mlserver --model-dir OUT/model
        starts `mlserver start OUT/model` on free loopback ports, sends the request,
        compares the predicted classes with testdata/infer-expected.json, stops the
        server, and prints the response on stdout

Standard library only, so it runs from any Python 3.11 next to the serving venv.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
TESTDATA = HERE / "testdata"
BATCH = HERE.parent / "data" / "batch-001.csv"


def build_request(settings: dict, rows: list[dict]) -> dict:
    """A V2 request with one input per feature column, in the model's column order.

    The request-level content_type "pd" makes MLServer decode the inputs into a
    DataFrame (one input = one column); "str" marks text columns so that gRPC clients,
    which send BYTES, get strings back. The outputs ask for classes and probabilities.
    """
    inputs = []
    for spec in settings["inputs"]:
        name, datatype = spec["name"], spec["datatype"]
        convert = {"BYTES": str, "INT64": int, "FP64": float}[datatype]
        values = [convert(r[name]) for r in rows]
        tensor = {"name": name, "shape": [len(rows), 1], "datatype": datatype, "data": values}
        if datatype == "BYTES":
            tensor["parameters"] = {"content_type": "str"}
        inputs.append(tensor)
    return {
        "parameters": {"content_type": "pd"},
        "inputs": inputs,
        "outputs": [{"name": "predict"}, {"name": "predict_proba"}],
    }


def free_port() -> int:
    """A port the kernel picks; MLServer binds it a moment later (a small race)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http(method: str, url: str, body: dict | None = None, timeout: float = 10) -> tuple[int, dict]:
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method=method, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return resp.status, json.loads(resp.read() or b"{}")
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read() or b"{}")


def stop(proc: subprocess.Popen) -> None:
    """Stop the server we started: its own process group, by its PID."""
    if proc.poll() is not None:
        return
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def wait_ready(proc: subprocess.Popen, base: str, name: str, version: str, deadline: float) -> None:
    """Wait until *our* server has loaded *our* model: the process is alive and the
    metadata names the version from model-settings.json (another server on a reused
    port would not)."""
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"mlserver exited with {proc.returncode} before it was ready")
        try:
            status, meta = http("GET", f"{base}/v2/models/{name}/versions/{version}", timeout=2)
            if status == 200 and meta.get("name") == name:
                ready, _ = http("GET", f"{base}/v2/models/{name}/versions/{version}/ready", timeout=2)
                if ready == 200:
                    return
        except (OSError, ValueError):
            pass
        time.sleep(0.5)
    raise TimeoutError("mlserver was not ready in time")


def check(mlserver: str, model_dir: Path, request: dict, expected: dict, timeout: float) -> dict:
    settings = json.loads((model_dir / "model-settings.json").read_text())
    name, version = settings["name"], settings["parameters"]["version"]
    http_port, grpc_port, metrics_port = free_port(), free_port(), free_port()
    env = dict(
        os.environ,
        MLSERVER_HOST="127.0.0.1",
        MLSERVER_HTTP_PORT=str(http_port),
        MLSERVER_GRPC_PORT=str(grpc_port),
        MLSERVER_METRICS_PORT=str(metrics_port),
        MLSERVER_METRICS_ENDPOINT="",  # empty disables the metrics server
        MLSERVER_PARALLEL_WORKERS="0",  # infer in the main process: one PID to stop
    )
    base = f"http://127.0.0.1:{http_port}"
    with tempfile.TemporaryDirectory(prefix="ferry-mlserver-") as cwd, open(Path(cwd) / "mlserver.log", "w+") as log:
        proc = subprocess.Popen(
            [mlserver, "start", str(model_dir.resolve())],
            cwd=cwd,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            wait_ready(proc, base, name, version, time.monotonic() + timeout)
            status, response = http("POST", f"{base}/v2/models/{name}/infer", request, timeout=30)
        except Exception:
            log.seek(0)
            sys.stderr.write(log.read()[-4000:])
            raise
        finally:
            stop(proc)
    if status != 200:
        raise RuntimeError(f"POST /v2/models/{name}/infer: HTTP {status}: {response}")
    outputs = {o["name"]: o for o in response["outputs"]}
    got = outputs["predict"]["data"]
    if got != expected["predict"]:
        raise AssertionError(f"predict = {got}, want {expected['predict']} ({version})")
    proba = outputs["predict_proba"]
    want_shape = [len(got), len(expected["predict_proba_classes"])]
    if proba["shape"] != want_shape:
        raise AssertionError(f"predict_proba shape = {proba['shape']}, want {want_shape}")
    return response


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    req = sub.add_parser("request", help="write testdata/infer-request.json from batch rows")
    req.add_argument("--settings", type=Path, required=True, help="a trained model's model-settings.json")
    req.add_argument("--rows", required=True, help="0-based data rows of --data, comma-separated")
    req.add_argument("--data", type=Path, default=BATCH, help="CSV to take rows from (default batch-001.csv)")
    req.add_argument("--out", type=Path, default=TESTDATA / "infer-request.json")
    chk = sub.add_parser("check", help="serve a model with MLServer and replay the request")
    chk.add_argument("--mlserver", default="mlserver", help="the mlserver executable of the serving venv")
    chk.add_argument("--model-dir", type=Path, required=True, help="folder with model-settings.json and model.joblib")
    chk.add_argument("--request", type=Path, default=TESTDATA / "infer-request.json")
    chk.add_argument("--expected", type=Path, default=TESTDATA / "infer-expected.json")
    chk.add_argument("--timeout", type=float, default=120, help="seconds to wait for the model to load")
    args = p.parse_args(argv)

    if args.cmd == "request":
        settings = json.loads(args.settings.read_text())
        with args.data.open(newline="") as f:
            table = list(csv.DictReader(f))
        rows = [table[int(i)] for i in args.rows.split(",")]
        args.out.write_text(json.dumps(build_request(settings, rows), indent=2) + "\n")
        print(f"serve_check: wrote {args.out}", file=sys.stderr)
        return 0

    request = json.loads(args.request.read_text())
    expected = json.loads(args.expected.read_text())
    try:
        response = check(args.mlserver, args.model_dir, request, expected, args.timeout)
    except (AssertionError, RuntimeError, TimeoutError, OSError) as err:
        print(f"serve_check: {err}", file=sys.stderr)
        return 1
    print(json.dumps(response, indent=2))
    print(f"serve_check: {response['model_version']} predicted {expected['predict']}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
