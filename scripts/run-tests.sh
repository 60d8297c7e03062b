#!/usr/bin/env bash
# Sets up, builds everything, and runs all tests: the suite (with the plug-in, the real-time
# tests and ThreadSanitizer on the plug-in's model hand-over), then a short run of every fuzzer
# (clang-19, ASan and UBSan, in build-fuzz/).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh

cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DRTCONV_BUILD_PLUGIN=ON
cmake --build build -j2
ctest --test-dir build --output-on-failure -j2

./scripts/run-fuzzers.sh 20000 15
