#!/usr/bin/env bash
# test.sh - the README's test command: installs dependencies, builds, runs
# every test (unit tests and end-to-end tests against the modem simulator).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
scripts/build.sh
cd "${BUILD_DIR:-build}"
ctest --output-on-failure -j "$(nproc)" "$@"
