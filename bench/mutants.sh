#!/usr/bin/env bash
# Mutation testing of the ledger's rules (cargo-mutants): every change to a
# rule — a comparison flipped, a threshold test removed, a branch returning
# early — must fail a test. Survivors are listed in docs/mutants.md with why
# they cannot change a verdict or a reason.
#
#   bench/mutants.sh                 everyday: only the mutants in lines changed
#                                    against $MUTANTS_BASE (default main), --in-diff
#   bench/mutants.sh --full          every mutant of src/verdict/claims/ (the
#                                    rules); resumable: stop it with Ctrl-C, run
#                                    it again and it skips the mutants already
#                                    caught (--iterate)
#   MUTANTS_SHARD=k/n bench/mutants.sh --full   one slice of them, k from 0
#                                    to n-1 (no --iterate: cargo-mutants slices the list)
#   bench/mutants.sh --build         every mutant of src/verdict/figures/build.rs
#                                    (the flags a figure carries); resumable
#                                    (--iterate) like --full, MUTANTS_SHARD too
#   MUTANTS_RE='REGEX' bench/mutants.sh …  only the mutants whose name
#                                    matches (cargo-mutants -F), e.g. some functions
#
# Needs `cargo install cargo-mutants` (27.1 here). What makes it tractable on
# two cores: the tree is mutated in place (`--in-place`), so each mutant is an
# incremental rebuild of the library's test binary alone (`--cargo-arg --lib`;
# without it cargo-mutants builds every test target, about 65 s a mutant here
# instead of 7), and the tests run are the unit tests beside the rules
# (`verdict`, under a second): 3–15 s a mutant here (65 s without --lib);
# the full run of the 324 mutants of src/verdict/claims/ took about 70 min
# on this machine shared with others, 2026-12-04 (docs/mutants.md: the
# outcome, and why each survivor cannot change a verdict). build.rs has
# its own unit tests (src/verdict/figures/tests/), so --build runs the same
# way, those alone (docs/mutants.md: its run, outcome and time).
#
# In place means: do not edit or build this tree while it runs (cargo-mutants
# puts each file back after its mutant, and on Ctrl-C). No baseline run
# (`--baseline skip`): run `cargo test --lib verdict` green first.
# Every cargo invocation takes the shared CPU lock on its own, so a benchmark
# waiting for cpu-exclusive runs between two mutants; a test that waited out
# the timeout for it shows as a timeout: rerun those (MUTANTS_RE).
# PROPTEST_MAX_SHRINK_ITERS keeps a failing property test from shrinking for long.
# Output: target/mutants/{claims,build,diff}/mutants.out/{caught,missed,timeout,unviable}.txt
set -euo pipefail
cd "$(dirname "$0")/.."

export PROPTEST_MAX_SHRINK_ITERS=${PROPTEST_MAX_SHRINK_ITERS:-32}
cargo_bin=$(command -v cargo)
wrapper=$(mktemp)
trap 'rm -f "$wrapper"' EXIT
if [ -x /work/bin/cpu-shared ]; then
    printf '#!/bin/sh\nexec /work/bin/cpu-shared %s "$@"\n' "$cargo_bin" >"$wrapper"
else
    printf '#!/bin/sh\nexec %s "$@"\n' "$cargo_bin" >"$wrapper"
fi
chmod +x "$wrapper"

claims=(--file 'src/verdict/claims/*.rs' --exclude 'src/verdict/claims/tests/*')
build=(--file src/verdict/figures/build.rs)
# cargo-mutants runs $CARGO; invoked directly, cargo does not override it.
run() {
    local out=$1
    shift
    mkdir -p "$out"
    CARGO="$wrapper" cargo-mutants mutants --in-place --baseline skip --no-shuffle \
        --timeout 30 --build-timeout 900 --output "$out" \
        ${MUTANTS_RE:+-F "$MUTANTS_RE"} "$@"
}
# The unit tests beside the rules and beside build.rs, in the library
# (verdict::claims::tests, verdict::figures::build::tests): under a second.
lib_tests=(-C --lib -- verdict)

start=$(date +%s)
case "${1:-}" in
--full | --build)
    if [ "$1" = --full ]; then
        name=claims files=("${claims[@]}")
    else
        name=build files=("${build[@]}")
    fi
    if [ -n "${MUTANTS_SHARD:-}" ]; then
        run "target/mutants/$name-${MUTANTS_SHARD/\//-of-}" "${files[@]}" \
            --shard "$MUTANTS_SHARD" "${lib_tests[@]}" || true
    else
        # A 30 s test timeout: a few mutants of ratio_of's degrees of freedom
        # make the Student-t quantile crawl; they fail, slowly.
        run "target/mutants/$name" --iterate "${files[@]}" "${lib_tests[@]}" || true
    fi
    ;;
*)
    diff=target/mutants.diff
    mkdir -p target
    git diff "${MUTANTS_BASE:-main}" -- src/verdict/claims src/verdict/figures/build.rs >"$diff"
    run target/mutants/diff --in-diff "$diff" "${claims[@]}" "${build[@]}" "${lib_tests[@]}" || true
    ;;
esac
echo "took $(($(date +%s) - start)) s"
for d in target/mutants/*/mutants.out; do
    [ -d "$d" ] || continue
    printf '%s: caught %s, missed %s, timeout %s, unviable %s\n' "$d" \
        "$(wc -l <"$d/caught.txt")" "$(wc -l <"$d/missed.txt")" \
        "$(wc -l <"$d/timeout.txt")" "$(wc -l <"$d/unviable.txt")"
    sed 's/^/  missed: /' "$d/missed.txt"
done
