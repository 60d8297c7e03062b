#!/usr/bin/env bash
# Sets up, builds, and runs the main job: the bundled demo model over the bundled audio,
# printing the result and its speed.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j2 --target rtconv_cli >/dev/null
# NAM's standard WaveNet (MIT, see examples/models/README.md) over NAM's example guitar DI,
# streamed in blocks of 64 as a plugin would; prints the real-time factor.
./build/tools/rtconv render examples/models/nam/wavenet_a1_standard.nam examples/audio/input.wav build/demo_render.wav --block 64
