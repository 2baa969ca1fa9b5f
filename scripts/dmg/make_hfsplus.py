#!/usr/bin/env python3
"""Writes a small HFS+ (or HFSX) volume image holding a copy of a folder tree, without mounting.

Used to build the disk-image test fixtures on Linux, where hfsprogs is not packaged. Follows Apple's
Technical Note TN1150 (HFS Plus Volume Format): a volume header at byte 1024 and its copy 1024 bytes
from the end, an allocation bitmap file, empty extents-overflow and attributes B-trees, and a catalog B-tree of
folder, file and thread records (one index level when the leaves do not fit one node). Every file is
one contiguous extent. Regular files, folders and symbolic links are copied; nothing else.

    make_hfsplus.py SOURCE_DIR OUTPUT.img [--name VOLUME] [--hfsx]
"""
import argparse
import os
import stat
import struct
import unicodedata

BLOCK = 4096
NODE = 4096
HFS_EPOCH_OFFSET = 2082844800  # seconds from 1904-01-01 to 1970-01-01
FIXED_DATE = 1_680_000_000 + HFS_EPOCH_OFFSET  # reproducible output


def uni(name):
    name = unicodedata.normalize("NFD", name)
    units = name.encode("utf-16-be")
    n = len(units) // 2
    if n > 255:
        raise SystemExit(f"name too long for HFS+: {name!r}")
    return struct.pack(">H", n) + units, units


def cat_key(parent, name):
    u, _ = uni(name)
    body = struct.pack(">I", parent) + u
    return struct.pack(">H", len(body)) + body


def sort_key(parent, name, hfsx):
    _, units = uni(name)
    codes = [int.from_bytes(units[i:i + 2], "big") for i in range(0, len(units), 2)]
    if not hfsx:  # HFS+ compares case-insensitively; ASCII-level folding is enough for test trees
        codes = [c + 32 if 65 <= c <= 90 else c for c in codes]
    return (parent, codes)


def bsd(mode):
    # ownerID, groupID, adminFlags, ownerFlags, fileMode, special
    return struct.pack(">IIBBHI", 501, 20, 0, 0, mode, 0)


def fork(size, start, count):
    ext = struct.pack(">II", start, count) + b"\0" * 56
    return struct.pack(">QII", size, 0, count) + ext


def folder_record(cnid, valence, mode=0o040755):
    return (struct.pack(">hHII", 1, 0, valence, cnid) + struct.pack(">5I", *[FIXED_DATE] * 5) + bsd(mode)
            + b"\0" * 32 + struct.pack(">II", 0, 0))


def file_record(cnid, size, start, count, mode, finder_type=b"\0\0\0\0", creator=b"\0\0\0\0"):
    finfo = finder_type + creator + b"\0" * 8
    return (struct.pack(">hHII", 2, 0, 0, cnid) + struct.pack(">5I", *[FIXED_DATE] * 5) + bsd(mode)
            + finfo + b"\0" * 16 + struct.pack(">II", 0, 0) + fork(size, start, count) + fork(0, 0, 0))


def thread_record(kind, parent, name):
    u, _ = uni(name)
    return struct.pack(">hhI", kind, 0, parent) + u


def node(kind, height, records, flink=0, blink=0):
    body = bytearray(struct.pack(">IIbBHH", flink, blink, kind, height, len(records), 0))
    offsets = []
    for r in records:
        offsets.append(len(body))
        body += r
    offsets.append(len(body))
    if len(body) + 2 * len(offsets) > NODE:
        raise ValueError("node overflow")
    out = bytearray(NODE)
    out[:len(body)] = body
    for i, off in enumerate(offsets):
        struct.pack_into(">H", out, NODE - 2 * (i + 1), off)
    return bytes(out)


def header_node(depth, root, leaf_records, first_leaf, last_leaf, total, free, max_key, compare, attrs, used):
    rec = struct.pack(">HIIIIHHIIHIBBI", depth, root, leaf_records, first_leaf, last_leaf, NODE, max_key,
                      total, free, 0, NODE, 0, compare, attrs) + b"\0" * 64
    assert len(rec) == 106
    bitmap = bytearray(NODE - 14 - 106 - 128 - 8)
    for n in range(used):
        bitmap[n // 8] |= 0x80 >> (n % 8)
    return node(1, 0, [rec, b"\0" * 128, bytes(bitmap)])


def build(source, name, hfsx):
    # Collect the tree: (cnid, parent cnid, name, kind, path).
    items = []
    next_id = 16
    folders = {2: []}
    stack = [(source, 2)]
    while stack:
        path, cnid = stack.pop()
        for entry in sorted(os.listdir(path)):
            full = os.path.join(path, entry)
            st = os.lstat(full)
            if stat.S_ISDIR(st.st_mode):
                kind = "dir"
            elif stat.S_ISREG(st.st_mode):
                kind = "file"
            elif stat.S_ISLNK(st.st_mode):
                kind = "link"
            else:
                continue
            item = dict(cnid=next_id, parent=cnid, name=entry, kind=kind, path=full, mode=st.st_mode)
            next_id += 1
            items.append(item)
            folders[cnid].append(item)
            if kind == "dir":
                folders[item["cnid"]] = []
                stack.append((full, item["cnid"]))

    # Layout: block 0 header, 1 bitmap, 2 extents file, 3 attributes file, catalog, data, last block.
    datas = {}
    for it in items:
        if it["kind"] == "file":
            datas[it["cnid"]] = open(it["path"], "rb").read()
        elif it["kind"] == "link":
            datas[it["cnid"]] = os.readlink(it["path"]).encode()

    records = []  # (sortkey, key bytes, data bytes)
    def add(parent, nm, data):
        records.append((sort_key(parent, nm, hfsx), cat_key(parent, nm), data))

    catalog_blocks_guess = 8
    data_start = 4 + catalog_blocks_guess
    cursor = data_start
    extents = {}
    for it in items:
        if it["cnid"] in datas:
            n = (len(datas[it["cnid"]]) + BLOCK - 1) // BLOCK
            extents[it["cnid"]] = (cursor, n)
            cursor += n

    add(1, name, folder_record(2, len(folders[2])))
    add(2, "", thread_record(3, 1, name))
    for it in items:
        if it["kind"] == "dir":
            add(it["parent"], it["name"], folder_record(it["cnid"], len(folders[it["cnid"]])))
            add(it["cnid"], "", thread_record(3, it["parent"], it["name"]))
        else:
            start, count = extents[it["cnid"]]
            size = len(datas[it["cnid"]])
            if it["kind"] == "link":
                rec = file_record(it["cnid"], size, start, count, 0o120755, b"slnk", b"rhap")
            else:
                mode = 0o100755 if it["mode"] & 0o111 else 0o100644
                rec = file_record(it["cnid"], size, start, count, mode)
            add(it["parent"], it["name"], rec)
            add(it["cnid"], "", thread_record(4, it["parent"], it["name"]))
    records.sort(key=lambda r: r[0])

    # Pack leaves.
    leaves, current, used = [], [], 14 + 2
    for r in records:
        size = len(r[1]) + len(r[2])
        if current and used + size + 2 > NODE:
            leaves.append(current)
            current, used = [], 14 + 2
        current.append(r)
        used += size + 2
    if current:
        leaves.append(current)
    if len(leaves) == 1:
        first_leaf, index_nodes, depth, root = 1, [], 1, 1
    else:
        first_leaf, depth, root = 2, 2, 1
        index_nodes = [[(leaf[0][1], i + first_leaf) for i, leaf in enumerate(leaves)]]
    used_nodes = first_leaf + len(leaves)
    total_nodes = max(used_nodes + 4, catalog_blocks_guess)
    if total_nodes > catalog_blocks_guess:
        raise SystemExit("tree too large for this writer's fixed catalog size")
    catalog = bytearray()
    catalog += header_node(depth, root, len(records), first_leaf, first_leaf + len(leaves) - 1, total_nodes,
                           total_nodes - used_nodes, 516, 0xBC if hfsx else 0xCF, 6, used_nodes)
    for idx in index_nodes:
        recs = [key + struct.pack(">I", child) for key, child in idx]
        catalog += node(0, 2, recs)
    for i, leaf in enumerate(leaves):
        n = first_leaf + i
        flink = n + 1 if i + 1 < len(leaves) else 0
        blink = n - 1 if i > 0 else 0
        catalog += node(-1, 1, [k + d for _, k, d in leaf], flink, blink)
    catalog += b"\0" * (total_nodes * NODE - len(catalog))

    total_blocks = max(cursor + 1, 256)  # at least 1 MiB
    image = bytearray(total_blocks * BLOCK)
    # Allocation bitmap: blocks 0..cursor-1 and the last block.
    bitmap = bytearray(BLOCK)
    used_blocks = list(range(cursor)) + [total_blocks - 1]
    for b in used_blocks:
        bitmap[b // 8] |= 0x80 >> (b % 8)
    image[BLOCK:2 * BLOCK] = bitmap
    ext_header = header_node(0, 0, 0, 0, 0, 1, 0, 10, 0, 2, 1)
    image[2 * BLOCK:3 * BLOCK] = ext_header
    image[3 * BLOCK:4 * BLOCK] = header_node(0, 0, 0, 0, 0, 1, 0, 266, 0, 6, 1)  # empty attributes B-tree
    image[4 * BLOCK:4 * BLOCK + len(catalog)] = catalog
    for cnid, (start, count) in extents.items():
        d = datas[cnid]
        image[start * BLOCK:start * BLOCK + len(d)] = d

    files = sum(1 for it in items if it["kind"] != "dir")
    dirs = sum(1 for it in items if it["kind"] == "dir")
    vh = bytearray(512)
    struct.pack_into(">2sH" + "I" * 17 + "Q", vh, 0, b"HX" if hfsx else b"H+", 5 if hfsx else 4, 0x100,
                     0x3130_2E30, 0, FIXED_DATE, FIXED_DATE, 0, FIXED_DATE, files, dirs, BLOCK, total_blocks,
                     total_blocks - len(used_blocks), cursor, BLOCK, BLOCK, next_id, 1, 1)
    vh[112:192] = fork(BLOCK, 1, 1)
    vh[192:272] = fork(BLOCK, 2, 1)
    vh[272:352] = fork(len(catalog), 4, total_nodes)
    vh[352:432] = fork(BLOCK, 3, 1)
    image[1024:1536] = vh
    image[len(image) - 1024:len(image) - 512] = vh
    return bytes(image)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("source")
    p.add_argument("output")
    p.add_argument("--name", default="Vigil Test")
    p.add_argument("--hfsx", action="store_true", help="write HFSX (case-sensitive, binary key order)")
    a = p.parse_args()
    data = build(a.source, a.name, a.hfsx)
    with open(a.output, "wb") as f:
        f.write(data)


if __name__ == "__main__":
    main()
