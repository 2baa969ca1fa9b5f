#!/usr/bin/env bash
# Collects a real PE corpus that nobody on the Vigil project wrote, into Fixtures/build/pe-corpus/
# (git-ignored): Windows DLLs from Debian's libwine, mingw-w64 runtime DLLs, setuptools/distlib
# launcher EXEs from PyPI wheels, and Microsoft/Debian-signed EFI binaries. Idempotent.
# Needs: apt-get (Debian), pip, dpkg-deb, unzip. Nothing is installed system-wide except through
# scripts/install-deps.sh.
set -euo pipefail
cd "$(dirname "$0")/../.."
out=Fixtures/build/pe-corpus
dl=Fixtures/build/pe-corpus-downloads
mkdir -p "$out" "$dl"
[ -e "$out/.complete" ] && { echo "pe corpus: already in $out" >&2; exit 0; }

(cd "$dl" && for pkg in libwine shim-signed shim-helpers-amd64-signed grub-efi-amd64-signed fwupd-amd64-signed; do
    ls ${pkg}_*.deb >/dev/null 2>&1 || apt-get download "$pkg" >/dev/null
done)
for deb in "$dl"/*.deb; do
    name=$(basename "$deb" | cut -d_ -f1)
    mkdir -p "$dl/x/$name"
    dpkg-deb -x "$deb" "$dl/x/$name"
done
mkdir -p "$out/wine" "$out/efi" "$out/mingw" "$out/launchers"
find "$dl/x/libwine" -path '*x86_64-windows*' -type f -exec cp -n {} "$out/wine/" \;
find "$dl/x" -name '*.efi.signed' -type f -exec cp -n {} "$out/efi/" \;
for d in /usr/lib/gcc/x86_64-w64-mingw32 /usr/x86_64-w64-mingw32/lib /usr/lib/gcc/i686-w64-mingw32 /usr/i686-w64-mingw32/lib; do
    [ -d "$d" ] || continue
    find "$d" -name '*.dll' -type f | while read -r f; do
        cp -n "$f" "$out/mingw/$(echo "${f#/usr/}" | tr / _)"
    done
done
(cd "$dl" && ls setuptools-*.whl >/dev/null 2>&1 || pip download -q --no-deps --only-binary :all: setuptools pip -d .)
for whl in "$dl"/setuptools-*.whl "$dl"/pip-*.whl; do
    mkdir -p "$dl/w"
    unzip -o -q "$whl" '*.exe' -d "$dl/w/$(basename "$whl" .whl)" || true
done
find "$dl/w" -name '*.exe' -type f | while read -r f; do
    cp -n "$f" "$out/launchers/$(basename "$(dirname "$f")")_$(basename "$f")"
done
touch "$out/.complete"
echo "pe corpus: $(find "$out" -type f ! -name .complete | wc -l) files in $out" >&2
