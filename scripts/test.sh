#!/usr/bin/env bash
# Installs what is missing and runs every test. Tests that need ../shared/data skip without it.
set -euo pipefail
cd "$(dirname "$0")/.."
# DNS checkers for the blocklist tests (vigil block): named-checkzone, unbound-checkconf, dnsmasq, dig.
scripts/install-deps.sh bind9-utils unbound dnsmasq-base bind9-dnsutils
swift build --build-tests
swift test --skip-build "$@"
