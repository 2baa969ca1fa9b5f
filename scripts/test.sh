#!/usr/bin/env bash
# Installs what is missing and runs every test. Tests that need ../shared/data skip without it.
set -euo pipefail
cd "$(dirname "$0")/.."
# PE fixtures (scripts/fixtures/pe.sh): mingw-w64, osslsigncode, openssl; pefile writes their golden values.
scripts/install-deps.sh gcc-mingw-w64-x86-64 osslsigncode openssl python3-pefile
scripts/build-fixtures.sh
swift build --build-tests
swift test --skip-build "$@"
