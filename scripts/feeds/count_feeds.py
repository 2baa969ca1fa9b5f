#!/usr/bin/env python3
"""Independent ground truth for Vigil's feed import tests.

Counts the distinct matchable values per kind in every feed of a folder with
Python's csv module, PyMISP and stix2-patterns (no Vigil code involved). The numbers are written
into Tests/VigilFeedsTests/SharedFeedTests.swift by hand.

    pip install pymisp stix2 stix2-patterns
    python3 scripts/feeds/count_feeds.py FEEDS_DIR
"""
import collections, csv, ipaddress, json, re, sys, xml.etree.ElementTree as ET
from pathlib import Path

from pymisp import MISPEvent
from stix2patterns.pattern import Pattern

if len(sys.argv) != 2:
    sys.exit("usage: count_feeds.py FEEDS_DIR")
root = Path(sys.argv[1])
HEX = re.compile(r"^[0-9a-fA-F]+$")


def refang(v):
    for a, b in [("[://]", "://"), ("[:]", ":"), ("[.] ", "."), ("[.]", "."), ("(.)", "."), ("[@]", "@")]:
        v = v.replace(a, b)
    v = re.sub(r"(?i)\bhxxp", "http", v)
    return v.strip().strip("\u200e\ufeff")


def kind_of(v):
    v = refang(v)
    if HEX.match(v) and len(v) in (32, 40, 64):
        return {32: "md5", 40: "sha1", 64: "sha256"}[len(v)], v.lower()
    if "://" in v:
        return "url", v
    try:
        ip = ipaddress.ip_address(v)
        return ("ipv4" if ip.version == 4 else "ipv6"), str(ip)
    except ValueError:
        pass
    if "/" in v:
        try:
            return "cidr", str(ipaddress.ip_network(v, strict=False))
        except ValueError:
            return "url", "http://" + v
    if "@" in v:
        return "email", v.lower()
    if re.match(r"^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)+\.?$", v):
        return "domain", v.lower().rstrip(".")
    return None, v


def show(name, values):
    counts = collections.Counter(k for k, _ in values)
    print(f"{name}: {len(values)} distinct {dict(sorted(counts.items()))}")


def sophos_like(path):
    values = set()
    with open(path, encoding="utf-8-sig", newline="") as f:
        rows = list(csv.reader(f))
    header = [h.lower() for h in rows[0]]
    if "data" not in header and "value" not in header:
        print(f"{path.name}: rejected (header {rows[0][:2]})")
        return
    vi = header.index("data") if "data" in header else header.index("value")
    ti = 0 if vi != 0 else 1
    for r in rows[1:]:
        if len(r) <= max(ti, vi) or not r[ti].strip():
            continue
        t = r[ti].strip().lower()
        if t in ("description", "filepath", "file_path_name"):
            continue
        parts = r[vi].split(",") if t == "file" else [r[vi]]
        for p in parts:
            k, v = kind_of(p)
            if k:
                values.add((k, v))
    show(path.name, values)


def misp(path):
    values = set()
    e = MISPEvent()
    e.load_file(str(path))
    attrs = list(e.attributes) + [a for o in e.objects for a in o.attributes]
    for a in attrs:
        if a.to_ids and a.type in ("md5", "sha1", "sha256", "url", "domain", "ip-dst", "ip-src", "hostname"):
            k, v = kind_of(a.value)
            values.add((k, v))
    show(path.name, values)
    return values


def stix(path, now):
    values, unsupported = set(), 0
    text = path.read_text()
    try:
        doc = json.loads(text)
        objs = doc["objects"] if isinstance(doc, dict) and "objects" in doc else [doc]
    except json.JSONDecodeError:
        objs = [json.loads(l) for l in text.splitlines() if l.strip()]
    for o in objs:
        if o.get("type") != "indicator" or o.get("pattern_type", "stix") != "stix":
            continue
        if now and o.get("valid_until", "9999") <= now:
            continue
        for obj_type, comps in Pattern(o["pattern"]).inspect().comparisons.items():
            for path_, op, value in comps:
                value = value.strip("'")
                ok_path = (obj_type in ("domain-name", "url", "ipv4-addr", "ipv6-addr") and path_ == ["value"]) or (
                    obj_type == "file" and path_[0] == "hashes" and path_[1].strip("'").lower().replace("-", "") in ("md5", "sha1", "sha256"))
                if op != "=" or not ok_path:
                    unsupported += 1
                    continue
                k, v = kind_of(value)
                if k is None or (obj_type == "domain-name" and k not in ("domain", "ipv4", "ipv6")):
                    unsupported += 1
                    continue
                values.add((k, v))
    show(f"{path.name} (now={now})", values)
    print(f"   unsupported or invalid comparisons: {unsupported}")


def openioc(path):
    values = set()
    for item in ET.parse(path).iter():
        if not item.tag.endswith("IndicatorItem") or item.get("negate") == "true":
            continue
        ctx = next(c for c in item if c.tag.endswith("Context")).get("search")
        con = next(c for c in item if c.tag.endswith("Content")).text or ""
        if item.get("condition") not in ("is", "contains", "ends-with"):
            continue
        if ctx.endswith(("Md5sum", "RecordName", "remoteIP")):
            k, v = kind_of(con)
            if k and not (ctx.endswith("Md5sum") and k != "md5"):
                values.add((k, v))
    show(path.name, values)
    return values


for f in sorted((root / "sophos").glob("*.csv")):
    sophos_like(f)
sophos_like(root / "volexity/3cx-iocs.csv")
allm = set()
for f in sorted((root / "misp/eset").glob("*.json")):
    allm |= misp(f)
show("misp/eset (all four)", allm)
for f in sorted((root / "stix").rglob("*")):
    if f.suffix in (".json", ".stix2", ".jsonl"):
        stix(f, None)
        if "sekoia" in str(f):
            stix(f, "2026-11-21")
for d in ("fireeye", "iocwriter"):
    allv = set()
    for f in sorted((root / "openioc" / d).glob("*.ioc")):
        allv |= openioc(f)
    show(f"openioc/{d} (folder)", allv)
