#!/usr/bin/env bash
# Installs every Debian package rtconv needs to build, test and regenerate its fixtures.
# Idempotent and non-interactive; run as root or with sudo available.
set -euo pipefail

packages=(
  build-essential cmake pkg-config
  libxsimd-dev catch2 nlohmann-json3-dev libsndfile1-dev libsoxr-dev
  python3 python3-numpy python3-torch
  clang-19 libclang-rt-19-dev  # the fuzzers (libFuzzer); RealtimeSanitizer's runtime, linked by tests/realtime
  juce-modules-source libxcursor-dev  # the plug-in (-DRTCONV_BUILD_PLUGIN=ON): JUCE 7 and the X cursor headers it includes
  xvfb xauth imagemagick  # the plug-in's Standalone under a virtual X server; editor screenshots (import)
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

as_root=()
[ "$(id -u)" -eq 0 ] || as_root=(sudo)
export DEBIAN_FRONTEND=noninteractive
"${as_root[@]}" apt-get update -qq
"${as_root[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
