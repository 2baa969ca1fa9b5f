#!/usr/bin/env python3
"""Wraps a raw disk or volume image into a UDIF disk image (.dmg), the way hdiutil lays one out.

The data fork holds the chunks one after another; then the XML property list whose
resource-fork/blkx array carries one base64 'mish' table per region; then the 512-byte 'koly'
trailer (big-endian). Chunks cycle through the compressions given with --methods (zlib, bzip2,
raw, lzma, adc); all-zero chunks become zero-fill runs. --gpt first puts the volume into a GUID
partition table disk (protective MBR, primary and backup headers, one Apple_HFS or APFS partition).

Hostile variants for tests (--hostile): lying-length (a compressed chunk's stored length cut in
half), overlap (a chunk repeated over the sectors of the one before), bomb (a zlib chunk inflating
to far more than its declared sectors), lzfse (the last table's first stored chunk typed LZFSE: with --gpt, the backup GPT), past-end (a table running
past the disk's sector count), huge-disk (the trailer declaring 2^50 sectors).

    make_udif.py INPUT.img OUTPUT.dmg [--gpt] [--methods zlib,bzip2,raw] [--chunk-sectors 64] [--hostile KIND]
"""
import argparse
import binascii
import bz2
import lzma
import os
import plistlib
import struct
import uuid
import zlib

SECTOR = 512
TYPES = {"zero": 0x00000000, "raw": 0x00000001, "ignore": 0x00000002, "adc": 0x80000004, "zlib": 0x80000005,
         "bzip2": 0x80000006, "lzfse": 0x80000007, "lzma": 0x80000008, "comment": 0x7FFFFFFE, "end": 0xFFFFFFFF}
HFS_GUID = "48465300-0000-11AA-AA11-00306543ECAC"
APFS_GUID = "7C3457EF-0000-11AA-AA11-00306543ECAC"


def adc_compress(data):
    """ADC with literal runs and distance-0 copies for runs of one repeated byte."""
    out = bytearray()
    i, lit = 0, bytearray()
    def flush():
        nonlocal lit
        while lit:
            part, lit = lit[:128], lit[128:]
            out.append(0x80 | (len(part) - 1))
            out.extend(part)
    while i < len(data):
        run = 1
        while i + run < len(data) and data[i + run] == data[i] and run < 68:
            run += 1
        if run >= 5:  # one literal byte, then copy run-1 (4..67) bytes from distance 0
            lit.append(data[i])
            flush()
            out += bytes([0x40 | (run - 1 - 4), 0, 0])
            i += run
        else:
            lit.append(data[i])
            i += 1
    flush()
    return bytes(out)


def compress(method, data):
    if method == "zlib":
        return zlib.compress(data, 9)
    if method == "bzip2":
        return bz2.compress(data, 9)
    if method == "lzma":
        return lzma.compress(data)
    if method == "adc":
        return adc_compress(data)
    if method == "raw":
        return data
    raise SystemExit(f"unknown method {method}")


def guid_bytes(text):
    return uuid.UUID(text).bytes_le


def gpt_disk(volume, apfs):
    """A GPT disk: protective MBR, header at LBA 1, 128 entries at LBA 2..33, partition at LBA 40."""
    start = 40
    vol_sectors = (len(volume) + SECTOR - 1) // SECTOR
    last_usable = start + vol_sectors - 1
    total = last_usable + 1 + 33
    disk = bytearray(total * SECTOR)
    mbr = bytearray(SECTOR)
    mbr[446:462] = struct.pack("<B3sB3sII", 0, b"\0\x02\0", 0xEE, b"\xff\xff\xff", 1, min(total - 1, 0xFFFFFFFF))
    mbr[510:512] = b"\x55\xaa"
    disk[0:SECTOR] = mbr
    entries = bytearray(128 * 128)
    name = ("disk image").encode("utf-16-le")
    entries[0:128] = (guid_bytes(APFS_GUID if apfs else HFS_GUID) + uuid.uuid4().bytes_le
                      + struct.pack("<QQQ", start, last_usable, 0) + name.ljust(72, b"\0"))
    crc_entries = binascii.crc32(entries)
    def header(current, backup, entries_lba):
        h = bytearray(struct.pack("<8sIIIIQQQQ16sQIII", b"EFI PART", 0x00010000, 92, 0, 0, current, backup,
                                  34, last_usable, uuid.uuid4().bytes_le, entries_lba, 128, 128, crc_entries))
        struct.pack_into("<I", h, 16, binascii.crc32(h))
        return bytes(h)
    disk[SECTOR:SECTOR + 92] = header(1, total - 1, 2)
    disk[2 * SECTOR:2 * SECTOR + len(entries)] = entries
    disk[start * SECTOR:start * SECTOR + len(volume)] = volume
    disk[(total - 33) * SECTOR:(total - 1) * SECTOR] = entries
    disk[(total - 1) * SECTOR:(total - 1) * SECTOR + 92] = header(total - 1, 1, total - 33)
    regions = [("Protective MBR and GPT (MBR : 0)", 0, start), ("disk image (Apple_HFS : 1)", start, vol_sectors),
               ("GPT Partition Data (Backup GPT Table : 2)", start + vol_sectors, total - start - vol_sectors)]
    return bytes(disk), regions


def mish(first, count, chunks, data_crc):
    head = struct.pack(">4sIQQQII", b"mish", 1, first, count, 0, 0, 0) + b"\0" * 24
    head += struct.pack(">II", 2, 32) + struct.pack(">I", data_crc) + b"\0" * 124
    body = b"".join(struct.pack(">IIQQQQ", t, 0, s, n, o, l) for t, s, n, o, l in chunks)
    body += struct.pack(">IIQQQQ", TYPES["end"], 0, count, 0, 0, 0)
    return head + struct.pack(">I", len(chunks) + 1) + body


def build(disk, regions, methods, chunk_sectors, hostile):
    data = bytearray()
    blkx = []
    method_index = 0
    planted = False
    for table_id, (name, first, count) in enumerate(regions):
        chunks = []
        rel = 0
        while rel < count:
            n = min(chunk_sectors, count - rel)
            raw = disk[(first + rel) * SECTOR:(first + rel + n) * SECTOR]
            if raw.count(0) == len(raw):
                chunks.append((TYPES["zero"], rel, n, len(data), 0))
            else:
                method = methods[method_index % len(methods)]
                method_index += 1
                stored = compress(method, raw)
                kind = TYPES[method]
                if hostile == "lzfse" and not planted and table_id == len(regions) - 1:
                    kind, planted = TYPES["lzfse"], True  # the last table's first stored chunk
                if hostile == "bomb" and not planted and table_id == len(regions) // 2:
                    stored = zlib.compress(b"\0" * (64 << 20), 9)  # 64 MiB of zeros for a small chunk
                    kind, planted = TYPES["zlib"], True
                chunks.append((kind, rel, n, len(data), len(stored)))
                data += stored
            rel += n
        blkx.append((name, first, count, chunks))
    if hostile == "lying-length":
        name, first, count, chunks = blkx[len(blkx) // 2]
        i = next(i for i, c in enumerate(chunks) if c[0] not in (TYPES["zero"],))
        t, s, n, o, l = chunks[i]
        chunks[i] = (t, s, n, o, l // 2)
    if hostile == "overlap":
        name, first, count, chunks = blkx[len(blkx) // 2]
        chunks.append(chunks[-1])
    if hostile == "past-end":
        name, first, count, chunks = blkx[-1]
        blkx[-1] = (name, first, count + 100, chunks)
    entries = []
    for i, (name, first, count, chunks) in enumerate(blkx):
        crc = binascii.crc32(disk[first * SECTOR:(first + count) * SECTOR])
        entries.append({"Attributes": "0x0050", "CFName": name, "Data": mish(first, count, chunks, crc),
                        "ID": str(i - 1), "Name": name})
    xml = plistlib.dumps({"resource-fork": {"blkx": entries}}, fmt=plistlib.FMT_XML)
    sectors = len(disk) // SECTOR
    if hostile == "huge-disk":
        sectors = 1 << 50
    xml_offset = len(data)
    koly = struct.pack(">4sIIIQQQQQII16sII", b"koly", 4, 512, 1, 0, 0, len(data), 0, 0, 1, 1,
                       uuid.uuid4().bytes, 2, 32)
    koly += struct.pack(">I", binascii.crc32(data)) + b"\0" * 124
    koly += struct.pack(">QQ", xml_offset, len(xml)) + b"\0" * 120
    koly += struct.pack(">II", 2, 32) + b"\0" * 128
    koly += struct.pack(">IQ", 1, sectors) + b"\0" * 12
    assert len(koly) == 512, len(koly)
    return bytes(data) + xml + koly


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("input")
    p.add_argument("output")
    p.add_argument("--gpt", action="store_true", help="put the volume in a GPT disk first")
    p.add_argument("--apfs", action="store_true", help="with --gpt: APFS partition type")
    p.add_argument("--methods", default="zlib,bzip2,raw")
    p.add_argument("--chunk-sectors", type=int, default=64)
    p.add_argument("--hostile", choices=["lying-length", "overlap", "bomb", "lzfse", "past-end", "huge-disk"])
    a = p.parse_args()
    volume = open(a.input, "rb").read()
    if len(volume) % SECTOR:
        volume += b"\0" * (SECTOR - len(volume) % SECTOR)
    if a.gpt:
        disk, regions = gpt_disk(volume, a.apfs)
    else:
        disk, regions = volume, [("disk image (Apple_HFS : 0)", 0, len(volume) // SECTOR)]
    with open(a.output, "wb") as f:
        f.write(build(disk, regions, a.methods.split(","), a.chunk_sectors, a.hostile))


if __name__ == "__main__":
    main()
