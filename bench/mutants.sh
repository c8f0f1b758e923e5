#!/usr/bin/env bash
# Mutation testing of the ledger's rules (cargo-mutants): every change to a
# rule — a comparison flipped, a threshold test removed, a branch returning
# early — must fail a test. Survivors are listed in docs/mutants.md with why
# they cannot change a verdict or a reason.
#
#   bench/mutants.sh                 everyday: only the mutants in lines changed
#                                    against $MUTANTS_BASE (default main), --in-diff
#   bench/mutants.sh --full [FILE…]  every mutant of src/verdict/claims/ and
#                                    src/verdict/figures/build.rs (or of FILE…)
#   MUTANTS_RE='REGEX' bench/mutants.sh …  only the mutants whose name
#                                    matches (cargo-mutants -F), e.g. some functions
#
# Needs `cargo install cargo-mutants` (27.1 here). Each mutant rebuilds the
# library's test binary (about a minute on this 2-core machine when others
# compile too), so the full run takes hours: see the README for its figures.
# Tests run: the unit tests beside the rules (and, for build.rs, the
# evidence-rule tests). CARGO_TARGET_DIR keeps its builds apart from yours.
# Every cargo invocation takes the shared CPU lock on its own (so a
# benchmark waiting for cpu-exclusive can run between two mutants).
# Output: target/mutants/{claims,build,diff}/mutants.out/{caught,missed,timeout,unviable}.txt
set -euo pipefail
cd "$(dirname "$0")/.."

cargo_bin=$(command -v cargo)
wrapper=$(mktemp)
trap 'rm -f "$wrapper"' EXIT
if [ -x /work/bin/cpu-shared ]; then
    printf '#!/bin/sh\nexec /work/bin/cpu-shared %s "$@"\n' "$cargo_bin" >"$wrapper"
else
    printf '#!/bin/sh\nexec %s "$@"\n' "$cargo_bin" >"$wrapper"
fi
chmod +x "$wrapper"

# cargo-mutants runs $CARGO; invoked directly, cargo does not override it.
# The rules' unit tests are in the library; build.rs (the flags a figure
# carries) is reached through the evidence-rule tests too.
run() {
    local out=$1 tests=(--lib)
    shift
    case "$*" in *build.rs*) tests+=(--test evidence_rules --test verdict_claims) ;; esac
    mkdir -p "$out"
    CARGO="$wrapper" cargo-mutants mutants -j1 --no-shuffle --baseline skip --gitignore true \
        --timeout 120 --build-timeout 1200 --output "$out" \
        --exclude 'src/verdict/claims/tests/*' ${MUTANTS_RE:+-F "$MUTANTS_RE"} "$@" -- "${tests[@]}"
}

start=$(date +%s)
if [ "${1:-}" = --full ]; then
    shift
    files=("$@")
    [ ${#files[@]} -gt 0 ] || files=(
        src/verdict/claims/mod.rs src/verdict/claims/realtime.rs
        src/verdict/claims/throughput.rs src/verdict/claims/memory.rs
        src/verdict/claims/more.rs src/verdict/claims/rules.rs
        src/verdict/claims/doc.rs src/verdict/figures/build.rs)
    claims=() figures=()
    for f in "${files[@]}"; do
        case "$f" in *build.rs) figures+=(--file "$f") ;; *) claims+=(--file "$f") ;; esac
    done
    [ ${#claims[@]} -eq 0 ] || run target/mutants/claims "${claims[@]}" || true
    [ ${#figures[@]} -eq 0 ] || run target/mutants/build "${figures[@]}" || true
else
    diff=target/mutants.diff
    mkdir -p target
    git diff "${MUTANTS_BASE:-main}" -- src/verdict/claims src/verdict/figures/build.rs >"$diff"
    run target/mutants/diff --in-diff "$diff" \
        --file 'src/verdict/claims/*.rs' --file src/verdict/figures/build.rs || true
fi
echo "took $(( $(date +%s) - start )) s"
for d in target/mutants/*/mutants.out; do
    [ -d "$d" ] || continue
    printf '%s: caught %s, missed %s, timeout %s, unviable %s\n' "$d" \
        "$(wc -l <"$d/caught.txt")" "$(wc -l <"$d/missed.txt")" \
        "$(wc -l <"$d/timeout.txt")" "$(wc -l <"$d/unviable.txt")"
    sed 's/^/  missed: /' "$d/missed.txt"
done
