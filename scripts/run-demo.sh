#!/usr/bin/env bash
# Sets up, builds, and runs the main job: the bundled demo model over the bundled audio,
# printing the result and its speed.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j2 --target rtconv_cli >/dev/null
./build/tools/rtconv run examples/demo_causal_stack.json --input examples/demo_input.npy --output build/demo_output.npy
