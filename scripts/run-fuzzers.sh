#!/usr/bin/env bash
# Builds the libFuzzer targets (tests/fuzz/) with clang-19, ASan and UBSan into build-fuzz/ (or
# the build directory RTCONV_FUZZ_BUILD names, configured there unless it already is) and runs
# each one over a scratch copy of its seed corpus. Exits non-zero on the first target that finds
# a crash, a timeout, a leak or too much memory; the input that did it is kept in
# <build>/findings/<target>/.
#
#   scripts/run-fuzzers.sh [RUNS [SECONDS]]
#
# RUNS: executions per target (default 1000000). SECONDS: a time limit per target
# (-max_total_time; default none), for CI runs bounded in time: `scripts/run-fuzzers.sh 20000 20`.
# RTCONV_FUZZ_TARGETS="nam npy" runs only those targets.
set -euo pipefail
cd "$(dirname "$0")/.."

runs=${1:-1000000}
seconds=${2:-0}
targets=${RTCONV_FUZZ_TARGETS:-"keras nam wavenetva rtneural npy"}

build=${RTCONV_FUZZ_BUILD:-build-fuzz}

if [ ! -f "$build/CMakeCache.txt" ]; then
    CC=clang-19 CXX=clang++-19 cmake -S . -B "$build" -DRTCONV_BUILD_FUZZERS=ON -DRTCONV_BUILD_TESTS=OFF \
        -DRTCONV_BUILD_BENCH=OFF -DRTCONV_BUILD_TOOLS=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
fi
cmake --build "$build" -j2 --target fuzz_model fuzz_npy

# Sanitizer reports name functions and lines only through a symbolizer, which the runtime does
# not find on Debian by itself.
export ASAN_SYMBOLIZER_PATH=${ASAN_SYMBOLIZER_PATH:-$(command -v llvm-symbolizer || true)}

# The four model formats share one driver (model_from_bytes detects the format); what differs
# is the seed corpus and the dictionary.
binary_of() { if [ "$1" = npy ]; then echo fuzz_npy; else echo fuzz_model; fi; }

for target in $targets; do
    scratch=$build/corpus/$target   # new inputs go here, never into the committed seeds
    findings=$build/findings/$target
    rm -rf "$scratch"
    mkdir -p "$scratch" "$findings"
    cp tests/fuzz/corpus/"$target"/* "$scratch"/
    log=$build/fuzz-$target.log
    start=$(date +%s)
    status=0
    "$build"/tests/fuzz/"$(binary_of "$target")" "$scratch" -runs="$runs" -max_total_time="$seconds" \
        -rss_limit_mb=2048 -timeout=10 -dict=tests/fuzz/"$target".dict -artifact_prefix="$findings"/ \
        -print_final_stats=1 >"$log" 2>&1 || status=$?
    elapsed=$(( $(date +%s) - start ))
    executions=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
    echo "$target: ${executions:-?} executions in ${elapsed} s ($(( ${executions:-0} / (elapsed > 0 ? elapsed : 1) )) exec/s)"
    if [ "$status" -ne 0 ]; then
        grep -E "ERROR|SUMMARY|runtime error|Test unit written" "$log" | head -20 >&2 || true
        echo "$target: FAILED (exit $status); the full log is $log" >&2
        exit 1
    fi
done
