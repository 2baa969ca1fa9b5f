#!/usr/bin/env bash
# MSI extraction speed: Vigil (VigilMSI + the container walker, cabinets through libarchive, every
# member written into the walker's private folder and removed, as `vigil scan` does) against
# msiextract (msitools) unpacking the same package to disk. One run each, then the ratio.
#
#   benchmarks/msi.sh [FILES] [MIB_PER_FILE]     default 40 files of 4 MiB (half random, half text)
#
# The package is built with wixl (MSZIP cabinet embedded) in bench-out/msi/ (git-ignored).
set -euo pipefail
cd "$(dirname "$0")/.."
files=${1:-40}
mib=${2:-4}
out=bench-out/msi
for tool in wixl msiextract; do
    command -v "$tool" >/dev/null || { echo "msi benchmark: '$tool' is missing (apt-get install wixl msitools)" >&2; exit 2; }
done
swift build -c release --product vigil-container-bench >&2
bench=$(swift build -c release --show-bin-path)/vigil-container-bench
mkdir -p "$out"
msi=$out/bench-$files-$mib.msi
if [ ! -e "$msi" ]; then
    rm -rf "$out/src"
    mkdir -p "$out/src"
    python3 - "$out/src" "$files" "$mib" <<'PY'
import os, random, sys
d, n, mib = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
random.seed(7)
words = [b"alpha", b"beta", b"gamma", b"delta", b"supply", b"chain", b"ffmpeg", b"3cx"]
for i in range(n):
    size = mib << 20
    data = os.urandom(size) if i % 2 == 0 else b" ".join(random.choice(words) for _ in range(size // 5))[:size]
    open(os.path.join(d, "file%03d.bin" % i), "wb").write(data)
PY
    {
        echo '<?xml version="1.0" encoding="utf-8"?>'
        echo '<Wix xmlns="http://schemas.microsoft.com/wix/2006/wi"><Product Id="*" Name="Bench" Language="1033" Version="1.0.0" Manufacturer="Vigil" UpgradeCode="6A2C1B3E-7F5D-4E0A-9B8C-1D2E3F4A5B6D">'
        echo '<Package InstallerVersion="200" Compressed="yes"/><Media Id="1" Cabinet="bench.cab" EmbedCab="yes"/>'
        echo '<Directory Id="TARGETDIR" Name="SourceDir"><Directory Id="ProgramFilesFolder"><Directory Id="INSTALLDIR" Name="Bench">'
        for i in $(seq 0 $((files - 1))); do
            n=$(printf %03d "$i")
            printf '<Component Id="C%s" Guid="11111111-2222-3333-4444-555555557%s"><File Id="file%s.bin" Name="file%s.bin" Source="src/file%s.bin" KeyPath="yes"/></Component>\n' "$n" "$n" "$n" "$n" "$n"
        done
        echo '</Directory></Directory></Directory><Feature Id="Main" Level="1">'
        for i in $(seq 0 $((files - 1))); do printf '<ComponentRef Id="C%03d"/>' "$i"; done
        echo '</Feature></Product></Wix>'
    } >"$out/bench.wxs"
    (cd "$out" && wixl -o "$(basename "$msi")" bench.wxs 2>/dev/null)
    rm -rf "$out/src"
fi
size=$(stat -c %s "$msi")
echo "package: $msi ($size bytes, $files files of $mib MiB)"
line=$("$bench" "$msi")
echo "vigil:      $line"
vigil_s=$(echo "$line" | cut -f4)
rm -rf "$out/x"
start=$(date +%s.%N)
msiextract -C "$out/x" "$msi" >/dev/null
end=$(date +%s.%N)
extracted=$(du -sb "$out/x" | cut -f1)
rm -rf "$out/x"
msiextract_s=$(echo "$end - $start" | bc -l)
printf 'msiextract: %s bytes in %.3f s\n' "$extracted" "$msiextract_s"
printf 'ratio (msiextract time / vigil time, > 1: vigil faster): %.2f\n' "$(echo "$msiextract_s / $vigil_s" | bc -l)"
