#!/usr/bin/env python3
"""Writes small hostile containers for the container walker's tests and fuzz seeds.

    scripts/containers/make-hostile.py OUT_DIR

Each file attacks one defence; the tests say which report each must get:
  zip-bomb.zip        one 96 MiB member of zeros, deflated (~95 KiB): expansion ratio
  cab-bomb.cab        one 96 MiB member of zeros in an MSZIP cabinet (gcab; skipped without it)
  many-members.zip    5,000 one-byte members: member count
  deep-nesting.zip    zip in zip ... 10 levels: nesting depth
  traversal.zip       members '../../etc/x', '/abs', 'C:\\evil.dll', 'ok.txt': unsafe names
  traversal.tar       the same names in a tar
  symlink-out.tar     'app/evil' -> '../../../etc/shadow', then 'app/evil/x' written through it
  truncated.7z        a 7z of random files cut to two thirds
  truncated.cab       a cabinet cut to two thirds (gcab)
  truncated.tar.xz    an xz tar cut to half
  lying-size.zip      a stored member whose central directory claims 10x its size
  lying-size.tar      a tar header claiming more bytes than the archive holds
  big-member.tar      one 3 MiB member (for a small per-member cap)
  truncated.rar       a stored RAR 5 archive (make_rar5.py) cut inside its last, largest member app/z.bin
  lying-size.rar      app/z.bin's RAR 5 file header claiming ten times the bytes the archive holds
  bad-crc.rar         app/z.bin's RAR 5 file header with a wrong header CRC
  deflate-slack.zip   a deflated member followed, inside its compressed size, by the text
                      'hidden MARKER_IN_DATA slack', which no extractor reads (libarchive skips it
                      silently): the container's own YARA search must still see it
"""
import io, os, random, shutil, struct, subprocess, sys, tarfile, tempfile, zipfile

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
rng = random.Random(15)


def path(name):
    return os.path.join(out, name)


def rand(n):
    return rng.randbytes(n)


with zipfile.ZipFile(path("zip-bomb.zip"), "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
    with z.open("zeros.bin", "w", force_zip64=True) as f:
        chunk = bytes(1 << 20)
        for _ in range(96):
            f.write(chunk)

if shutil.which("gcab"):
    with tempfile.TemporaryDirectory() as t:
        with open(os.path.join(t, "zeros.bin"), "wb") as f:
            f.truncate(96 << 20)
        subprocess.run(["gcab", "-c", "-z", path("cab-bomb.cab"), "zeros.bin"], cwd=t, check=True)
        for i in range(6):
            with open(os.path.join(t, "f%d.bin" % i), "wb") as f:
                f.write(rand(20000))
        subprocess.run(["gcab", "-c", "-z", os.path.join(t, "whole.cab")] + ["f%d.bin" % i for i in range(6)], cwd=t, check=True)
        data = open(os.path.join(t, "whole.cab"), "rb").read()
        open(path("truncated.cab"), "wb").write(data[: len(data) * 2 // 3])

with zipfile.ZipFile(path("many-members.zip"), "w") as z:
    for i in range(5000):
        z.writestr("m/%05d" % i, b"x")

data, name = b"innermost", "leaf.txt"
for level in range(10):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr(name, data)
    data, name = buf.getvalue(), "level%d.zip" % level
open(path("deep-nesting.zip"), "wb").write(data)

names = ["../../etc/x", "/abs", "C:\\evil.dll", "ok.txt"]
with zipfile.ZipFile(path("traversal.zip"), "w") as z:
    for n in names:
        info = zipfile.ZipInfo("placeholder")
        info.filename = n  # ZipInfo() would clean the name; a hostile archiver does not
        z.writestr(info, ("content of " + n).encode())
with tarfile.open(path("traversal.tar"), "w", format=tarfile.GNU_FORMAT) as t:
    for n in names:
        d = ("content of " + n).encode()
        info = tarfile.TarInfo(n)
        info.size = len(d)
        t.addfile(info, io.BytesIO(d))

with tarfile.open(path("symlink-out.tar"), "w") as t:
    link = tarfile.TarInfo("app/evil")
    link.type = tarfile.SYMTYPE
    link.linkname = "../../../etc/shadow"
    t.addfile(link)
    d = b"written through the link"
    info = tarfile.TarInfo("app/evil/x")
    info.size = len(d)
    t.addfile(info, io.BytesIO(d))

if shutil.which("7z"):
    with tempfile.TemporaryDirectory() as t:
        for i in range(6):
            with open(os.path.join(t, "f%d.bin" % i), "wb") as f:
                f.write(rand(30000))
        subprocess.run(["7z", "a", "-bd", "-y", "-ms=off", os.path.join(t, "w.7z")] + ["f%d.bin" % i for i in range(6)],
                       cwd=t, check=True, stdout=subprocess.DEVNULL)
        data = open(os.path.join(t, "w.7z"), "rb").read()
        open(path("truncated.7z"), "wb").write(data[: len(data) * 2 // 3])

buf = io.BytesIO()
with tarfile.open(fileobj=buf, mode="w:xz") as t:
    for i in range(4):
        d = rand(40000)
        info = tarfile.TarInfo("f%d.bin" % i)
        info.size = len(d)
        t.addfile(info, io.BytesIO(d))
data = buf.getvalue()
open(path("truncated.tar.xz"), "wb").write(data[: len(data) // 2])

# Stored member; patch the central directory's uncompressed size to 10x.
buf = io.BytesIO()
with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as z:
    z.writestr("liar.bin", b"L" * 1000)
    z.writestr("after.txt", b"after")
data = bytearray(buf.getvalue())
cd = data.find(b"PK\x01\x02")
struct.pack_into("<I", data, cd + 24, 10000)
open(path("lying-size.zip"), "wb").write(bytes(data))

buf = io.BytesIO()
with tarfile.open(fileobj=buf, mode="w", format=tarfile.USTAR_FORMAT) as t:
    d = b"T" * 700
    info = tarfile.TarInfo("liar.bin")
    info.size = len(d)
    t.addfile(info, io.BytesIO(d))
data = bytearray(buf.getvalue()[:1536])  # header + 2 blocks, no end marker
size_field = ("%011o" % 100000).encode() + b"\0"
data[124:136] = size_field
data[148:156] = b"        "
chk = sum(data[:512])
data[148:156] = ("%06o" % chk).encode() + b"\0 "
open(path("lying-size.tar"), "wb").write(bytes(data))

with tarfile.open(path("big-member.tar"), "w") as t:
    d = rand(3 << 20)
    info = tarfile.TarInfo("big.bin")
    info.size = len(d)
    t.addfile(info, io.BytesIO(d))
    small = b"small"
    info = tarfile.TarInfo("small.txt")
    info.size = len(small)
    t.addfile(info, io.BytesIO(small))

# Bytes after a member's deflate stream, counted in its compressed size (local header, central
# directory) and in the central directory's offset.
buf = io.BytesIO()
with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
    z.writestr("a.txt", b"hello world " * 100)
data = bytes(buf.getvalue())
name_len, extra_len = struct.unpack("<HH", data[26:30])
csize = struct.unpack("<I", data[18:22])[0]
end = 30 + name_len + extra_len + csize
slack = b"hidden MARKER_IN_DATA slack"
cd = struct.unpack("<I", data[data.rfind(b"PK\x05\x06") + 16:][:4])[0] + len(slack)
data = bytearray(data[:end] + slack + data[end:])
struct.pack_into("<I", data, 18, csize + len(slack))
struct.pack_into("<I", data, cd + 20, csize + len(slack))
struct.pack_into("<I", data, data.rfind(b"PK\x05\x06") + 16, cd)
open(path("deflate-slack.zip"), "wb").write(bytes(data))

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import make_rar5  # noqa: E402

with tempfile.TemporaryDirectory() as t:
    os.makedirs(os.path.join(t, "app"))
    for name, size in (("a.bin", 3000), ("b.bin", 10), ("z.bin", 40000)):  # the largest, damaged, last
        with open(os.path.join(t, "app", name), "wb") as f:
            f.write(rand(size))
    for kind in ("truncated", "lying-size", "bad-crc"):
        make_rar5.write(t, path(kind + ".rar"), kind)

for n in sorted(os.listdir(out)):
    print(path(n))
