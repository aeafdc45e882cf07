#!/usr/bin/env bash
# Regenerate the hash-pinned locks (serve.lock, train.lock, test.lock) from their .in
# files: python 3.11, linux x86_64, wheels only (the images have no compiler).
#   models/requirements/compile.sh            keep existing pins, add what the .in files gained
#   models/requirements/compile.sh --upgrade  move to the newest versions constraints.txt allows
# Bump shared versions (scikit-learn, numpy, ...) in constraints.txt: both the trainer
# and the server read it, so the model is unpickled by the library that pickled it.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
python3 -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' ||
  { echo "compile.sh: need python3 3.11, have $(python3 --version)" >&2; exit 1; }
tools=$(mktemp -d /tmp/ferry-pip-tools.XXXXXX)
trap 'rm -rf "$tools"' EXIT
python3 -m venv "$tools"
"$tools/bin/pip" install --quiet pip==26.3 pip-tools==7.6.2
cd "$here"
for name in serve train test; do
  echo "compile.sh: $name.lock" >&2
  # PIP_FIND_LINKS (set on some machines) would be written into the lock.
  env -u PIP_FIND_LINKS CUSTOM_COMPILE_COMMAND="models/requirements/compile.sh" \
    "$tools/bin/pip-compile" --quiet --generate-hashes --allow-unsafe --strip-extras \
    --no-emit-find-links --no-emit-index-url --pip-args "--only-binary=:all:" \
    --output-file "$name.lock" "$@" "$name.in"
  # pip-compile rewrites its own header; put how to install and regenerate above it.
  { printf '%s\n' \
      "# $name.lock: every dependency of $name.in, pinned with sha256 hashes (python 3.11," \
      "# linux x86_64, wheels only). Install into a fresh venv with:" \
      "#   pip install --require-hashes --only-binary=:all: -r models/requirements/$name.lock" \
      "# Regenerate with models/requirements/compile.sh (pip-tools 7.6.2 pip-compile" \
      "# --generate-hashes in a temp venv under /tmp); shared pins live in constraints.txt."
    sed '/^# [a-z]*\.lock: every dependency/,/^# --generate-hashes in a temp venv/d' "$name.lock"
  } > "$name.lock.tmp"
  mv "$name.lock.tmp" "$name.lock"
done
