#!/usr/bin/env bash
# Installs what is missing and runs every test. Tests that need the third-party reference data
# ($VIGIL_SHARED_DATA) skip without it.
set -euo pipefail
cd "$(dirname "$0")/.."
# PE fixtures (scripts/fixtures/pe.sh): mingw-w64, osslsigncode, openssl; pefile writes their golden values.
# Mach-O fixtures (scripts/fixtures/macho.sh): ld64.lld and llvm-lipo/llvm-otool from Debian lld-14, llvm-14.
# libsqlite3-dev: SQLite headers for GRDB (the fleet server's embedded store).
# DNS checkers for the blocklist tests (vigil block): named-checkzone, unbound-checkconf, dnsmasq, dig.
# Container fixtures (scripts/containers/): gcab (CAB), p7zip-full (7z), libarchive-tools (bsdtar: xar, cpio, ISO).
scripts/install-deps.sh gcc-mingw-w64-x86-64 osslsigncode openssl python3-pefile lld-14 llvm-14 libsqlite3-dev \
    bind9-utils unbound dnsmasq-base bind9-dnsutils gcab p7zip-full libarchive-tools
# Reference libraries the feed tests validate exports against (those tests skip when they are absent).
python3 -m pip install -q --disable-pip-version-check stix2==3.0.2 stix2-patterns pymisp stix2-validator==3.2.0 idstools jsonschema \
    >/dev/null 2>&1 || echo "pip install failed: the STIX/MISP/idstools and finding-schema validation tests will be skipped" >&2
# The web console's browser test (scripts/console-browser-test.py): headless Chromium, its driver and Selenium.
CONSOLE_BROWSER=1
scripts/install-deps.sh chromium chromium-driver >/dev/null 2>&1 || {
    CONSOLE_BROWSER=0; echo "chromium/chromium-driver could not be installed: the console browser test will be skipped" >&2; }
python3 -m pip install -q --disable-pip-version-check selenium==4.51.0 >/dev/null 2>&1 || {
    CONSOLE_BROWSER=0; echo "pip install selenium failed: the console browser test will be skipped" >&2; }
scripts/build-fixtures.sh
# A private PostgreSQL on a free loopback port for the fleet storage tests (scripts/postgres.sh), stopped on exit.
if [ -z "${VIGIL_TEST_POSTGRES_URL:-}" ]; then
    pg_env=$(scripts/postgres.sh start)
    eval "$pg_env"
    trap 'scripts/postgres.sh stop "$VIGIL_PG_DIR"' EXIT
fi
swift build --build-tests
# The console in a real browser against a real `vigil serve` (exit 77: skipped, the reason printed).
if [ "$CONSOLE_BROWSER" = 1 ]; then
    status=0
    python3 scripts/console-browser-test.py .build/debug/vigil .build/test-artefacts/console || status=$?
    if [ "$status" = 77 ]; then echo "console browser test skipped" >&2; elif [ "$status" != 0 ]; then exit "$status"; fi
else
    echo "console browser test skipped: Chromium or Selenium missing" >&2
fi
swift test --skip-build "$@"
