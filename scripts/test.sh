#!/usr/bin/env bash
# The README's test command. On a fresh Debian machine it installs what the
# tests need, then runs them:
#   1. system packages (scripts/install-system-deps.sh: PostgreSQL, Chromium
#      for the report test, a C toolchain for better-sqlite3, ...);
#   2. the Python tools the tests use (scripts/install-tools.sh:
#      kubernetes-validate into .venv-tools/, for the Kubernetes manifests);
#   3. `cargo test` — unit, in-process end-to-end, binary and snapshot tests;
#   4. every stack's dependencies (`ringside setup`: npm ci — which also
#      brings the bun and deno binaries from npm — pip into each stack's
#      .venv, cargo build of the Rust baseline; cached by lockfile hash), then
#      `ringside verify` of every stack and every deployment variant
#      (python-flask@sync, node-http@cluster, ...) against the workload
#      contract and the fairness policy's checks (spec/fairness.md), on SQLite
#      and on a PostgreSQL instance ringside starts itself.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n== %s\n' "$*"; }

step "system packages"
bash scripts/install-system-deps.sh

step "test tools"
bash scripts/install-tools.sh

step "cargo test"
cargo test --all-targets --locked

step "stack dependencies (ringside setup)"
cargo build --release --locked --quiet
./target/release/ringside setup --quiet

step "conformance: every stack and variant on SQLite"
./target/release/ringside verify
step "conformance: every stack and variant on PostgreSQL"
./target/release/ringside verify --db postgres
