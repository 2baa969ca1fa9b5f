#!/usr/bin/env python3
"""Writes a RAR 5.0 archive of a folder tree with the STORE method (no compression).

`rar` itself is not free software and not in Debian main, but libarchive (and so `vigil`) reads RAR,
so the test fixtures are written by this script, following RARLAB's published "RAR 5.0 archive
format" technote:

    signature      52 61 72 21 1A 07 01 00  ("Rar!", 1A 07 01 00)
    main header    type 1, archive flags 0 (not a volume, not solid)
    file header    type 2, one per folder, file and symbolic link (sorted, folders before what
                   they hold), each followed by its data area (the stored bytes)
    end header     type 5, flags 0 (last volume)

Every header is: CRC32 of the rest of the header (4 bytes, little-endian), header size (vint:
the bytes from the type field to the end of the header), header type, header flags (0x0002 when a
data area follows), then for a file the data size, file flags (0x0001 folder, 0x0002 modification
time present, 0x0004 data CRC32 present), unpacked size, attributes (Unix mode, host OS 1),
modification time (Unix seconds, 4 bytes), data CRC32, compression information 0 (version 0, method
0 = store), host OS, name length and the UTF-8 name with '/' separators. A vint is 7 bits per byte,
low bits first, the high bit set on every byte but the last. A symbolic link is a file entry with
the link mode whose extra area holds a file system redirection record (type 5: Unix symlink, the
target).

Hostile variants for tests (--hostile):
  truncated     the archive cut in the middle of the largest file's data (no end header)
  lying-size    the largest file's header claims ten times its data size (the CRCs stay valid, so
                the reader meets the end of the archive inside the member)
  bad-crc       the largest file's header CRC is wrong

    make_rar5.py SOURCE_DIR OUTPUT.rar [--hostile KIND]
"""
import argparse
import os
import stat
import struct
import zlib

SIGNATURE = b"Rar!\x1a\x07\x01\x00"
HOST_UNIX = 1
HEAD_MAIN, HEAD_FILE, HEAD_END = 1, 2, 5
HFL_EXTRA, HFL_DATA = 0x0001, 0x0002
FILE_DIR, FILE_MTIME, FILE_CRC = 0x0001, 0x0002, 0x0004
EXTRA_REDIRECTION, REDIR_UNIX_SYMLINK = 5, 1


def vint(n):
    out = bytearray()
    while True:
        byte = n & 0x7F
        n >>= 7
        if n:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def block(head_type, flags, body, extra=b"", data_size=None):
    """One header: CRC32, size, type, flags, [extra size], [data size], body, extra."""
    fields = vint(head_type)
    if extra:
        flags |= HFL_EXTRA
    if data_size is not None:
        flags |= HFL_DATA
    fields += vint(flags)
    if extra:
        fields += vint(len(extra))
    if data_size is not None:
        fields += vint(data_size)
    fields += body + extra
    sized = vint(len(fields)) + fields
    return struct.pack("<I", zlib.crc32(sized)) + sized


def entries(source):
    """(relative path, lstat) for everything under `source`, sorted, folders before their content."""
    out = []
    for folder, dirs, files in os.walk(source):
        dirs.sort()
        rel = os.path.relpath(folder, source)
        for name in sorted(dirs + files):
            path = os.path.join(folder, name)
            out.append(((name if rel == "." else rel + "/" + name), path, os.lstat(path)))
    out.sort(key=lambda e: e[0].split("/"))
    return out


def file_header(name, st, data, crc, extra=b"", declared=None):
    is_dir = stat.S_ISDIR(st.st_mode)
    flags = FILE_MTIME | (FILE_DIR if is_dir else FILE_CRC)
    size = declared if declared is not None else len(data)
    body = vint(flags) + vint(0 if is_dir else size) + vint(st.st_mode & 0xFFFF)
    body += struct.pack("<I", int(st.st_mtime) & 0xFFFFFFFF)
    if not is_dir:
        body += struct.pack("<I", crc)
    encoded = name.encode("utf-8")
    body += vint(0) + vint(HOST_UNIX) + vint(len(encoded)) + encoded
    # Every file header carries a data size (0 for folders and links), as rar writes it; libarchive
    # refuses a file header without one.
    return block(HEAD_FILE, 0, body, extra, 0 if is_dir else size)


def write(source, output, hostile=None):
    items = []
    for name, path, st in entries(source):
        extra = b""
        if stat.S_ISLNK(st.st_mode):
            target = os.readlink(path).encode("utf-8")
            record = vint(EXTRA_REDIRECTION) + vint(REDIR_UNIX_SYMLINK) + vint(0) + vint(len(target)) + target
            extra = vint(len(record)) + record
            data = b""
        elif stat.S_ISREG(st.st_mode):
            with open(path, "rb") as f:
                data = f.read()
        elif stat.S_ISDIR(st.st_mode):
            data = b""
        else:
            print(f"skipped (not a file, folder or link): {path}")
            continue
        items.append([name, st, data, extra])
    largest = max((i for i in items if i[2]), key=lambda i: len(i[2]), default=None)
    if hostile and largest is None:
        raise SystemExit("a hostile variant needs a non-empty file")

    out = bytearray(SIGNATURE)
    out += block(HEAD_MAIN, 0, vint(0))
    cut = None
    for name, st, data, extra in items:
        crc = zlib.crc32(data)
        declared = len(data) * 10 if hostile == "lying-size" and largest[0] == name else None
        header = bytearray(file_header(name, st, data, crc, extra, declared))
        if hostile == "bad-crc" and largest[0] == name:
            header[0] ^= 0xFF
        out += header
        if hostile == "truncated" and largest[0] == name:
            cut = len(out) + len(data) // 2
        out += data
    out += block(HEAD_END, 0, vint(0))
    with open(output, "wb") as f:
        f.write(out[:cut] if cut is not None else out)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("source")
    ap.add_argument("output")
    ap.add_argument("--hostile", choices=["truncated", "lying-size", "bad-crc"])
    args = ap.parse_args()
    if not os.path.isdir(args.source):
        raise SystemExit(f"{args.source}: not a folder")
    write(args.source, args.output, args.hostile)


if __name__ == "__main__":
    main()
