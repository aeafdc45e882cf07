"""Regenerate reference.csv and batch-001.csv from the diamonds set bundled in plotnine.

The files are verbatim rows of plotnine 0.15.9's ``plotnine/data/diamonds.csv``:
a seeded shuffle picks 20 % of the rows as the new batch, the rest are the reference,
and each keeps the source's row order and bytes. Only the standard library is used,
so the output does not depend on pandas' CSV formatting.

Usage, from the repository root:

    python3 -m venv /tmp/plotnine-venv
    /tmp/plotnine-venv/bin/pip install --no-deps --require-hashes -r models/data/requirements.lock
    /tmp/plotnine-venv/bin/python models/data/extract.py          # write the files
    /tmp/plotnine-venv/bin/python models/data/extract.py --check  # verify them byte for byte
"""

import argparse
import hashlib
import importlib.metadata
import importlib.util
import pathlib
import random
import sys

PACKAGE = "plotnine"
VERSION = "0.15.9"
MEMBER = "data/diamonds.csv"
SOURCE_SHA256 = "9574730b03aba241d899c4a97511c5061b19358fab89510774fb6c24168345c4"
SEED = 20240611
BATCH_FRACTION = 0.2
OUT_DIR = pathlib.Path(__file__).resolve().parent


def source_bytes() -> bytes:
    """Return the bundled CSV after checking the package version and the file's digest."""
    version = importlib.metadata.version(PACKAGE)
    if version != VERSION:
        sys.exit(f"extract: {PACKAGE} {version} is installed, want {VERSION}: "
                 "install models/data/requirements.lock")
    # find_spec locates the package without importing it (plotnine imports matplotlib).
    spec = importlib.util.find_spec(PACKAGE)
    path = pathlib.Path(spec.origin).parent / MEMBER
    data = path.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    if digest != SOURCE_SHA256:
        sys.exit(f"extract: {path} has sha256 {digest}, want {SOURCE_SHA256}")
    return data


def split(data: bytes) -> dict[str, bytes]:
    """Split the rows into the reference set and the held-out batch, bytes unchanged."""
    lines = data.splitlines(keepends=True)
    header, rows = lines[0], lines[1:]
    order = list(range(len(rows)))
    random.Random(SEED).shuffle(order)
    n_batch = round(len(rows) * BATCH_FRACTION)
    batch, reference = sorted(order[:n_batch]), sorted(order[n_batch:])
    return {
        "reference.csv": header + b"".join(rows[i] for i in reference),
        "batch-001.csv": header + b"".join(rows[i] for i in batch),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true",
                        help="compare the files on disk with a fresh extraction instead of writing")
    args = parser.parse_args()
    failed = False
    for name, content in split(source_bytes()).items():
        path = OUT_DIR / name
        digest = hashlib.sha256(content).hexdigest()
        rows = content.count(b"\n") - 1
        if args.check:
            same = path.exists() and path.read_bytes() == content
            failed |= not same
            print(f"{name}: {'ok' if same else 'DIFFERS'} ({rows} rows, sha256 {digest})")
        else:
            path.write_bytes(content)
            print(f"{name}: {rows} rows, sha256 {digest}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
