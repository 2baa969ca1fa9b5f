#!/usr/bin/env bash
# Installs what is missing, builds a release binary, and scans the bundled sample tree with the
# built-in 3CX indicators and rules plus the demo indicators in Samples/demo-iocs.txt.
#
# The sample tree holds three intended hits (a hash, a file name, a YARA rule on a synthetic 3CX-style
# icon), so `vigil scan` exits 1 ("findings"). This script treats exactly that as success and exits 0;
# any other status (0 = the hits went missing, 2 = an error) makes it fail.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh libsqlite3-dev  # libsqlite3-dev: GRDB (fleet SQLite store)
echo "building a release binary (swift build -c release)…" >&2
swift build -c release --product vigil >&2
vigil="$(swift build -c release --show-bin-path)/vigil"
echo >&2
echo "\$ vigil scan --iocs Samples/demo-iocs.txt Samples/tree" >&2
status=0
"$vigil" scan --iocs Samples/demo-iocs.txt Samples/tree || status=$?
if [ "$status" -eq 1 ]; then
    echo "demo: vigil exited 1 because it found the sample's planted hits, as expected." >&2
    exit 0
fi
echo "demo: unexpected exit status $status from vigil scan (expected 1: findings)." >&2
exit 1
