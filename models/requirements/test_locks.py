"""The locks agree: what train.lock pickles, serve.lock unpickles, with the same
versions of every package they share; every pin carries a hash."""

import re
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
LOCKS = ("train", "serve", "test")
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;\\]+)")


def normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def parse_lock(path: Path) -> dict[str, str]:
    """name -> version; fails on a requirement without ==, or without a hash."""
    pins, current = {}, None
    for line in path.read_text().splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith(("#", "--only-binary")):
            continue
        if stripped.startswith("--hash=sha256:"):
            assert current, f"{path.name}: hash before any requirement"
            pins[current][1] = True
            continue
        match = PIN.match(stripped)
        assert match, f"{path.name}: {stripped!r} is not a name==version pin"
        current = normalize(match[1])
        pins[current] = [match[2], False]
    unhashed = [n for n, (_, hashed) in pins.items() if not hashed]
    assert not unhashed, f"{path.name}: no --hash for {unhashed}"
    return {n: v for n, (v, _) in pins.items()}


@pytest.fixture(scope="module")
def locks():
    return {name: parse_lock(HERE / f"{name}.lock") for name in LOCKS}


def test_wheels_only(locks):
    for name in LOCKS:
        assert "--only-binary :all:" in (HERE / f"{name}.lock").read_text(), f"{name}.lock"


def test_serving_pins(locks):
    assert locks["serve"]["mlserver"] == "1.7.1"
    assert locks["serve"]["mlserver-sklearn"] == "1.7.1"


def test_constraints_are_honoured(locks):
    constraints = {}
    for line in (HERE / "constraints.txt").read_text().splitlines():
        if match := PIN.match(line):
            constraints[normalize(match[1])] = match[2]
    assert "scikit-learn" in constraints
    for name in LOCKS:
        for pkg, version in constraints.items():
            assert locks[name].get(pkg) == version, f"{name}.lock {pkg} = {locks[name].get(pkg)}, want {version}"


def test_shared_packages_match(locks):
    """Same version wherever two locks share a package: the model trained is the one served."""
    for a, b in (("train", "serve"), ("test", "serve"), ("train", "test")):
        for pkg in locks[a].keys() & locks[b].keys():
            assert locks[a][pkg] == locks[b][pkg], f"{pkg}: {a}.lock {locks[a][pkg]}, {b}.lock {locks[b][pkg]}"


def test_test_lock_holds_train_lock(locks):
    missing = locks["train"].keys() - locks["test"].keys()
    assert not missing, f"test.lock lacks {sorted(missing)} from train.lock"


def test_parse_lock_rejects_unhashed_and_unpinned(tmp_path):
    unhashed = tmp_path / "unhashed.lock"
    unhashed.write_text("numpy==2.4.6 \\\n    --hash=sha256:00\nscipy==1.17.1\n")
    with pytest.raises(AssertionError, match=r"no --hash for \['scipy'\]"):
        parse_lock(unhashed)
    unpinned = tmp_path / "unpinned.lock"
    unpinned.write_text("numpy>=2\n")
    with pytest.raises(AssertionError, match="not a name==version pin"):
        parse_lock(unpinned)
