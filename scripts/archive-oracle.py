#!/usr/bin/env python3
"""Reference member lists for Vigil's archive readers, from Python's own tarfile and zipfile.

    archive-oracle.py gen-tar DIR COUNT SEED   write COUNT random tar archives (and cases.json) into DIR
    archive-oracle.py list-tar FILE...         one JSON line per file: its members as tarfile lists them
    archive-oracle.py gen-zip DIR COUNT SEED   the same for ZIP archives (zipfile, ZIP64 variants)
    archive-oracle.py list-zip FILE...
    archive-oracle.py compare-tar|compare-zip VIGIL_JSONL DIR
                                    compare Vigil's lists (fuzz-tar/fuzz-zip with VIGIL_FUZZ_LIST=1)
                                    with Python's for every file of DIR; exit 1 on a difference

A member is [name, type, size, link]; type is file, dir, symlink, hardlink or the raw tar type
character. A file that does not open gives {"file": ..., "error": ...}. Used by the property tests
in Tests/VigilDiffTests and by fuzz/compare-archives.sh; needs only the standard library.
"""
import io
import json
import os
import random
import struct
import sys
import tarfile
import zipfile

NAMES = ["lib", "bin", "app", "resources", "version.dll", "ffmpeg.dll", "a", "long-" * 12, "é", "文件", "x.y", "deep"]


def rand_name(rng, max_parts=6):
    parts = [rng.choice(NAMES) + (str(rng.randrange(100)) if rng.random() < 0.5 else "") for _ in range(rng.randint(1, max_parts))]
    if rng.random() < 0.2:
        parts.append("n" * rng.randint(90, 160))
    return "/".join(parts)


# ---------------------------------------------------------------- tar

def tar_type(info):
    if info.type in (tarfile.REGTYPE, tarfile.AREGTYPE, tarfile.CONTTYPE):
        return "file"
    return {tarfile.DIRTYPE: "dir", tarfile.SYMTYPE: "symlink", tarfile.LNKTYPE: "hardlink"}.get(info.type, info.type.decode("latin-1"))


def list_tar(path):
    try:
        with tarfile.open(path, "r:") as tf:
            out = []
            for m in tf.getmembers():
                t = tar_type(m)
                out.append([m.name.rstrip("/"), t, m.size if t == "file" else 0, m.linkname if t in ("symlink", "hardlink") else ""])
            return {"file": path, "members": out}
    except Exception as e:  # noqa: BLE001 - any failure is the oracle's answer "does not open"
        return {"file": path, "error": f"{type(e).__name__}: {e}"}


def header(name, typ, size, link="", posix=True):
    """One raw 512-byte ustar header with a correct checksum."""
    b = bytearray(512)
    nb = name.encode()[:100]
    b[0:len(nb)] = nb
    b[100:108] = b"0000644\0"
    b[108:116] = b"0000000\0"
    b[116:124] = b"0000000\0"
    b[124:136] = b"%011o\0" % size
    b[136:148] = b"00000000000\0"
    b[148:156] = b" " * 8
    b[156:157] = typ
    lb = link.encode()[:100]
    b[157:157 + len(lb)] = lb
    b[257:265] = b"ustar\x0000" if posix else b"ustar  \0"
    b[148:156] = b"%06o\0 " % sum(b)
    return bytes(b)


def padded(data):
    return data + b"\0" * (-len(data) % 512)


def pax_body(records):
    out = b""
    for k, v in records:
        rec = f" {k}={v}\n".encode()
        n = len(rec) + 1
        while len(str(n)) + len(rec) != n:
            n += 1
        out += str(n).encode() + rec
    return out


def ext(typ, body):
    return header("././@ext", typ, len(body)) + padded(body)


def real(name, content=b"", typ=b"0", link=""):
    return header(name, typ, len(content), link) + padded(content)


END = b"\0" * 1024


def hostile_tar(rng, k):
    """Hand-made archives with chained or inconsistent extended headers. Returns (bytes, ambiguous)."""
    payload = bytes(rng.randrange(256) for _ in range(rng.randint(0, 1500)))
    decoy = real("readme.txt", b"")
    hidden = decoy + b"\0" * 512  # a member whose data looks like a header, then a zero block
    name = rand_name(rng)
    kind = k % 9
    if kind == 0:  # x(size) then x(other): the size belongs to the real member only
        return ext(b"x", pax_body([("size", len(hidden))])) + ext(b"x", pax_body([("mtime", "1")])) + real("version.dll", hidden) + END, False
    if kind == 1:  # x(size) then L(name)
        return ext(b"x", pax_body([("size", len(hidden))])) + ext(b"L", name.encode() + b"\0") + real("short", hidden) + END, False
    if kind == 2:  # L then x(size, path): two names, one size
        return ext(b"L", name.encode() + b"\0") + ext(b"x", pax_body([("path", "other/" + name), ("size", len(payload))])) + real("short", payload) + END, True
    if kind == 3:  # two L names
        return ext(b"L", name.encode() + b"\0") + ext(b"L", b"second/" + name.encode() + b"\0") + real("short", payload) + END, True
    if kind == 4:  # two pax paths
        return ext(b"x", pax_body([("path", name)])) + ext(b"x", pax_body([("path", "evil/" + name)])) + real("short", payload) + END, True
    if kind == 5:  # global header, then members
        return ext(b"g", pax_body([("comment", "release")])) + real("a.txt", payload) + real("b.txt", b"b") + END, False
    if kind == 6:  # a symlink header that declares data
        return header("link", b"2", 512, "a.txt") + real("a.txt", payload) + END, True
    if kind == 7:  # bytes after the end marker
        return real("a.txt", payload) + END + real("version.dll", b"MZ") + END, True
    # x(size) before a symlink, then a regular member
    return ext(b"x", pax_body([("size", "600")])) + header("link", b"2", 0, "a.txt") + real("a.txt", payload) + END, True


def gen_tar(directory, count, seed):
    rng = random.Random(seed)
    os.makedirs(directory, exist_ok=True)
    cases = []
    for i in range(count):
        path = os.path.join(directory, f"case-{i:04d}.tar")
        ambiguous = False
        if i % 4 == 3:
            data, ambiguous = hostile_tar(rng, i // 4)
        else:
            fmt = rng.choice([tarfile.GNU_FORMAT, tarfile.PAX_FORMAT, tarfile.USTAR_FORMAT])
            buf = io.BytesIO()
            with tarfile.open(fileobj=buf, mode="w", format=fmt) as tf:
                names = []
                for _ in range(rng.randint(1, 8)):
                    info = tarfile.TarInfo(rand_name(rng))
                    kind = rng.random()
                    content = b""
                    if kind < 0.6 or not names:
                        content = bytes(rng.randrange(256) for _ in range(rng.choice([0, 1, 511, 512, 513, rng.randint(0, 4000)])))
                        info.size = len(content)
                    elif kind < 0.75:
                        info.type = tarfile.DIRTYPE
                    elif kind < 0.9:
                        info.type = tarfile.SYMTYPE
                        info.linkname = rng.choice(names) if rng.random() < 0.7 else rand_name(rng)
                    else:
                        info.type = tarfile.LNKTYPE
                        info.linkname = rng.choice(names)
                    if fmt == tarfile.PAX_FORMAT and rng.random() < 0.3:
                        info.pax_headers = {"comment": "x" * rng.randint(0, 300)}
                    try:
                        tf.addfile(info, io.BytesIO(content))
                        names.append(info.name)
                    except ValueError:
                        pass  # a name ustar cannot store
            data = buf.getvalue()
        with open(path, "wb") as f:
            f.write(data)
        cases.append({"file": os.path.basename(path), "ambiguous": ambiguous})
    with open(os.path.join(directory, "cases.json"), "w") as f:
        json.dump(cases, f)


# ---------------------------------------------------------------- zip

def list_zip(path):
    try:
        with zipfile.ZipFile(path) as zf:
            out = []
            for m in zf.infolist():
                out.append([m.filename, "dir" if m.is_dir() else "file", 0 if m.is_dir() else m.file_size, ""])
                if not m.is_dir():
                    zf.read(m)  # CRC and length are checked: a member that cannot be read is an error
            return {"file": path, "members": out}
    except Exception as e:  # noqa: BLE001
        return {"file": path, "error": f"{type(e).__name__}: {e}"}


def gen_zip(directory, count, seed):
    rng = random.Random(seed)
    os.makedirs(directory, exist_ok=True)
    cases = []
    for i in range(count):
        path = os.path.join(directory, f"case-{i:04d}.zip")
        with zipfile.ZipFile(path, "w") as zf:
            seen = set()
            for _ in range(rng.randint(1, 8)):
                name = rand_name(rng, 4)
                if name in seen:
                    continue
                seen.add(name)
                content = bytes(rng.randrange(256) for _ in range(rng.randint(0, 3000)))
                method = rng.choice([zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED])
                if rng.random() < 0.15:
                    zf.writestr(zipfile.ZipInfo(name + "/"), b"")
                    continue
                info = zipfile.ZipInfo(name)
                info.compress_type = method
                # force_zip64 writes ZIP64 extra fields in the local and central headers.
                with zf.open(info, "w", force_zip64=rng.random() < 0.4) as w:
                    w.write(content)
        cases.append({"file": os.path.basename(path), "ambiguous": False})
    with open(os.path.join(directory, "cases.json"), "w") as f:
        json.dump(cases, f)


def fnv(data):
    h = 0xCBF29CE484222325
    for b in data:
        h = ((h ^ b) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return format(h, "x")


def compare(kind, vigil_jsonl, directory):
    """Vigil must list what tarfile/zipfile lists, or refuse the archive; never list something else."""
    vigil = {}
    with open(vigil_jsonl) as f:
        for line in f:
            if line.startswith("{"):
                rec = json.loads(line)
                vigil[rec["fnv"]] = rec
    same = refused = python_error = differ = 0
    for name in sorted(os.listdir(directory)):
        path = os.path.join(directory, name)
        with open(path, "rb") as f:
            key = fnv(f.read())
        ours = vigil.get(key)
        if ours is None:
            continue
        theirs = list_tar(path) if kind == "tar" else list_zip(path)
        if "members" in theirs:
            # Invalid UTF-8 in a name: tarfile keeps the bytes as surrogates, Vigil shows U+FFFD.
            # Compare the names as Vigil shows them; the member lists are what this checks.
            for m in theirs["members"]:
                m[0] = m[0].encode("utf-8", "surrogateescape").decode("utf-8", "replace")
                m[3] = m[3].encode("utf-8", "surrogateescape").decode("utf-8", "replace")
        if "error" in theirs:
            python_error += 1
        elif "error" in ours:
            refused += 1
            print(f"{name}: Python lists {len(theirs['members'])} members, Vigil refused: {ours['error']}")
        elif ours["members"] == theirs["members"]:
            same += 1
        else:
            differ += 1
            print(f"{name}: lists differ\n  python: {theirs['members']}\n  vigil:  {ours['members']}")
    print(f"compared {same + refused + python_error + differ}: {same} same, {differ} different, "
          f"{refused} refused by Vigil only, {python_error} not opened by Python")
    return 1 if differ else 0


def main():
    cmd = sys.argv[1]
    if cmd in ("gen-tar", "gen-zip"):
        (gen_tar if cmd == "gen-tar" else gen_zip)(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
    elif cmd in ("list-tar", "list-zip"):
        for path in sys.argv[2:]:
            print(json.dumps(list_tar(path) if cmd == "list-tar" else list_zip(path)))
    elif cmd in ("compare-tar", "compare-zip"):
        sys.exit(compare(cmd[len("compare-"):], sys.argv[2], sys.argv[3]))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
