#!/usr/bin/env python3
"""Regenerates Sources/VigilDefaults/ThreeCXIndicators.swift from the Sophos and Volexity 3CX CSVs.

Usage: scripts/generate-defaults.py SOPHOS_3CX_CSV VOLEXITY_3CX_CSV > Sources/VigilDefaults/ThreeCXIndicators.swift
Only the indicator values (facts) and their short descriptions are embedded.
"""
import csv, io, sys

def main(sophos, volexity):
    rows = []
    for r in csv.DictReader(io.StringIO(open(sophos, encoding="utf-8-sig").read())):
        t, v, n = r["Indicator"].strip(), r["Data"].strip(), r["Note"].strip()
        src = "Sophos 3CX IoCs 2023-03"
        if t == "SHA256":
            rows.append(("sha256", v.lower(), n, src, ""))
        elif t == "URL":
            v = v.replace("[.]", ".")
            rows.append(("url", "http://" + v, n, src, "") if "/" in v else ("domain", v.lower(), n, src, ""))
    for r in csv.DictReader(io.StringIO(open(volexity).read())):
        v, t, d = r["value"].strip(), r["entity_type"], r["description"]
        src = "Volexity 3CX indicators 2023-03-30 (BSD-2-Clause)"
        if t == "hostname":
            rows.append(("domain", v.lower(), d, src, ""))
        elif t == "emailwhois":
            rows.append(("email", v.lower(), d + " (WHOIS e-mail)", src, ""))
        elif t == "file":
            # One cell packs the three digests of one file: SHA-1 and MD5 are linked to its SHA-256.
            s256, s1, m5 = v.split(",")
            rows += [("sha256", s256, d, src, ""), ("sha1", s1, d, src, s256), ("md5", m5, d, src, s256)]
    return rows

HEADER = '/// The published 3CX (March 2023) indicators, embedded so a first run needs no download.\n///\n/// Facts (hashes, domains, addresses) from two publications:\n/// - Sophos, "3CX IoCs 2023-03" (github.com/sophoslabs/IoCs, commit 0ab2b73): SHA-256 hashes, the\n///   21 C2 domains and the GitHub staging path. Values only; the file itself is not redistributed.\n/// - Volexity, "3CX supply chain" indicators (github.com/volexity/threat-intel, commit a7eaa9d),\n///   BSD-2-Clause, Copyright 2022 by Volexity, Inc.: host names, file hashes (SHA-256, SHA-1, MD5)\n///   and WHOIS e-mail addresses.\n///\n/// Generated from those two CSV files; see `scripts/generate-defaults.py`.\nenum ThreeCXIndicators {\n    /// (kind, normalised value, publisher\'s description, source, SHA-256 of the same file or "")\n    static let entries: [(kind: String, value: String, description: String, source: String, sameFileSHA256: String)] = [\n'

def quote(s):
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'

if __name__ == "__main__":
    out = [HEADER.rstrip("\n")]
    for r in main(sys.argv[1], sys.argv[2]):
        out.append("        (%s)," % ", ".join(quote(x) for x in r))
    out.append("    ]\n}\n")
    sys.stdout.write("\n".join(out))
