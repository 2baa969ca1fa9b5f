#!/usr/bin/env bash
# Installs what is missing and runs every test. Tests that need ../shared/data skip without it.
set -euo pipefail
cd "$(dirname "$0")/.."
# PE fixtures (scripts/fixtures/pe.sh): mingw-w64, osslsigncode, openssl; pefile writes their golden values.
# Mach-O fixtures (scripts/fixtures/macho.sh): ld64.lld and llvm-lipo/llvm-otool from Debian lld-14, llvm-14.
# DNS checkers for the blocklist tests (vigil block): named-checkzone, unbound-checkconf, dnsmasq, dig.
scripts/install-deps.sh gcc-mingw-w64-x86-64 osslsigncode openssl python3-pefile lld-14 llvm-14 \
    bind9-utils unbound dnsmasq-base bind9-dnsutils
scripts/build-fixtures.sh
swift build --build-tests
swift test --skip-build "$@"
