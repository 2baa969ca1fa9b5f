#!/usr/bin/env python3
"""Writes a tree of N distinct files for the sweep benchmarks (scan-cache.sh, fleet.sh).

usage: benchmarks/make_tree.py ROOT N

Files of 1-64 KiB (mean about 32 KiB), 100 to a folder, 1,000 to a top-level folder:
ROOT/d000/s0/f000000.bin ... Every file is a slice of one random block followed by its own number,
so no two are equal. The generator is seeded: the same N gives the same tree.
"""
import os
import random
import sys


def main() -> int:
    if len(sys.argv) != 3:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    root, n = sys.argv[1], int(sys.argv[2])
    if n < 0:
        print("N must be 0 or more", file=sys.stderr)
        return 2
    rng = random.Random(20261207)
    os.makedirs(root, exist_ok=True)
    block = rng.randbytes(1 << 16)
    for i in range(n):
        d = os.path.join(root, f"d{i // 1000:03d}", f"s{(i // 100) % 10}")
        if i % 100 == 0:
            os.makedirs(d, exist_ok=True)
        size = rng.randint(1024, 65536)
        start = rng.randint(0, 65536 - 1024)
        data = (block[start:] + block)[:size - 8] + i.to_bytes(8, "little")  # every file distinct
        with open(os.path.join(d, f"f{i:06d}.bin"), "wb") as f:
            f.write(data)
    return 0


if __name__ == "__main__":
    sys.exit(main())
