#!/usr/bin/env bash
# Regenerates the Python stacks' locks: one per interpreter minor version,
# exact pins with hashes, from each stack's requirements.in:
#   stacks/python-*/requirements/py3.N.txt
# ringside installs the one of the interpreter a venv is built on, with
# pip --require-hashes (stack.toml: requirements/py{python_minor}.txt).
#
# Usage: scripts/lock-python.sh [MINOR...]   (default: 3.10 3.11 3.12 3.13 3.14)
# Needs uv (https://docs.astral.sh/uv/; `pip install uv` puts it on PATH);
# UV=/path/to/uv picks another. Resolves for this platform (Linux x86_64
# here): every wheel of each pinned version is hashed, so the lock installs
# on other platforms too unless the resolution itself differs there.
set -euo pipefail
cd "$(dirname "$0")/.."
uv=${UV:-uv}
command -v "$uv" >/dev/null || { echo "uv not found: pip install uv, or set UV=" >&2; exit 2; }
minors=("$@")
[ ${#minors[@]} -gt 0 ] || minors=(3.10 3.11 3.12 3.13 3.14)
for dir in stacks/python-*/; do
  [ -f "$dir/requirements.in" ] || continue
  mkdir -p "$dir/requirements"
  for m in "${minors[@]}"; do
    echo "${dir}requirements/py$m.txt" >&2
    (cd "$dir" && "$uv" pip compile requirements.in --python-version "$m" \
      --generate-hashes --quiet --custom-compile-command "scripts/lock-python.sh $m" \
      -o "requirements/py$m.txt")
  done
done
