"""Against a real MLServer: the trained model loads and answers testdata/infer-request.json
with testdata/infer-expected.json. Needs the serving venv (models/requirements/serve.lock):
    FERRY_MLSERVER=/path/to/serve-venv/bin/mlserver pytest models/diamonds/test_serve.py
"""

import json
import os
from pathlib import Path

import pytest

import serve_check
import train

MLSERVER = os.environ.get("FERRY_MLSERVER")


@pytest.mark.skipif(not MLSERVER, reason="set FERRY_MLSERVER to the mlserver of a venv from serve.lock")
def test_mlserver_serves_baseline(tmp_path):
    # The baseline trains in seconds; the candidate answers the same (test_train.py).
    assert train.main(["--model", "baseline", "--out", str(tmp_path)]) == 0
    request = json.loads((serve_check.TESTDATA / "infer-request.json").read_text())
    expected = json.loads((serve_check.TESTDATA / "infer-expected.json").read_text())
    response = serve_check.check(MLSERVER, Path(tmp_path) / "model", request, expected, timeout=180)
    assert response["model_name"] == "diamonds"
    assert response["model_version"].startswith("baseline-")
