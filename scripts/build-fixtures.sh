#!/usr/bin/env bash
# Builds every test fixture into Fixtures/build/ (git-ignored) by running scripts/fixtures/*.sh in
# name order. Each part script is idempotent and skips work whose output is already up to date.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p Fixtures/build
for part in scripts/fixtures/*.sh; do
    [ -e "$part" ] || continue
    echo "fixtures: $part" >&2
    bash "$part"
done
