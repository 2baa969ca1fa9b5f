#!/usr/bin/env bash
# Seeds the udif or partitions fuzz corpus (fuzz/run.sh): small HFS+/HFSX volumes from a generated
# tree, as UDIF images (udif) or as the first 64 KiB of raw bare/GPT disks and of a bare APFS
# container (partitions).
#   scripts/dmg/seed-corpus.sh udif|partitions OUTDIR
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
target=$1 out=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/src/App.app/Contents/MacOS" "$tmp/src/Empty"
head -c 3000 /dev/urandom >"$tmp/src/App.app/Contents/MacOS/App"
printf 'hello %.0s' $(seq 1 500) >"$tmp/src/App.app/Contents/Info.plist"
ln -s MacOS/App "$tmp/src/App.app/Contents/link"
python3 "$here/make_hfsplus.py" "$tmp/src" "$tmp/hfs.img"
python3 "$here/make_hfsplus.py" "$tmp/src" "$tmp/hfsx.img" --hfsx
if [ "$target" = udif ]; then
    n=0
    for vol in hfs hfsx; do
        for methods in zlib bzip2 raw lzma adc zlib,bzip2,raw,lzma,adc; do
            for gpt in "" --gpt; do
                n=$((n + 1))
                python3 "$here/make_udif.py" "$tmp/$vol.img" "$out/seed-$n.dmg" --methods "$methods" --chunk-sectors 256 $gpt
            done
        done
    done
else
    python3 "$here/make_apfs.py" "$tmp/src" "$tmp/apfs.img"
    head -c 65536 "$tmp/apfs.img" >"$out/bare-apfs.img"
    python3 -c "
import sys; sys.path.insert(0, '$here')
import make_udif
vol = open('$tmp/hfs.img', 'rb').read()
open('$out/bare.img', 'wb').write(vol[:65536])
disk, _ = make_udif.gpt_disk(vol, False)
open('$out/gpt.img', 'wb').write(disk[:65536])
disk, _ = make_udif.gpt_disk(vol, True)
open('$out/gpt-apfs.img', 'wb').write(disk[:65536])
apm = bytearray(65536); apm[0:4] = b'ER\x02\x00'
for i in range(3):
    e = 512 * (i + 1); apm[e:e+2] = b'PM'; apm[e+4:e+8] = (3).to_bytes(4, 'big')
    apm[e+8:e+12] = (64 + i).to_bytes(4, 'big'); apm[e+12:e+16] = (8).to_bytes(4, 'big')
    apm[e+16:e+24] = (b'disk%d' % i).ljust(8, b'\0'); apm[e+48:e+57] = b'Apple_HFS'
open('$out/apm.img', 'wb').write(bytes(apm))
"
fi
