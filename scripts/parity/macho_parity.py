#!/usr/bin/env python3
"""Mach-O parity: Vigil against llvm-objdump and an independent Python code-signature reader.

Real signed Mach-O files nobody here wrote come from macOS wheels on PyPI (numpy, pillow, psutil,
cryptography, ruff; charset-normalizer's universal2 wheel for fat files), plus the fixtures.

  macho_parity.py fetch      [--corpus DIR]   download the wheels with pip and extract every Mach-O file
  macho_parity.py reference  [--corpus DIR]   write DIR/reference.json from llvm-objdump + this script
  macho_parity.py compare    [--corpus DIR] [--vigil PATH]
                                              run `vigil inspect --format json` and print agreement per field

The reference is independent of Vigil: load commands, dylibs, rpaths and the LC_CODE_SIGNATURE range
come from `llvm-objdump --macho --private-headers --arch=all` (LLVM's parser); fat headers from
`--universal-headers`; the CodeDirectory (identifier, team, flags, hash type, cdhash) and the page-hash
check are computed here with struct and hashlib, following xnu's cs_blobs.h. CMS blobs are checked with
`openssl cms -verify -noverify -binary -content <CodeDirectory>` when present. The Swift test
MachOCorpusParityTests compares the parser with reference.json and skips when it is absent.
"""
import argparse
import hashlib
import json
import os
import re
import struct
import subprocess
import sys
import tempfile
import zipfile

DEFAULT_CORPUS = os.environ.get("VIGIL_MACHO_CORPUS", "/tmp/vigil-macho-corpus")
OBJDUMP = "/opt/swift/usr/bin/llvm-objdump"
ARM_WHEELS = ["numpy", "pillow", "psutil", "cryptography", "ruff"]
UNIVERSAL2_WHEELS = ["charset-normalizer"]
MAGICS = {b"\xcf\xfa\xed\xfe", b"\xce\xfa\xed\xfe", b"\xca\xfe\xba\xbe", b"\xca\xfe\xba\xbf"}
HASHES = {1: ("sha1", 20), 2: ("sha256", 32), 3: ("sha256", 20), 4: ("sha384", 48)}
HASH_NAMES = {1: "sha1", 2: "sha256", 3: "sha256-truncated", 4: "sha384"}


def fetch(corpus: str) -> None:
    wheels = os.path.join(corpus, "wheels")
    os.makedirs(wheels, exist_ok=True)
    for platform, names in (("macosx_11_0_arm64", ARM_WHEELS), ("macosx_10_9_universal2", UNIVERSAL2_WHEELS)):
        for name in names:
            subprocess.run(["pip", "download", "-q", "--no-deps", "--platform", platform, "--only-binary=:all:",
                            "-d", wheels, name], check=True)
    files = os.path.join(corpus, "files")
    os.makedirs(files, exist_ok=True)
    count = 0
    for wheel in sorted(os.listdir(wheels)):
        with zipfile.ZipFile(os.path.join(wheels, wheel)) as z:
            for info in z.infolist():
                if info.is_dir():
                    continue
                with z.open(info) as f:
                    if f.read(4) not in MAGICS:
                        continue
                target = os.path.join(files, wheel.split("-")[0] + "__" + info.filename.replace("/", "__"))
                with z.open(info) as f, open(target, "wb") as out:
                    out.write(f.read())
                count += 1
    print(f"{count} Mach-O files in {files}", file=sys.stderr)


def corpus_files(corpus: str) -> list[str]:
    files = os.path.join(corpus, "files")
    return sorted(os.path.join(files, n) for n in os.listdir(files)) if os.path.isdir(files) else []


def objdump_slices(path: str) -> list[dict]:
    out = subprocess.run([OBJDUMP, "--macho", "--private-headers", "--arch=all", path], capture_output=True,
                         text=True, check=True).stdout
    slices, cmd = [], None
    for raw in out.splitlines():
        line = raw.strip()
        if line == "Mach header":
            slices.append({"load_commands": [], "cmdsizes": [], "dylibs": [], "rpaths": [], "id": None,
                           "code_signature": None, "segments": []})
            cmd = None
        elif line.startswith("Load command "):
            cmd = {}
        elif line == "Section":
            cmd = None
        elif cmd is not None and " " in line:
            key, value = line.split(" ", 1)
            value = value.strip()
            if key == "cmd":
                cmd["cmd"] = value
                slices[-1]["load_commands"].append(value)
            elif key == "cmdsize":
                slices[-1]["cmdsizes"].append(int(value))
            elif key in ("name", "path"):
                name = re.sub(r" \(offset \d+\)$", "", value)
                if cmd.get("cmd") == "LC_ID_DYLIB":
                    slices[-1]["id"] = name
                elif cmd.get("cmd") == "LC_RPATH":
                    slices[-1]["rpaths"].append(name)
                elif cmd.get("cmd", "").endswith("_DYLIB"):
                    slices[-1]["dylibs"].append(name)
            elif key == "segname" and cmd.get("cmd", "").startswith("LC_SEGMENT"):
                slices[-1]["segments"].append(value)
            elif key in ("dataoff", "datasize") and cmd.get("cmd") == "LC_CODE_SIGNATURE":
                slices[-1]["code_signature"] = slices[-1]["code_signature"] or {}
                slices[-1]["code_signature"][key] = int(value)
    return slices


def slice_ranges(data: bytes) -> list[tuple[int, int]]:
    magic = struct.unpack_from(">I", data, 0)[0]
    if magic in (0xCAFEBABE, 0xCAFEBABF):
        n = struct.unpack_from(">I", data, 4)[0]
        if magic == 0xCAFEBABE:
            return [struct.unpack_from(">II", data, 8 + 20 * i + 8) for i in range(n)]
        return [struct.unpack_from(">QQ", data, 8 + 32 * i + 8) for i in range(n)]
    return [(0, len(data))]


def code_signature(data: bytes, base: int, dataoff: int, datasize: int, verify_cms: bool = True) -> dict:
    """Reads the SuperBlob and primary CodeDirectory and re-hashes the pages (cs_blobs.h)."""
    sig = data[base + dataoff : base + dataoff + datasize]
    magic, _length, count = struct.unpack_from(">III", sig, 0)
    assert magic == 0xFADE0CC0
    blobs = {}
    for i in range(count):
        slot, off = struct.unpack_from(">II", sig, 12 + 8 * i)
        bmagic, blen = struct.unpack_from(">II", sig, off)
        blobs[slot] = (bmagic, sig[off : off + blen])
    cd = blobs[0][1]
    (version, flags, hash_offset, ident_offset, n_special, n_code, code_limit, hash_size, hash_type, _platform,
     page_shift) = struct.unpack_from(">IIIIIIIBBBB", cd, 8)
    team = None
    if version >= 0x20200:
        team_offset = struct.unpack_from(">I", cd, 48)[0]
        if team_offset:
            team = cd[team_offset : cd.index(b"\0", team_offset)].decode()
    if version >= 0x20300:
        limit64 = struct.unpack_from(">Q", cd, 56)[0]
        code_limit = limit64 or code_limit
    algo, _ = HASHES[hash_type]
    page = 1 << page_shift if page_shift else code_limit
    bad = []
    for i in range(n_code):
        start = base + i * page
        chunk = data[start : min(start + page, base + code_limit)]
        stored = cd[hash_offset + i * hash_size : hash_offset + (i + 1) * hash_size]
        if hashlib.new(algo, chunk).digest()[:hash_size] != stored:
            bad.append(i)
    cms = blobs.get(0x10000)
    result = {
        "identifier": cd[ident_offset : cd.index(b"\0", ident_offset)].decode(),
        "team": team,
        "flags": flags,
        "version": version,
        "hash_type": HASH_NAMES.get(hash_type, "unknown"),
        "code_slots": n_code,
        "special_slots": n_special,
        "code_limit": code_limit,
        "cdhash": hashlib.new(algo, cd).hexdigest()[:40],
        "bad_pages": bad,
        "cms_size": len(cms[1]) - 8 if cms else None,
        "has_entitlements": 5 in blobs,
        "cms_verifies": None,
        "signer_subject": None,
    }
    if verify_cms and cms and len(cms[1]) > 8:
        with tempfile.TemporaryDirectory() as tmp:
            open(os.path.join(tmp, "cms"), "wb").write(cms[1][8:])
            open(os.path.join(tmp, "cd"), "wb").write(cd)
            signer = os.path.join(tmp, "signer.pem")
            r = subprocess.run(["openssl", "cms", "-verify", "-noverify", "-binary", "-inform", "DER", "-in",
                                os.path.join(tmp, "cms"), "-content", os.path.join(tmp, "cd"), "-out", os.devnull,
                                "-signer", signer], capture_output=True, text=True)
            result["cms_verifies"] = r.returncode == 0
            if os.path.exists(signer):
                subject = subprocess.run(["openssl", "x509", "-in", signer, "-noout", "-subject", "-nameopt", "RFC2253"],
                                         capture_output=True, text=True).stdout.strip()
                result["signer_subject"] = subject.removeprefix("subject=")
    return result


def reference(path: str) -> dict:
    data = open(path, "rb").read()
    slices = objdump_slices(path)
    ranges = slice_ranges(data)
    if len(ranges) != len(slices):
        raise SystemExit(f"{path}: {len(ranges)} slices in the header but objdump printed {len(slices)}")
    for s, (offset, size) in zip(slices, ranges):
        s["offset"], s["size"] = offset, size
        if s["code_signature"]:
            cs = s["code_signature"]
            cs.update(code_signature(data, offset, cs["dataoff"], cs["datasize"]))
    return {"path": path, "size": len(data), "slices": slices}


def vigil_view(result: dict) -> list[dict]:
    """Projects `vigil inspect --format json` output onto the reference's fields."""
    macho = result.get("macho") or {}
    views = []
    for s in macho.get("slices", []):
        sig = s.get("codeSignature") or {}
        cds = sig.get("codeDirectories") or []
        cd = next((c for c in cds if c.get("slot") == 0), cds[0] if cds else {})
        rng = s.get("codeSignatureRange")
        verification = cd.get("verification") or {}
        views.append({
            "offset": s["offset"], "size": s["size"],
            "load_commands": [c["name"] for c in s.get("loadCommands", [])],
            "cmdsizes": [c["size"] for c in s.get("loadCommands", [])],
            "dylibs": [d["name"] for d in s.get("dylibs", [])],
            "rpaths": s.get("rpaths", []),
            "id": (s.get("installName") or {}).get("name"),
            "segments": [g["name"] for g in s.get("segments", [])],
            "dataoff": rng and rng["dataOffset"], "datasize": rng and rng["dataSize"],
            "identifier": cd.get("identifier"), "team": cd.get("teamIdentifier"), "flags": cd.get("flags"),
            "version": cd.get("version"), "hash_type": cd.get("hashType"), "code_slots": cd.get("codeSlotCount"),
            "code_limit": cd.get("codeLimit"), "cdhash": cd.get("cdhash"), "bad_pages": verification.get("badPages"),
            "cms_size": sig.get("cmsSize"), "has_entitlements": sig.get("hasEntitlements"),
            "signer_cn": common_name((sig.get("cmsSigner") or {}).get("subject")),
            "cms_verifies": (sig.get("cmsSigner") or {}).get("digestMatchesCodeDirectory") if sig.get("cmsSize") else None,
        })
    return views


def common_name(name):
    """The CN=... component of an RFC 2253 name (commas inside are escaped as \\,)."""
    if not name:
        return None
    m = re.search(r"CN=((?:\\.|[^,])*)", name)
    return m.group(1) if m else None


FIELDS = ["offset", "size", "load_commands", "cmdsizes", "dylibs", "rpaths", "id", "segments", "dataoff", "datasize",
          "identifier", "team", "flags", "version", "hash_type", "code_slots", "code_limit", "cdhash", "bad_pages",
          "cms_size", "has_entitlements", "signer_cn", "cms_verifies"]


def flatten(ref_slice: dict) -> dict:
    flat = {k: v for k, v in ref_slice.items() if k != "code_signature"}
    cs = ref_slice.get("code_signature") or {}
    for key in FIELDS:
        if key in cs:
            flat[key] = cs[key]
    if cs:
        flat["signer_cn"] = common_name(cs.get("signer_subject"))
    return flat


def compare(corpus: str, vigil: str) -> int:
    ref_path = os.path.join(corpus, "reference.json")
    refs = json.load(open(ref_path))
    agree = {f: 0 for f in FIELDS}
    total = {f: 0 for f in FIELDS}
    differences = []
    for ref in refs:
        out = subprocess.run([vigil, "inspect", "--format", "json", ref["path"]], capture_output=True, text=True)
        results = json.loads(out.stdout or "[]")
        views = vigil_view(results[0]) if results else []
        for i, rs in enumerate(ref["slices"]):
            flat = flatten(rs)
            view = views[i] if i < len(views) else {}
            for f in FIELDS:
                if f not in flat and f not in ("dataoff", "datasize"):
                    continue
                expected = flat.get(f)
                total[f] += 1
                if view.get(f) == expected:
                    agree[f] += 1
                else:
                    differences.append(f"{os.path.basename(ref['path'])} slice {i} {f}: vigil {view.get(f)!r} reference {expected!r}")
    print(f"{len(refs)} files, {sum(len(r['slices']) for r in refs)} slices")
    for f in FIELDS:
        if total[f]:
            print(f"  {f:18} {agree[f]}/{total[f]} ({100.0 * agree[f] / total[f]:.1f}%)")
    for d in differences[:50]:
        print("  DIFF", d)
    return 1 if differences else 0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("action", choices=["fetch", "reference", "compare"])
    ap.add_argument("--corpus", default=DEFAULT_CORPUS)
    ap.add_argument("--vigil", default=".build/debug/vigil")
    ap.add_argument("--fixtures", default="Fixtures/build/macho", help="also include these fixture files")
    a = ap.parse_args()
    if a.action == "fetch":
        fetch(a.corpus)
    elif a.action == "reference":
        paths = corpus_files(a.corpus)
        if os.path.isdir(a.fixtures):
            paths += sorted(os.path.join(a.fixtures, n) for n in os.listdir(a.fixtures)
                            if os.path.isfile(os.path.join(a.fixtures, n)) and not n.startswith("."))
        refs = [reference(os.path.abspath(p)) for p in paths]
        json.dump(refs, open(os.path.join(a.corpus, "reference.json"), "w"), indent=1)
        signed = [s["code_signature"] for r in refs for s in r["slices"] if s["code_signature"]]
        print(f"{len(refs)} files, {sum(len(r['slices']) for r in refs)} slices, {len(signed)} signed, "
              f"{sum(1 for s in signed if s['cms_size'])} with CMS, "
              f"{sum(1 for s in signed if s['bad_pages'])} with bad pages -> {a.corpus}/reference.json")
    else:
        sys.exit(compare(a.corpus, a.vigil))


if __name__ == "__main__":
    main()
