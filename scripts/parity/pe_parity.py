#!/usr/bin/python3
"""Field-by-field parity of `vigil inspect --format jsonl` against pefile and osslsigncode.

Runs Vigil on every file given (directories are walked), parses the same files with Python's pefile
(Debian python3-pefile) and, for files with a certificate table, runs `osslsigncode verify`. Prints the
agreement rate per field group and every disagreement; a disagreement listed in EXPLAINED (each one
backed by a test in Tests/VigilFormatsTests/PEParityTests.swift) is counted separately.

usage: scripts/parity/pe_parity.py [--vigil .build/release/vigil] [--json OUT] [--limit N] PATH...
exit status: 0 when every disagreement is explained, 1 otherwise.
"""
import argparse, json, os, re, subprocess, sys
from collections import defaultdict

import pefile

FIELDS = ["headers", "sections", "imports", "delay_imports", "exports", "version_strings",
          "checksum", "security_directory", "overlay", "signature"]

def _exports_agree_without_pefile_cap(path, mine, ref):
    """pefile stops naming exports after MAX_SYMBOL_EXPORT_COUNT (0x2000) symbols ("assuming corrupt")
    and lists the rest by ordinal only; re-parsed with a higher cap, pefile must agree with Vigil."""
    if len(ref) <= 0x2000:
        return False
    pe = pefile.PE(path, max_symbol_exports=0x10000)
    return mine == ref_exports(pe)


# Known, explained differences: (field, predicate on (path, vigil value, reference value), reason).
# Each is also asserted by a test in Tests/VigilFormatsTests/PEParityTests.swift.
EXPLAINED = [
    ("exports", _exports_agree_without_pefile_cap,
     "pefile caps named exports at 8192 (MAX_SYMBOL_EXPORT_COUNT); with the cap raised it agrees"),
    ("signature", lambda p, v, r: r.get("osslsigncode") == "corrupted attribute certificate table"
        and v.get("entries", 0) >= 2 and not v.get("sizeMismatch") and all(v.get("matches", [])),
     "two WIN_CERTIFICATE entries (Microsoft UEFI CA 2011 + 2023 on shim): osslsigncode 2.9 reports "
     "'Corrupted attribute certificate table'; Vigil reads both entries and both digests match"),
    ("signature", lambda p, v, r: r.get("osslsigncode") == "no signature" and v.get("bytesAfter", 0) > 0
        and v.get("matches") == [False],
     "bytes after the certificate table: osslsigncode ignores a signature not at end of file; Vigil hashes "
     "the trailing bytes like LIEF, so the digest mismatches (overlay-after fixture)"),
    ("signature", lambda p, v, r: r.get("osslsigncode") == "corrupted attribute certificate table"
        and v.get("sizeMismatch") and v.get("entries") == 1,
     "directory Size grown without dwLength (pad-dironly): osslsigncode rejects the table; Vigil reads the "
     "first entry, reports 'sum of aligned dwLengths != size' and the digest still matches"),
]


def files_under(paths):
    for p in paths:
        if os.path.isdir(p):
            for root, _, names in os.walk(p):
                for n in sorted(names):
                    if not n.startswith("."):
                        yield os.path.join(root, n)
        else:
            yield p


def run_vigil(vigil, paths):
    out = {}
    for i in range(0, len(paths), 64):
        batch = paths[i:i + 64]
        proc = subprocess.run([vigil, "inspect", "--format", "jsonl", *batch], capture_output=True, text=True)
        for line in proc.stdout.splitlines():
            r = json.loads(line)
            out[r["path"]] = r
        if proc.returncode not in (0,):
            sys.stderr.write(proc.stderr)
    return out


def s(b):
    return b.decode("utf-8", "replace") if isinstance(b, (bytes, bytearray)) else b


def ref_headers(pe):
    fh, oh = pe.FILE_HEADER, pe.OPTIONAL_HEADER
    return {"machine": fh.Machine, "numberOfSections": fh.NumberOfSections, "timeDateStamp": fh.TimeDateStamp,
            "characteristics": fh.Characteristics, "sizeOfOptionalHeader": fh.SizeOfOptionalHeader,
            "pointerToSymbolTable": fh.PointerToSymbolTable, "numberOfSymbols": fh.NumberOfSymbols,
            "magic": oh.Magic, "addressOfEntryPoint": oh.AddressOfEntryPoint, "imageBase": oh.ImageBase,
            "sectionAlignment": oh.SectionAlignment, "fileAlignment": oh.FileAlignment,
            "sizeOfImage": oh.SizeOfImage, "sizeOfHeaders": oh.SizeOfHeaders, "subsystem": oh.Subsystem,
            "dllCharacteristics": oh.DllCharacteristics, "checkSum": oh.CheckSum,
            "majorSubsystemVersion": oh.MajorSubsystemVersion, "numberOfRvaAndSizes": oh.NumberOfRvaAndSizes}


def vigil_headers(v):
    c, o = v["coff"], v.get("optionalHeader") or {}
    keys = ["magic", "addressOfEntryPoint", "imageBase", "sectionAlignment", "fileAlignment", "sizeOfImage",
            "sizeOfHeaders", "subsystem", "dllCharacteristics", "checkSum", "majorSubsystemVersion",
            "numberOfRvaAndSizes"]
    h = {k: c[k] for k in ["machine", "numberOfSections", "timeDateStamp", "characteristics",
                            "sizeOfOptionalHeader", "pointerToSymbolTable", "numberOfSymbols"]}
    h.update({k: o.get(k) for k in keys})
    return h


def ref_sections(pe):
    return [[s(x.Name.rstrip(b"\0")), x.VirtualAddress, x.Misc_VirtualSize, x.SizeOfRawData, x.PointerToRawData,
             x.Characteristics, round(x.get_entropy(), 4)] for x in pe.sections]


def vigil_sections(v):
    return [[x["name"], x["virtualAddress"], x["virtualSize"], x["sizeOfRawData"], x["pointerToRawData"],
             x["characteristics"], round(x["entropy"], 4)] for x in v["sections"]]


def ref_import_list(entries):
    out = []
    for e in entries:
        out.append([s(e.dll), [s(i.name) if i.name is not None and not i.import_by_ordinal else "#%d" % i.ordinal
                               for i in e.imports]])
    return out


def vigil_import_list(v, delay):
    return [[i["dll"], [f["name"] if f.get("name") is not None else "#%d" % f["ordinal"] for f in i["functions"]]]
            for i in v["imports"] if i["delayLoad"] == delay]


def ref_exports(pe):
    if not hasattr(pe, "DIRECTORY_ENTRY_EXPORT"):
        return []
    return sorted([[e.ordinal, s(e.name), e.address, s(e.forwarder)] for e in pe.DIRECTORY_ENTRY_EXPORT.symbols],
                  key=lambda x: (x[0], x[1] or ""))


def vigil_exports(v):
    e = v.get("exports")
    if not e:
        return []
    return sorted([[x["ordinal"], x.get("name"), x["rva"], x.get("forwarder")] for x in e["symbols"]],
                  key=lambda x: (x[0], x[1] or ""))


def ref_version(pe):
    if not hasattr(pe, "FileInfo") or not hasattr(pe, "DIRECTORY_ENTRY_RESOURCE"):
        return {}
    langs = []
    for t in pe.DIRECTORY_ENTRY_RESOURCE.entries:
        if t.id == 16 and hasattr(t, "directory") and t.directory.entries:
            first = t.directory.entries[0]
            langs = [l.id for l in first.directory.entries] if hasattr(first, "directory") else []
    idx = 0
    for want in (0x409, 0):
        if want in langs:
            idx = langs.index(want)
            break
    if idx >= len(pe.FileInfo):
        return {}
    for fi in pe.FileInfo[idx]:
        if getattr(fi, "Key", b"") == b"StringFileInfo" and fi.StringTable:
            tables = fi.StringTable
            table = next((t for t in tables if s(t.LangID).lower().startswith("0409")), tables[0])
            return {s(k): s(val) for k, val in table.entries.items()}
    return {}


def vigil_version(v):
    vi = v.get("versionInfo")
    return {x["key"]: x["value"] for x in vi["strings"]} if vi else {}


def osslsigncode(path):
    p = subprocess.run(["osslsigncode", "verify", "-in", path], capture_output=True, text=True)
    text = p.stdout + p.stderr
    current = re.findall(r"Current message digest\s*:\s*([0-9A-F]+)", text)
    calc = re.findall(r"Calculated message digest\s*:\s*([0-9A-F]+)", text)
    if "not at the end of the file" in text or "No signature found" in text:
        return {"osslsigncode": "no signature"}
    if "Corrupted attribute certificate table" in text:
        return {"osslsigncode": "corrupted attribute certificate table"}
    if "Unable to extract existing signature" in text:
        return {"osslsigncode": "unable to extract existing signature"}
    return {"signed": [x.lower() for x in current], "computed": [x.lower() for x in calc]}


def vigil_signature(r):
    a = r.get("authenticode")
    if not a:
        return {"osslsigncode": "no signature"}
    top = [x for x in a["signatures"] if x["nestingLevel"] == 0]
    t = (r.get("pe") or {}).get("certificateTable") or {}
    return {"signed": [x["signedDigest"] for x in top], "computed": [x["computedDigest"] for x in top],
            "matches": [x["digestMatches"] for x in top], "signatures": len(top),
            "entries": len(t.get("entries", [])), "sizeMismatch": t.get("sumOfAlignedLengths") != t.get("size"),
            "bytesAfter": t.get("bytesAfter", 0)}


def compare(path, r, counts, diffs):
    v = r.get("pe")
    try:
        pe = pefile.PE(path, fast_load=False)
    except pefile.PEFormatError as e:
        counts["load"][0 if v is None else 1] += 1
        if v is not None:
            diffs.append((path, "load", "parsed", "pefile: %s" % e))
        return
    if v is None:
        diffs.append((path, "load", "not parsed", "pefile parsed"))
        return
    oh = pe.OPTIONAL_HEADER
    pairs = {
        "headers": (vigil_headers(v), ref_headers(pe)),
        "sections": (vigil_sections(v), ref_sections(pe)),
        "imports": (vigil_import_list(v, False), ref_import_list(getattr(pe, "DIRECTORY_ENTRY_IMPORT", []))),
        "delay_imports": (vigil_import_list(v, True), ref_import_list(getattr(pe, "DIRECTORY_ENTRY_DELAY_IMPORT", []))),
        "exports": (vigil_exports(v), ref_exports(pe)),
        "version_strings": (vigil_version(v), ref_version(pe)),
        "checksum": ([v["checksum"]["stored"], v["checksum"]["computed"]], [oh.CheckSum, pe.generate_checksum()]),
        "overlay": ((v.get("overlay") or {}).get("offset"), pe.get_overlay_data_start_offset()),
    }
    sd = oh.DATA_DIRECTORY[4] if len(oh.DATA_DIRECTORY) > 4 else None
    ref_sec = [sd.VirtualAddress, sd.Size] if sd and (sd.VirtualAddress or sd.Size) else None
    t = v.get("certificateTable")
    pairs["security_directory"] = ([t["offset"], t["size"]] if t else None, ref_sec)
    if ref_sec:
        ov, rv = vigil_signature(r), osslsigncode(path)
        if "osslsigncode" in rv:
            pairs["signature"] = (ov, rv)
        else:
            pairs["signature"] = ({"signed": ov.get("signed", [])[:1], "computed": ov.get("computed", [])[:1]},
                                  {"signed": rv["signed"][:1], "computed": rv["computed"][:1]})
    for field, (mine, ref) in pairs.items():
        if mine == ref:
            counts[field][0] += 1
            continue
        reason = next((why for f, pred, why in EXPLAINED if f == field and pred(path, mine, ref)), None)
        if reason:
            counts[field][2] += 1
            diffs.append((path, field + " (explained)", reason, ""))
        else:
            counts[field][1] += 1
            diffs.append((path, field, json.dumps(mine)[:600], json.dumps(ref)[:600]))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--vigil", default=".build/release/vigil")
    ap.add_argument("--json")
    ap.add_argument("--limit", type=int)
    ap.add_argument("paths", nargs="+")
    a = ap.parse_args()
    paths = list(files_under(a.paths))
    if a.limit:
        paths = paths[:a.limit]
    results = run_vigil(a.vigil, paths)
    counts = defaultdict(lambda: [0, 0, 0])  # agree, disagree, explained
    diffs = []
    for p in paths:
        if p not in results:
            diffs.append((p, "inspect", "vigil produced no result", ""))
            counts["inspect"][1] += 1
            continue
        counts["inspect"][0] += 1
        compare(p, results[p], counts, diffs)
    print("files: %d" % len(paths))
    print("%-20s %8s %8s %10s %9s" % ("field", "agree", "differ", "explained", "rate"))
    for f in ["inspect", "load"] + FIELDS:
        if f not in counts:
            continue
        ag, di, ex = counts[f]
        total = ag + di + ex
        print("%-20s %8d %8d %10d %8.2f%%" % (f, ag, di, ex, 100.0 * (ag + ex) / total if total else 100))
    unexplained = [d for d in diffs if not d[1].endswith("(explained)")]
    for d in diffs:
        print("DIFF %s [%s]\n  vigil:  %s\n  pefile/osslsigncode: %s" % d)
    if a.json:
        json.dump({"counts": counts, "diffs": diffs}, open(a.json, "w"), indent=1)
    return 1 if unexplained else 0


if __name__ == "__main__":
    sys.exit(main())
