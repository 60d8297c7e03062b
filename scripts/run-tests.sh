#!/usr/bin/env bash
# Sets up, builds everything, and runs all tests.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DRTCONV_BUILD_PLUGIN=ON
cmake --build build -j2
ctest --test-dir build --output-on-failure -j2
