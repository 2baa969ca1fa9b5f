#!/usr/bin/env python3
"""Writes a single-volume APFS container holding a copy of a folder tree, without mounting.

Debian's mkapfs (apfsprogs) formats an empty container only, and nothing on Linux copies files into
one without a kernel driver; this script writes the whole container itself, following Apple's
"Apple File System Reference" (2020). The layout, in 4 KiB blocks:

    0                 container superblock (NXSB), a copy of the checkpoint's
    1 .. 64           checkpoint descriptor area: checkpoint map (block 1), NXSB (block 2)
    65 .. 5968        checkpoint data area: reaper, space manager, two empty free-queue B-trees
                      (ephemeral objects, found through the checkpoint map)
    5969 .. 5984      internal-pool bitmap blocks (one in use)
    5985 ..           internal pool: one allocation bitmap block per 32,768-block chunk, one
                      chunk-info block (CIB)
    then              file data, one contiguous extent per non-empty file
    then              container object map and its B-tree (the volume superblock's virtual id ->
                      block); volume superblock (APSB); volume object map and its B-tree (file-system
                      tree node ids -> blocks); file-system tree nodes; extent-reference tree;
                      empty snapshot-metadata tree

The container is a whole number of 32,768-block chunks (128 MiB at least; the unused blocks stay a
hole in a sparse file). The volume is case-insensitive (like macOS's default), so directory records
use the hashed key: CRC32C (Castagnoli, seed ~0, no final inversion) over the UTF-32 code points of
the name after NFD normalization and case folding, low 22 bits, shifted left by 10 above the name's
UTF-8 length including its NUL. File-system records written: inode (j_inode_val, with the name and,
for files with data, the data-stream extended fields), directory record (j_drec_hashed_key +
j_drec_val), data-stream id (j_dstream_id), file extent (j_file_extent) and, for symbolic links, the
com.apple.fs.symlink extended attribute. Each extent also gets a physical-extent record
(j_phys_ext) in the extent-reference tree. A B-tree too large for one node gets index levels (the
object maps' fixed-size nodes preallocate their whole table of contents, as Apple's do). The space
manager's internal-pool size (3 blocks per chunk bitmap and per chunk-info block) and free-queue
node limits are the values Apple's and apfsprogs' formatters write. Every object carries its
Fletcher-64 checksum. Names are compared case-insensitively, so two names in one folder that differ
only by case are refused. Timestamps are fixed, so the output is reproducible.

Checked with `apfsck` (apfsprogs) and `fsapfsinfo -E all` (libfsapfs-utils).

    make_apfs.py SOURCE_DIR OUTPUT.img [--name VOLUME]
"""
import argparse
import os
import stat
import struct
import unicodedata
import uuid

BS = 4096
XID = 1
TIME_NS = 1_680_000_000 * 1_000_000_000  # 2023-03-28, fixed for reproducible output
CHUNK = 8 * BS  # blocks described by one allocation bitmap block
DESC_BASE, DESC_BLOCKS = 1, 64
DATA_BASE, DATA_BLOCKS = DESC_BASE + DESC_BLOCKS, 5904
IP_BM_BLOCKS = 16

# Object types (low 16 bits) and storage flags.
T_NX, T_BTREE, T_NODE, T_SPACEMAN, T_CIB, T_FREEQ = 0x1, 0x2, 0x3, 0x5, 0x7, 0x9
T_OMAP, T_CPM, T_FS, T_FSTREE, T_EXTREF, T_SNAPMETA, T_REAPER = 0xB, 0xC, 0xD, 0xE, 0xF, 0x10, 0x11
VIRTUAL, EPHEMERAL, PHYSICAL = 0, 0x80000000, 0x40000000
# Ephemeral and virtual object ids.
OID_SPACEMAN, OID_REAPER, OID_VOLUME, OID_FQ_IP, OID_FQ_MAIN = 1024, 1025, 1026, 1028, 1029
OID_FIRST_FS_NODE = 1030
# File-system record types (top 4 bits of a key's object id).
J_EXTENT, J_INODE, J_XATTR, J_DSTREAM_ID, J_FILE_EXTENT, J_DIR_REC = 2, 3, 4, 6, 8, 9
ROOT_INO, PRIV_INO, FIRST_INO = 2, 3, 16
DT_DIR, DT_REG, DT_LNK = 4, 8, 10
BTN_ROOT, BTN_LEAF, BTN_FIXED = 1, 2, 4


# --- checksums -----------------------------------------------------------------------------------

def fletcher64(data):
    """Apple's object checksum over everything after the 8-byte checksum field."""
    words = struct.unpack("<%dI" % (len(data) // 4), data)
    lo = hi = 0
    for w in words:
        lo = (lo + w) % 0xFFFFFFFF
        hi = (hi + lo) % 0xFFFFFFFF
    c1 = 0xFFFFFFFF - ((lo + hi) % 0xFFFFFFFF)
    c2 = 0xFFFFFFFF - ((lo + c1) % 0xFFFFFFFF)
    return (c2 << 32) | c1


def seal(block):
    """Fills in the checksum of a 4 KiB object in place and returns it as bytes."""
    block[0:8] = struct.pack("<Q", fletcher64(bytes(block[8:])))
    return bytes(block)


_CRC32C = []
for _n in range(256):
    _c = _n
    for _ in range(8):
        _c = (_c >> 1) ^ 0x82F63B78 if _c & 1 else _c >> 1
    _CRC32C.append(_c)


def crc32c(crc, data):
    for b in data:
        crc = _CRC32C[(crc ^ b) & 0xFF] ^ (crc >> 8)
    return crc


def normalized(name):
    """The code points APFS hashes and compares on a case-insensitive volume."""
    return [ord(c) for c in unicodedata.normalize("NFD", unicodedata.normalize("NFD", name).casefold())]


def name_len_and_hash(name):
    crc = 0xFFFFFFFF
    for cp in normalized(name):
        crc = crc32c(crc, struct.pack("<I", cp))
    length = len(name.encode("utf-8")) + 1
    if length > 255:
        raise SystemExit(f"name too long for APFS: {name!r}")
    return ((crc & 0x3FFFFF) << 10) | length


def header(oid, otype, subtype=0):
    return bytearray(struct.pack("<QQQII", 0, oid, XID, otype, subtype))


# --- the source tree -----------------------------------------------------------------------------

class Node:
    def __init__(self, ino, parent, name, kind, mode, path):
        self.ino, self.parent, self.name, self.kind, self.mode, self.path = ino, parent, name, kind, mode, path
        self.children = []
        self.size = 0
        self.target = None
        self.paddr = 0
        self.blocks = 0


def read_tree(source):
    """Numbers every entry (breadth first, names sorted) from inode 16."""
    nodes = []
    root = Node(ROOT_INO, 1, "root", "dir", 0o040755, source)
    queue, next_ino = [root], FIRST_INO
    while queue:
        folder = queue.pop(0)
        seen = {}
        for name in sorted(os.listdir(folder.path)):
            path = os.path.join(folder.path, name)
            st = os.lstat(path)
            folded = tuple(normalized(name))
            if folded in seen:
                raise SystemExit(f"{path}: differs from {seen[folded]!r} only by case (the volume is case-insensitive)")
            seen[folded] = name
            if stat.S_ISDIR(st.st_mode):
                node = Node(next_ino, folder.ino, name, "dir", 0o040000 | (st.st_mode & 0o7777), path)
                queue.append(node)
            elif stat.S_ISREG(st.st_mode):
                node = Node(next_ino, folder.ino, name, "file", 0o100000 | (st.st_mode & 0o7777), path)
                node.size = st.st_size
            elif stat.S_ISLNK(st.st_mode):
                node = Node(next_ino, folder.ino, name, "link", 0o120755, path)
                node.target = os.readlink(path).encode("utf-8")
            else:
                print(f"skipped (not a file, folder or link): {path}")
                continue
            next_ino += 1
            folder.children.append(node)
            nodes.append(node)
    return root, nodes, next_ino


# --- file-system records -------------------------------------------------------------------------

def jkey(oid, kind):
    return struct.pack("<Q", oid | (kind << 60))


def xfields(fields):
    """An xf_blob: count, used bytes, then (type, flags, size) headers, then 8-byte-aligned data."""
    heads, data = b"", b""
    for xtype, xflags, value in fields:
        heads += struct.pack("<BBH", xtype, xflags, len(value))
        data += value + b"\0" * (-len(value) % 8)
    return struct.pack("<HH", len(fields), len(data)) + heads + data


def inode_record(node, nchildren_or_nlink):
    private_id = node.ino
    val = struct.pack("<QQQQQQQIIIIIIHHQ", node.parent, private_id, TIME_NS, TIME_NS, TIME_NS, TIME_NS,
                      0, nchildren_or_nlink, 0, 0, 0, 0, 0, node.mode, 0, 0)
    fields = [(4, 0x02, node.name.encode("utf-8") + b"\0")]  # INO_EXT_TYPE_NAME, XF_DO_NOT_COPY
    if node.kind == "file" and node.size:
        alloced = node.blocks * BS
        # INO_EXT_TYPE_DSTREAM, XF_SYSTEM_FIELD: size, allocated size, crypto id, bytes written, read
        fields.append((8, 0x20, struct.pack("<QQQQQ", node.size, alloced, 0, node.size, 0)))
    return (node.ino, J_INODE, 0, ()), jkey(node.ino, J_INODE), val + xfields(fields)


def records(root, nodes):
    out = []
    priv = Node(PRIV_INO, 1, "private-dir", "dir", 0o040755, None)
    for top in (root, priv):  # the root and private folders are children of inode 1
        h = name_len_and_hash(top.name)
        key = jkey(1, J_DIR_REC) + struct.pack("<I", h) + top.name.encode("utf-8") + b"\0"
        out.append(((1, J_DIR_REC, h, tuple(normalized(top.name))), key, struct.pack("<QQH", top.ino, TIME_NS, DT_DIR)))
    out.append(inode_record(root, len(root.children)))
    out.append(inode_record(priv, 0))
    for node in nodes:
        out.append(inode_record(node, len(node.children) if node.kind == "dir" else 1))
        h = name_len_and_hash(node.name)
        key = jkey(node.parent, J_DIR_REC) + struct.pack("<I", h) + node.name.encode("utf-8") + b"\0"
        dtype = {"dir": DT_DIR, "file": DT_REG, "link": DT_LNK}[node.kind]
        out.append(((node.parent, J_DIR_REC, h, tuple(normalized(node.name))), key, struct.pack("<QQH", node.ino, TIME_NS, dtype)))
        if node.kind == "file" and node.size:
            out.append(((node.ino, J_DSTREAM_ID, 0, ()), jkey(node.ino, J_DSTREAM_ID), struct.pack("<I", 1)))
            out.append(((node.ino, J_FILE_EXTENT, 0, ()), jkey(node.ino, J_FILE_EXTENT) + struct.pack("<Q", 0),
                        struct.pack("<QQQ", node.blocks * BS, node.paddr, 0)))
        if node.kind == "link":
            name = b"com.apple.fs.symlink\0"
            # XATTR_DATA_EMBEDDED | XATTR_FILE_SYSTEM_OWNED
            out.append(((node.ino, J_XATTR, 0, tuple(name)), jkey(node.ino, J_XATTR) + struct.pack("<H", len(name)) + name,
                        struct.pack("<HH", 0x6, len(node.target) + 1) + node.target + b"\0"))
    out.sort(key=lambda r: r[0])
    return [(k, v) for _, k, v in out]


# --- B-trees ---------------------------------------------------------------------------------------

class Tree:
    """How one B-tree is stored: object subtype, storage, fixed key/value sizes, info flags."""

    def __init__(self, subtype, storage, bt_flags, fixed=None):
        self.subtype, self.storage, self.bt_flags, self.fixed = subtype, storage, bt_flags, fixed


def toc_length(tree, count, leaf):
    """Trees of fixed-size entries preallocate the whole table of contents; others get room for
    the entries, in steps of 16."""
    if tree.fixed:
        ks, vs = tree.fixed
        return 4 * ((BS - 56) // (ks + (vs if leaf else 8) + 4))
    return 8 * max(16, -(-count // 16) * 16)


def node_size(tree, entries, root, leaf):
    return 56 + toc_length(tree, len(entries), leaf) + sum(len(k) + len(v) for k, v in entries) + (40 if root else 0)


def node_bytes(tree, oid, entries, level, root, info=None):
    fixed = tree.fixed is not None
    otype = (T_BTREE if root else T_NODE) | tree.storage
    b = header(oid, otype, tree.subtype) + bytearray(BS - 32)
    flags = (BTN_ROOT if root else 0) | (BTN_LEAF if level == 0 else 0) | (BTN_FIXED if fixed else 0)
    toc_len = toc_length(tree, len(entries), level == 0)
    kstart, vend = 56 + toc_len, BS - (40 if root else 0)
    koff = voff = 0
    for i, (k, v) in enumerate(entries):
        b[kstart + koff:kstart + koff + len(k)] = k
        voff += len(v)
        b[vend - voff:vend - voff + len(v)] = v
        if fixed:
            struct.pack_into("<HH", b, 56 + 4 * i, koff, voff)
        else:
            struct.pack_into("<HHHH", b, 56 + 8 * i, koff, len(k), voff, len(v))
        koff += len(k)
    free = vend - voff - kstart - koff
    assert free >= 0
    struct.pack_into("<HHI", b, 32, flags, level, len(entries))
    struct.pack_into("<HHHHHHHH", b, 40, 0, toc_len, koff, free, 0xFFFF, 0, 0xFFFF, 0)
    if root:
        ks, vs = tree.fixed or (0, 0)
        struct.pack_into("<IIIIIIQQ", b, BS - 40, tree.bt_flags, BS, ks, vs, *info)
    return b


def build_tree(tree, leaf_records, allocate):
    """Writes a B-tree bottom up, greedily filling nodes and adding index levels until the top
    level fits a root node. `allocate()` gives (oid, paddr) for each node; returns the root's
    (oid, paddr), the (paddr, bytes) of every node and the (oid, paddr) of every node."""
    level, entries = 0, leaf_records
    longest_key = max((len(k) for k, _ in leaf_records), default=0)
    longest_val = max((len(v) for _, v in leaf_records), default=0)
    pending = []  # (oid, paddr, entries, level) of all non-root nodes
    while node_size(tree, entries, True, level == 0) > BS:
        groups, current = [], []
        for e in entries:
            if current and node_size(tree, current + [e], False, level == 0) > BS:
                groups.append(current)
                current = []
            current.append(e)
        groups.append(current)
        parents = []
        for g in groups:
            oid, paddr = allocate()
            pending.append((oid, paddr, g, level))
            parents.append((g[0][0], struct.pack("<Q", oid)))
        entries, level = parents, level + 1
    root_oid, root_paddr = allocate()
    node_count = len(pending) + 1
    info = (longest_key, longest_val, len(leaf_records), node_count)
    blocks = [(p, seal(node_bytes(tree, o, g, lv, False))) for o, p, g, lv in pending]
    blocks.append((root_paddr, seal(node_bytes(tree, root_oid, entries, level, True, info))))
    return (root_oid, root_paddr), blocks, [(o, p) for o, p, _, _ in pending] + [(root_oid, root_paddr)]


def ip_queue_limit(chunks):
    """Node limit of the internal pool's free queue: a function of the chunk count (the values
    Apple's and apfsprogs' formatters write; 2 is raised to 3, room for a new root)."""
    limit = 3 * (chunks + 751) // 1127 - 1
    return 3 if limit == 2 else limit


def main_queue_limit(blocks):
    """Node limit of the main free queue: linear in the block count below 1 GiB and up to 4 GiB of
    4 KiB blocks, 512 above."""
    if blocks < 0x40000:
        limit = 1 + (blocks - 1) // 4544
    elif blocks < 0x100000:
        limit = 116 + (blocks - 261281) // 2272
    else:
        limit = 512
    return 3 if limit == 2 else limit


# --- the container --------------------------------------------------------------------------------

def write(source, output, volname):
    root, nodes, next_ino = read_tree(source)
    files = [n for n in nodes if n.kind == "file" and n.size]
    data_blocks = sum(-(-n.size // BS) for n in files)
    chunks = 1
    while True:
        ip_bm_base = DATA_BASE + DATA_BLOCKS
        ip_base = ip_bm_base + IP_BM_BLOCKS
        ip_blocks = (chunks + 1) * 3  # three blocks per chunk bitmap and per chunk-info block, as apfsprogs expects
        first_free = ip_base + ip_blocks
        # Leave generous room for the metadata (a node holds at least a few entries; checked below).
        if first_free + data_blocks + 4096 + len(nodes) // 2 < chunks * CHUNK:
            break
        chunks += 1
        if chunks > 126:
            raise SystemExit("tree too large: more than one chunk-info block of chunks")
    total = chunks * CHUNK

    blocks = {}  # paddr -> 4 KiB bytes
    cursor = first_free
    for n in files:
        n.blocks = -(-n.size // BS)
        n.paddr = cursor
        cursor += n.blocks

    def physical():
        nonlocal cursor
        cursor += 1
        return cursor - 1, cursor - 1

    virtual_next = OID_FIRST_FS_NODE

    def virtual():
        nonlocal virtual_next, cursor
        virtual_next += 1
        cursor += 1
        return virtual_next - 1, cursor - 1

    # The container object map and its one-node tree, the volume superblock, the volume object map;
    # then the trees, each allocated as it is built.
    nx_omap = physical()[1]
    nx_omap_tree = physical()[1]
    vol_paddr = physical()[1]
    vol_omap = physical()[1]
    vol_first = vol_omap

    fs_tree = Tree(T_FSTREE, VIRTUAL, 0x40)  # BTREE_KV_NONALIGNED
    (fs_root_oid, _), fs_blocks, fs_nodes = build_tree(fs_tree, records(root, nodes), virtual)
    extref = Tree(T_EXTREF, PHYSICAL, 0x50)  # BTREE_PHYSICAL | BTREE_KV_NONALIGNED
    ext_records = [(jkey(n.paddr, J_EXTENT), struct.pack("<QQI", n.blocks | (1 << 60), n.ino, 1)) for n in files]
    (_, extref_root), ext_blocks, _ = build_tree(extref, ext_records, physical)
    snapmeta = Tree(T_SNAPMETA, PHYSICAL, 0x50)
    (_, snap_root), snap_blocks, _ = build_tree(snapmeta, [], physical)
    for paddr, data in fs_blocks + ext_blocks + snap_blocks:
        blocks[paddr] = data

    omap_tree = Tree(T_OMAP, PHYSICAL, 0x10, fixed=(16, 16))  # BTREE_PHYSICAL
    omap_val = lambda paddr: struct.pack("<IIQ", 0, BS, paddr)
    vol_map = [(struct.pack("<QQ", oid, XID), omap_val(p)) for oid, p in sorted(fs_nodes)]
    (_, vol_omap_tree), tb, _ = build_tree(omap_tree, vol_map, physical)
    blocks.update(tb)
    _, tb, _ = build_tree(omap_tree, [(struct.pack("<QQ", OID_VOLUME, XID), omap_val(vol_paddr))],
                          lambda: (nx_omap_tree, nx_omap_tree))
    blocks.update(tb)
    for paddr, tree_paddr, flags in ((nx_omap, nx_omap_tree, 1), (vol_omap, vol_omap_tree, 0)):
        b = header(paddr, PHYSICAL | T_OMAP) + bytearray(BS - 32)
        struct.pack_into("<IIIIQ", b, 32, flags, 0, PHYSICAL | T_BTREE, PHYSICAL | T_BTREE, tree_paddr)
        blocks[paddr] = seal(b)

    # Volume superblock.
    vol_alloc = (cursor - vol_first) + data_blocks  # everything from the volume's object map on, and the data
    counts = {k: sum(1 for n in nodes if n.kind == k) for k in ("file", "dir", "link")}
    v = header(OID_VOLUME, VIRTUAL | T_FS) + bytearray(BS - 32)
    struct.pack_into("<IIQQQQQQQ", v, 0x20, 0x42535041, 0, 0x2, 0, 0x1, 0, 0, 0, vol_alloc)
    struct.pack_into("<HHIIIHH", v, 0x60, 5, 0, 0, 6, 0, 1, 0)  # wrapped meta crypto state: no encryption
    struct.pack_into("<III", v, 0x74, VIRTUAL | T_BTREE, PHYSICAL | T_BTREE, PHYSICAL | T_BTREE)
    struct.pack_into("<QQQQ", v, 0x80, vol_omap, fs_root_oid, extref_root, snap_root)
    struct.pack_into("<Q", v, 0xB0, next_ino)
    struct.pack_into("<QQQQQ", v, 0xB8, counts["file"], counts["dir"], counts["link"], 0, 0)
    struct.pack_into("<QQ", v, 0xE0, vol_alloc, 0)
    v[0xF0:0x100] = uuid.uuid5(uuid.NAMESPACE_URL, "vigil-apfs-volume:" + volname).bytes
    struct.pack_into("<QQ", v, 0x100, TIME_NS, 1)  # last modified; APFS_FS_UNENCRYPTED
    v[0x110:0x130] = b"vigil make_apfs.py".ljust(32, b"\0")
    struct.pack_into("<QQ", v, 0x130, TIME_NS, XID)
    name = volname.encode("utf-8")[:255]
    v[0x2C0:0x2C0 + len(name)] = name
    struct.pack_into("<I", v, 0x3C0, 3)  # next document id
    blocks[vol_paddr] = seal(v)

    # Space manager bitmaps: every block in use is marked, the checkpoint areas whole.
    used = bytearray(chunks * BS)

    def mark(start, count):
        for blk in range(start, start + count):
            used[blk // 8] |= 1 << (blk % 8)
    mark(0, DATA_BASE + DATA_BLOCKS)
    mark(ip_bm_base, IP_BM_BLOCKS + ip_blocks)
    mark(first_free, cursor - first_free)
    ip_bitmap = bytearray(BS)
    for i in range(chunks + 1):
        ip_bitmap[i // 8] |= 1 << (i % 8)
    blocks[ip_bm_base] = bytes(ip_bitmap)
    cib_paddr = ip_base + chunks
    cib = header(cib_paddr, PHYSICAL | T_CIB) + bytearray(BS - 32)
    struct.pack_into("<II", cib, 32, 0, chunks)
    free_total = 0
    for c in range(chunks):
        bitmap = bytes(used[c * BS:(c + 1) * BS])
        free = CHUNK - sum(bin(x).count("1") for x in bitmap)
        free_total += free
        blocks[ip_base + c] = bitmap
        struct.pack_into("<QQIIQ", cib, 40 + 32 * c, XID, c * CHUNK, CHUNK, free, ip_base + c)
    blocks[cib_paddr] = seal(cib)

    sm = header(OID_SPACEMAN, EPHEMERAL | T_SPACEMAN) + bytearray(BS - 32)
    addr_offset = 384
    struct.pack_into("<IIII", sm, 32, BS, CHUNK, (BS - 40) // 32, (BS - 40) // 8)
    struct.pack_into("<QQIIQIIQ", sm, 48, total, chunks, 1, 0, free_total, addr_offset, 0, 0)
    struct.pack_into("<QQIIQIIQ", sm, 96, 0, 0, 0, 0, 0, addr_offset + 8, 0, 0)
    struct.pack_into("<IIQIIQQQQ", sm, 144, 0, 16, ip_blocks, 1, IP_BM_BLOCKS, ip_bm_base, ip_base, 0, 0)
    struct.pack_into("<QQQHHIQ", sm, 200, 0, OID_FQ_IP, 0, ip_queue_limit(chunks), 0, 0, 0)
    struct.pack_into("<QQQHHIQ", sm, 240, 0, OID_FQ_MAIN, 0, main_queue_limit(total), 0, 0, 0)
    # Internal-pool bitmap list: head 1, tail 15, then the xid, the bitmap index and the free list,
    # stored past the fixed part of the (non-versioned) structure at the offsets given here.
    struct.pack_into("<HHIII", sm, 320, 1, IP_BM_BLOCKS - 1, 336, 344, 352)
    struct.pack_into("<Q", sm, 336, XID)
    struct.pack_into("<H", sm, 344, 0)
    free_next = [0xFFFF] + list(range(2, IP_BM_BLOCKS)) + [0xFFFF]
    struct.pack_into("<%dH" % IP_BM_BLOCKS, sm, 352, *free_next)
    struct.pack_into("<Q", sm, addr_offset, cib_paddr)
    ephemeral = {OID_SPACEMAN: (DATA_BASE + 1, sm, EPHEMERAL | T_SPACEMAN, 0)}

    reaper = header(OID_REAPER, EPHEMERAL | T_REAPER) + bytearray(BS - 32)
    struct.pack_into("<QQQQIIIIQQQII", reaper, 32, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, BS - 112)
    ephemeral[OID_REAPER] = (DATA_BASE, reaper, EPHEMERAL | T_REAPER, 0)
    fq_tree = Tree(T_FREEQ, EPHEMERAL, 0xC, fixed=(16, 8))  # BTREE_ALLOW_GHOSTS | BTREE_EPHEMERAL
    for i, oid in enumerate((OID_FQ_IP, OID_FQ_MAIN)):
        b = node_bytes(fq_tree, oid, [], 0, True, (16, 8, 0, 1))
        ephemeral[oid] = (DATA_BASE + 2 + i, b, EPHEMERAL | T_BTREE, T_FREEQ)

    cpm = header(DESC_BASE, PHYSICAL | T_CPM) + bytearray(BS - 32)
    order = (OID_REAPER, OID_SPACEMAN, OID_FQ_IP, OID_FQ_MAIN)
    struct.pack_into("<II", cpm, 32, 1, len(order))  # CHECKPOINT_MAP_LAST
    for i, oid in enumerate(order):
        paddr, obj, otype, subtype = ephemeral[oid]
        struct.pack_into("<IIIIQQQ", cpm, 40 + 40 * i, otype, subtype, BS, 0, 0, oid, paddr)
        blocks[paddr] = seal(obj)
    blocks[DESC_BASE] = seal(cpm)

    nx = header(1, EPHEMERAL | T_NX) + bytearray(BS - 32)
    struct.pack_into("<IIQQQQ", nx, 0x20, 0x4253584E, BS, total, 0, 0, 0x2)  # NX_INCOMPAT_VERSION2
    nx[0x48:0x58] = uuid.uuid5(uuid.NAMESPACE_URL, "vigil-apfs-container:" + volname).bytes
    struct.pack_into("<QQIIQQIIIIII", nx, 0x58, virtual_next, XID + 1, DESC_BLOCKS, DATA_BLOCKS,
                     DESC_BASE, DATA_BASE, 2, len(order), 0, 2, 0, len(order))
    struct.pack_into("<QQQII", nx, 0x98, OID_SPACEMAN, nx_omap, OID_REAPER, 0, max(1, min(100, -(-total // (CHUNK * 4)))))
    struct.pack_into("<Q", nx, 0xB8, OID_VOLUME)
    struct.pack_into("<Q", nx, 0x520, 0x800040001)  # ephemeral info: version 1, minimum block count
    superblock = seal(nx)
    blocks[0] = superblock
    blocks[DESC_BASE + 1] = superblock

    with open(output, "wb") as f:
        f.truncate(total * BS)
        for paddr in sorted(blocks):
            f.seek(paddr * BS)
            f.write(blocks[paddr])
        for n in files:
            f.seek(n.paddr * BS)
            with open(n.path, "rb") as src:
                remaining = n.size
                while remaining:
                    chunk = src.read(min(remaining, 1 << 20))
                    if not chunk:
                        raise SystemExit(f"{n.path}: shrank while being copied")
                    f.write(chunk)
                    remaining -= len(chunk)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("source")
    ap.add_argument("output")
    ap.add_argument("--name", default="Vigil APFS")
    args = ap.parse_args()
    if not os.path.isdir(args.source):
        raise SystemExit(f"{args.source}: not a folder")
    write(args.source, args.output, args.name)


if __name__ == "__main__":
    main()
