#!/usr/bin/env bash
# build.sh - configures and builds into build/ (binaries in build/bin/).
# Extra CMake arguments come from $CMAKE_ARGS, e.g. -DOTAP_WERROR=ON.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD_DIR:-build}
# shellcheck disable=SC2086
cmake -S . -B "$BUILD" ${CMAKE_ARGS:-} >/dev/null
cmake --build "$BUILD" -j "$(nproc)"
