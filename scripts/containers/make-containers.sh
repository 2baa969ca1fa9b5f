#!/usr/bin/env bash
# Packs one folder into every container format `vigil scan` and `vigil diff` open, with the Debian
# tools an installer builder would use, so tests and benchmarks can compare a scan of the container
# with a scan of the folder.
#
#   scripts/containers/make-containers.sh SRC_DIR OUT_DIR NAME [formats...]
#
# Formats (default: all whose tool is installed): zip tar.gz tar.xz tar.zst cab 7z pkg cpio iso rar; also tar
#   cab   gcab -c -z (MSZIP), members stored with their relative paths
#   7z    7z a (LZMA2)
#   pkg   a flat macOS installer package: xar holding NAME.pkg/PackageInfo and NAME.pkg/Payload,
#         the Payload a gzip'd odc cpio of the folder, as pkgbuild writes it (bsdtar for both)
#   cpio  bsdtar --format cpio (odc); iso: bsdtar --format iso9660 (Rock Ridge names)
#   zip, tar.*: bsdtar (zip deflate; tar with gzip/xz/zstd)
#   rar   RAR 5.0, stored (scripts/containers/make_rar5.py: rar itself is not free software)
# Prints one line per container written; a format whose tool is missing is reported and skipped.
set -euo pipefail
src=$1; out=$2; name=$3; shift 3
formats=("$@")
[ ${#formats[@]} -gt 0 ] || formats=(zip tar.gz tar.xz tar.zst cab 7z pkg cpio iso rar)
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$out"
out=$(cd "$out" && pwd)
have() { command -v "$1" >/dev/null 2>&1; }
# Member lists are sorted so every container holds the files in the same order.
list=$(cd "$src" && find . -mindepth 1 \( -type f -o -type l \) | sed 's|^\./||' | LC_ALL=C sort)
for f in "${formats[@]}"; do
    target="$out/$name.$f"
    rm -f "$target"
    case $f in
    zip) have bsdtar || { echo "skip $f: bsdtar missing" >&2; continue; }
        (cd "$src" && printf '%s\n' "$list" | bsdtar --format zip -cf "$target" -T -) ;;
    tar|tar.gz|tar.xz|tar.zst)
        have bsdtar || { echo "skip $f: bsdtar missing" >&2; continue; }
        flag=$(case $f in tar.gz) echo --gzip;; tar.xz) echo --xz;; tar.zst) echo --zstd;; esac)
        (cd "$src" && printf '%s\n' "$list" | bsdtar --format pax $flag -cf "$target" -T -) ;;
    cab) have gcab || { echo "skip $f: gcab missing" >&2; continue; }
        (cd "$src" && printf '%s\n' "$list" | tr '\n' '\0' | xargs -0 gcab -c -z "$target") ;;
    7z) have 7z || { echo "skip $f: 7z missing" >&2; continue; }
        (cd "$src" && printf '%s\n' "$list" > "$out/.list-$name" && 7z a -bd -y "$target" "@$out/.list-$name" >/dev/null && rm -f "$out/.list-$name") ;;
    cpio) have bsdtar || { echo "skip $f: bsdtar missing" >&2; continue; }
        (cd "$src" && printf '%s\n' "$list" | bsdtar --format cpio -cf "$target" -T -) ;;
    iso) have bsdtar || { echo "skip $f: bsdtar missing" >&2; continue; }
        (cd "$src" && bsdtar --format iso9660 --options iso9660:rockridge,iso9660:joliet -cf "$target" .) ;;
    pkg) have bsdtar || { echo "skip $f: bsdtar missing" >&2; continue; }
        work=$(mktemp -d)
        mkdir -p "$work/$name.pkg"
        (cd "$src" && printf '%s\n' "$list" | bsdtar --format cpio -cf - -T - | gzip -n -9 > "$work/$name.pkg/Payload")
        printf '<?xml version="1.0" encoding="utf-8"?>\n<pkg-info format-version="2" identifier="com.example.%s" version="1.0" install-location="/Applications" auth="root"/>\n' "$name" > "$work/$name.pkg/PackageInfo"
        printf '<?xml version="1.0" encoding="utf-8"?>\n<installer-gui-script minSpecVersion="1"><pkg-ref id="com.example.%s">#%s.pkg</pkg-ref></installer-gui-script>\n' "$name" "$name" > "$work/Distribution"
        (cd "$work" && bsdtar --format xar -cf "$target" Distribution "$name.pkg")
        rm -rf "$work" ;;
    rar) have python3 || { echo "skip $f: python3 missing" >&2; continue; }
        python3 "$here/make_rar5.py" "$src" "$target" ;;
    *) echo "unknown format $f" >&2; exit 2 ;;
    esac
    echo "$target"
done
