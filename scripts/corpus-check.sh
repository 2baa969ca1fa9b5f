#!/usr/bin/env bash
# Clean-corpus check for the structural detections (issue 4): runs them over real software nobody on
# the Vigil project wrote and prints the number of findings per severity. The target is zero high and
# zero medium; the script exits 1 if any high or medium finding appears.
#
# Corpus (Debian and PyPI packages with PE files), kept in its original folder layout so the folder-level checks see real
# neighbours, under Fixtures/build/detect-corpus/ (git-ignored):
#   wine/   Debian libwine: the Windows DLLs/EXEs of usr/lib/x86_64-linux-gnu/wine/x86_64-windows/
#   efi/    signed EFI binaries from shim-signed, shim-helpers-amd64-signed, grub-efi-amd64-signed,
#           fwupd-amd64-signed (Microsoft and Debian Authenticode signatures)
#   mingw/  mingw-w64 runtime DLLs (/usr/lib/gcc/*-w64-mingw32, /usr/*-w64-mingw32/lib)
#   pypi/   launcher EXEs from the setuptools and pip (distlib) wheels
#
# Usage: scripts/corpus-check.sh [--no-fetch]
# Needs: apt-get + dpkg-deb (Debian), pip, unzip, gcc-mingw-w64 (for the runtime DLLs), swift.
# Runs `swift test --filter CleanCorpusTests` with VIGIL_DETECT_CORPUS set (the engine driven exactly
# as the scanner drives it); when the built `vigil` has the scanner, also `vigil scan
# --no-default-indicators --format json` over the same tree, counting the structural checks' findings.
set -euo pipefail
cd "$(dirname "$0")/.."
corpus=Fixtures/build/detect-corpus
dl=Fixtures/build/corpus-downloads
if [ "${1:-}" != --no-fetch ] && [ ! -e "$corpus/.complete" ]; then
    mkdir -p "$dl" "$corpus"/{wine,efi,mingw,pypi}
    (cd "$dl" && for pkg in libwine shim-signed shim-helpers-amd64-signed grub-efi-amd64-signed fwupd-amd64-signed; do
        ls "${pkg}"_*.deb >/dev/null 2>&1 || apt-get download "$pkg" >/dev/null 2>&1
    done)
    (cd "$dl" && { ls setuptools-*.whl >/dev/null 2>&1 || pip download -q --no-deps --only-binary :all: setuptools pip -d .; })
    x=$(mktemp -d)
    dpkg-deb -x "$dl"/libwine_*.deb "$x/wine"
    cp -r "$x/wine/usr/lib/x86_64-linux-gnu/wine/x86_64-windows" "$corpus/wine/"
    for deb in "$dl"/shim-signed_*.deb "$dl"/shim-helpers-amd64-signed_*.deb "$dl"/grub-efi-amd64-signed_*.deb "$dl"/fwupd-amd64-signed_*.deb; do
        name=$(basename "$deb" | cut -d_ -f1)
        dpkg-deb -x "$deb" "$x/$name"
        find "$x/$name" -name '*.efi.signed' -type f | while read -r f; do
            mkdir -p "$corpus/efi/$name"
            cp "$f" "$corpus/efi/$name/"
        done
    done
    for d in /usr/lib/gcc/x86_64-w64-mingw32 /usr/lib/gcc/i686-w64-mingw32 /usr/x86_64-w64-mingw32/lib /usr/i686-w64-mingw32/lib; do
        [ -d "$d" ] || continue
        find "$d" -name '*.dll' -type f | while read -r f; do
            mkdir -p "$corpus/mingw$(dirname "$f")"
            cp "$f" "$corpus/mingw$f"
        done
    done
    for whl in "$dl"/setuptools-*.whl "$dl"/pip-*.whl; do
        unzip -o -q "$whl" '*.exe' -d "$corpus/pypi/$(basename "$whl" .whl)" || true
    done
    rm -rf "$x"
    touch "$corpus/.complete"
fi
[ -e "$corpus/.complete" ] || { echo "corpus-check: no corpus in $corpus (run without --no-fetch)" >&2; exit 2; }
files=$(find "$corpus" -type f ! -name .complete | wc -l)
bytes=$(du -sb "$corpus" | cut -f1)
echo "corpus-check: $files files, $((bytes / 1048576)) MiB in $corpus" >&2

summary=$(mktemp)
swift build --build-tests >/dev/null
# The known-pair check runs too when a HijackLibs data set is at hand (GPL data: read, never copied).
hijacklibs=${VIGIL_HIJACKLIBS:-${VIGIL_SHARED_DATA:-/nonexistent}/binaries/hijacklibs.json}
[ -e "$hijacklibs" ] && export VIGIL_DETECT_HIJACKLIBS=$(realpath "$hijacklibs")
VIGIL_DETECT_CORPUS="$PWD/$corpus" VIGIL_DETECT_CORPUS_SUMMARY="$summary" \
    swift test --skip-build --filter CleanCorpusTests >"$summary.log" 2>&1 || true
if [ ! -s "$summary" ]; then
    echo "corpus-check: the corpus test did not run; its output:" >&2
    tail -30 "$summary.log" >&2
    exit 2
fi
echo "engine (CleanCorpusTests):"
cat "$summary"

vigil=$(swift build --show-bin-path)/vigil
if [ -x "$vigil" ] && "$vigil" scan --help 2>/dev/null | grep -q -- --no-default-indicators; then
    json=$(mktemp)
    "$vigil" scan --no-default-indicators --format json "$corpus" >"$json" 2>/dev/null || true
    echo "vigil scan --no-default-indicators:"
    python3 - "$json" <<'PY' || echo "  (vigil scan output not readable as JSON)"
import json, sys, collections
doc = json.load(open(sys.argv[1]))
findings = doc.get("findings", doc if isinstance(doc, list) else [])
structural = [f for f in findings if f.get("check", "").split(".")[0] in ("pe", "image", "macho")]
counts = collections.Counter(f["severity"] for f in structural)
for s in ("critical", "high", "medium", "low", "info"):
    print(f"  {s}: {counts.get(s, 0)}")
for f in structural:
    if f["severity"] in ("critical", "high", "medium"):
        print(f"  ! {f['severity']} {f['check']} {f['path']}: {f['title']}")
PY
    rm -f "$json"
fi
if grep -Eq '^(critical|high|medium): [1-9]' "$summary"; then
    echo "corpus-check: FAILED (high or medium findings on clean software)" >&2
    rm -f "$summary" "$summary.log"
    exit 1
fi
rm -f "$summary" "$summary.log"
echo "corpus-check: OK (nothing above low)" >&2
