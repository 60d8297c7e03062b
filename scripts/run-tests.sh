#!/usr/bin/env bash
# Sets up, builds everything, and runs all tests:
#   1. the suite, with the plug-in, the real-time tests and ThreadSanitizer on the plug-in's
#      model hand-over (build/);
#   2. the suite again under AddressSanitizer and UndefinedBehaviorSanitizer (clang-19,
#      build-san/, without the plug-in), then a short run of every fuzzer, built there too;
#   3. the plug-in's threaded tests under ThreadSanitizer (build-tsan/, only what they need): the
#      processor test (audio, loader and message threads) and the host test's model swap (VST3
#      and LV2).
set -euo pipefail
cd "$(dirname "$0")/.."
phase() { echo "== $1 (at $((SECONDS / 60)) min $((SECONDS % 60)) s)"; }

phase "setup"
./scripts/setup.sh

phase "suite"
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DRTCONV_BUILD_PLUGIN=ON
cmake --build build -j2
# A test that hangs fails after 10 minutes instead of holding CI (the longest takes 20 s here).
ctest --test-dir build --output-on-failure -j2 --timeout 600

phase "suite under ASan and UBSan"
CC=clang-19 CXX=clang++-19 cmake -S . -B build-san -DCMAKE_BUILD_TYPE=Release \
    -DRTCONV_SANITIZE=address,undefined -DRTCONV_BUILD_FUZZERS=ON -DRTCONV_BUILD_BENCH=OFF
cmake --build build-san -j2
ctest --test-dir build-san --output-on-failure -j2 --timeout 1200

phase "fuzzers"
RTCONV_FUZZ_BUILD=build-san ./scripts/run-fuzzers.sh 20000 15

phase "plug-in under TSan"
cmake -S . -B build-tsan -DCMAKE_BUILD_TYPE=Release -DRTCONV_SANITIZE=thread -DRTCONV_BUILD_PLUGIN=ON \
    -DRTCONV_BUILD_BENCH=OFF
cmake --build build-tsan -j2 --target rtconv_plugin_processor_test rtconv_plugin_host_test
ctest --test-dir build-tsan --output-on-failure --timeout 600 -R '^plugin_(processor|host)$'

phase "done"
