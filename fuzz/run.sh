#!/usr/bin/env bash
# Builds the libFuzzer targets (release, -sanitize=fuzzer,address) and runs one of them.
#
#   fuzz/run.sh TARGET SECONDS [extra libFuzzer flags]
#   TARGET: pe | signeddata | macho | ico | png | tar | zip | layout | containers | cfb | msi | udif | partitions
#
# The corpus lives in fuzz-out/TARGET/corpus (git-ignored), seeded from Fixtures/build/pe (run
# scripts/build-fixtures.sh first for a good seed; it works without). Crashes are written to
# fuzz-out/TARGET/. The run's last line with "#N" gives the execution count. Runs under nice -n 19.
set -euo pipefail
cd "$(dirname "$0")"
target=${1:?usage: fuzz/run.sh pe|signeddata|macho|ico|png|tar|zip|layout|containers|cfb|msi|udif|partitions SECONDS}
seconds=${2:?usage: fuzz/run.sh pe|signeddata|macho|ico|png|tar|zip|layout|containers|cfb|msi|udif|partitions SECONDS}
shift 2
root=$(cd .. && pwd)
nice -n 19 swift build -c release --product fuzz-$target -Xswiftc -sanitize=fuzzer,address -Xswiftc -Xclang-linker -Xswiftc -fuse-ld=lld >&2
bin=$(swift build -c release --show-bin-path)/fuzz-$target
out=$root/fuzz-out/$target
mkdir -p "$out/corpus"
fixtures=$root/Fixtures/build/pe
# Mach-O, ICO and PNG targets are seeded from their own fixture folders (thin and fat, signed and not).
case $target in
    macho) fixtures=$root/Fixtures/build/macho ;;
    ico | png) fixtures=$root/Fixtures/build/images ;;
    cfb | msi) fixtures=$root/Fixtures/build/msi ;;
esac
if { [ -d "$fixtures" ] || [ "$target" = tar ] || [ "$target" = zip ] || [ "$target" = containers ] || [ "$target" = layout ] || [ "$target" = udif ] || [ "$target" = partitions ]; } && [ -z "$(ls -A "$out/corpus")" ]; then
    case $target in
        macho) find "$fixtures" -maxdepth 1 -type f \( -name 'app-*' -o -name 'lib*' \) -size -80k -exec cp {} "$out/corpus/" \; ;;
        ico) cp "$fixtures"/*.ico "$out/corpus/" ;;
        # The wixl-built installers (scripts/fixtures/windows-msi.sh): embedded and external cabinet.
        cfb | msi) find "$fixtures" -name '*.msi' -exec cp {} "$out/corpus/" \; ;;
        png) cp "$fixtures"/*.png "$out/corpus/" ;;
        tar | zip)
            # Seeded with archives Python's tarfile (GNU, pax, ustar, hand-made hostile chains) or
            # zipfile (stored, deflate, ZIP64 extras) writes.
            python3 "$root/scripts/archive-oracle.py" gen-$target "$out/corpus" 200 1
            rm -f "$out/corpus/cases.json" ;;
        udif | partitions)
            # Small HFS+/HFSX volumes (scripts/dmg/make_hfsplus.py) from a generated tree, wrapped by
            # scripts/dmg/make_udif.py (bare and GPT, every chunk method); partitions gets the first
            # 64 KiB of each decoded disk (the maps and the volume header).
            bash "$root/scripts/dmg/seed-corpus.sh" "$target" "$out/corpus" ;;
        layout)
            # Tar and ZIP archives from Python (as for tar and zip) and a small tree packed in every
            # format (the cabinets among them, plain and MSZIP).
            python3 "$root/scripts/archive-oracle.py" gen-tar "$out/corpus" 100 1
            python3 "$root/scripts/archive-oracle.py" gen-zip "$out/corpus" 100 2
            rm -f "$out/corpus/cases.json"
            mkdir -p "$out/seed-tree/sub" && printf 'MZ fuzz seed\n' > "$out/seed-tree/a.exe" && printf 'x' > "$out/seed-tree/sub/b.txt"
            bash "$root/scripts/containers/make-containers.sh" "$out/seed-tree" "$out/corpus" seed >/dev/null
            rm -rf "$out/seed-tree" ;;
        containers)
            # Seeded with the hostile containers and every format packing a small tree.
            python3 "$root/scripts/containers/make-hostile.py" "$out/seed" >/dev/null
            find "$out/seed" -type f -size -1100k -exec cp {} "$out/corpus/" \;
            mkdir -p "$out/seed-tree/sub" && printf 'MZ fuzz seed\n' > "$out/seed-tree/a.exe" && printf 'x' > "$out/seed-tree/sub/b.txt"
            bash "$root/scripts/containers/make-containers.sh" "$out/seed-tree" "$out/corpus" seed >/dev/null
            rm -rf "$out/seed" "$out/seed-tree" ;;
        pe) find "$fixtures" -type f \( -name '*.exe' -o -name '*.dll' \) -exec cp {} "$out/corpus/" \; ;;
        signeddata)
            # Seed with the PKCS#7 blobs cut out of the signed fixtures.
            for f in "$fixtures"/signed/*.dll "$fixtures"/signed/*.exe; do
                python3 - "$f" "$out/corpus/$(basename "$f").p7" <<'PY'
import struct, sys
d = open(sys.argv[1], "rb").read()
lfanew = struct.unpack_from("<I", d, 0x3C)[0]
opt = lfanew + 24
secdir = opt + (112 if struct.unpack_from("<H", d, opt)[0] == 0x20B else 96) + 32
off, size = struct.unpack_from("<II", d, secdir)
blob = d[off + 8:off + struct.unpack_from("<I", d, off)[0]]
n = blob[1] & 0x7F if blob[1] & 0x80 else 0  # keep exactly the DER element, not the slack after it
der_len = 2 + n + (int.from_bytes(blob[2:2 + n], "big") if n else blob[1])
open(sys.argv[2], "wb").write(blob[:der_len])
PY
            done ;;
    esac
fi
echo "fuzz: $bin for ${seconds}s, corpus $out/corpus" >&2
cd "$out"
nice -n 19 "$bin" "$out/corpus" -max_total_time="$seconds" -max_len=1048576 -rss_limit_mb=2048 \
    -timeout=10 -print_final_stats=1 "$@" 2>&1 | tee "$out/last-run.log" | grep -E '^#[0-9]+.*(pulse|DONE|NEW)|stat::|ERROR|SUMMARY' | tail -n 20
