#!/usr/bin/env bash
# Installs what is missing and runs every test. Tests that need ../shared/data skip without it.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build-fixtures.sh
swift build --build-tests
swift test --skip-build "$@"
