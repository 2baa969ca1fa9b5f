import VigilCore
import VigilFormats

/// Renders an ``InspectionResult`` for people. Each line is escaped (``TerminalSafe``): section,
/// DLL, export and version-string names come from the file and cannot rewrite the terminal.
struct InspectTextRenderer {
    /// List every function instead of the first few per DLL.
    var full: Bool

    func render(_ r: InspectionResult) -> String {
        var out: [String] = ["\(r.path)", "  format: \(r.format.rawValue), \(r.size) bytes, sha256 \(r.sha256)"]
        if let pe = r.pe { out += renderPE(pe) }
        if let a = r.authenticode { out += renderAuthenticode(a) }
        for report in [
            r.macho?.textLines(includeProblems: false), r.ico?.textLines(includeProblems: false),
            r.png?.textLines(includeProblems: false),
        ].compactMap({ $0 }) {
            out += report.map { "  " + $0 }
        }
        let issues = r.allIssues
        if !issues.isEmpty {
            out.append("  issues (\(issues.count)):")
            out += issues.map { "    - \($0)" }
        }
        return out.map { TerminalSafe.escape($0) }.joined(separator: "\n")
    }

    func hex<T: BinaryInteger>(_ v: T) -> String { "0x" + String(v, radix: 16) }
    func fixed(_ v: Double) -> String {
        let scaled = (v * 100).rounded() / 100
        return "\(scaled)"
    }

    func renderPE(_ pe: PEFile) -> [String] {
        var out: [String] = []
        let kind = pe.coff.isDLL ? "DLL" : "EXE"
        if let o = pe.optionalHeader {
            out.append(
                "  PE: \(o.isPE32Plus ? "PE32+" : "PE32") \(pe.coff.machineName) \(kind), subsystem \(o.subsystem), "
                    + "entry \(hex(o.addressOfEntryPoint)), image base \(hex(o.imageBase)), timestamp \(pe.coff.timeDateStamp)")
        } else {
            out.append("  PE: \(pe.coff.machineName) \(kind), no optional header")
        }
        out.append(
            "  checksum: stored \(hex(pe.checksum.stored)), computed \(hex(pe.checksum.computed))"
                + (pe.checksum.matches ? " (matches)" : pe.checksum.stored == 0 ? " (not set)" : " (MISMATCH)"))
        out.append("  sections (\(pe.sections.count)):")
        for s in pe.sections {
            let flags = (s.characteristics & 0x4000_0000 != 0 ? "r" : "-") + (s.isWritable ? "w" : "-") + (s.isExecutable ? "x" : "-")
            out.append(
                "    \(s.name.padding(8)) va \(hex(s.virtualAddress)) vsize \(hex(s.virtualSize)) raw \(hex(s.pointerToRawData))+\(hex(s.sizeOfRawData)) \(flags) entropy \(s.entropy.map(fixed) ?? "-")")
        }
        if !pe.imports.isEmpty {
            let total = pe.imports.reduce(0) { $0 + $1.functions.count }
            out.append("  imports (\(pe.imports.count) DLLs, \(total) functions):")
            for i in pe.imports {
                let names = i.functions.map { $0.name ?? "#\($0.ordinal ?? 0)" }
                out.append("    \(i.dll)\(i.delayLoad ? " (delay-load)" : ""): \(list(names))")
            }
        }
        if let e = pe.exports {
            let names = e.symbols.map { s in (s.name ?? "#\(s.ordinal)") + (s.forwarder.map { " -> \($0)" } ?? "") }
            out.append("  exports (\(e.dllName ?? "?"), \(e.symbols.count)): \(list(names))")
        }
        if let v = pe.versionInfo {
            out.append("  version info (\(v.stringTable ?? "no string table"), fixed file version \(v.fixedFileVersion ?? "?")):")
            out += v.strings.map { "    \($0.key): \($0.value)" }
        }
        if let o = pe.overlay {
            var parts: [String] = []
            if let s = o.symbolTable { parts.append("COFF symbols \(s.count)") }
            if let c = o.certificateTable { parts.append("certificate table \(c.count)") }
            if let a = o.afterCertificateTable { parts.append("AFTER certificate table \(a.size)") }
            if o.otherBytes > 0 { parts.append("other \(o.otherBytes)") }
            out.append("  overlay: \(o.size) bytes at \(hex(o.offset)), entropy \(fixed(o.entropy)) (\(parts.joined(separator: ", ")))")
        }
        if let t = pe.certificateTable {
            out.append(
                "  certificate table: \(t.size) bytes at \(hex(t.offset)), "
                    + (t.atEndOfFile ? "at end of file" : "NOT at end of file (\(t.bytesAfter) bytes follow)")
                    + (t.sumOfAlignedLengths == t.size ? "" : ", sum of aligned dwLengths \(t.sumOfAlignedLengths) != size"))
            for (i, e) in t.entries.enumerated() {
                var line = "    [\(i)] dwLength \(e.length), revision \(hex(e.revision)), type \(e.certificateType)"
                if let d = e.derLength { line += ", DER \(d) bytes" }
                out.append(line)
                if let s = e.slack {
                    out.append(
                        "        slack after DER: \(s.size) bytes at \(hex(s.offset)), entropy \(fixed(s.entropy)), "
                            + (s.allZero ? "all zero" : "NON-ZERO") + (e.slackIsAnomalous ? "  << ANOMALOUS (CVE-2013-3900 style)" : ""))
                }
                if let p = e.alignmentPadding, p.size > 0 {
                    out.append("        alignment padding: \(p.size) bytes, " + (p.allZero ? "all zero" : "NON-ZERO"))
                }
            }
            if !t.markerOffsets.isEmpty {
                out.append("    FEEDFACE marker at \(t.markerOffsets.map { hex($0) }.joined(separator: ", "))")
            }
        }
        return out
    }

    func renderAuthenticode(_ a: AuthenticodeReport) -> [String] {
        var out = ["  authenticode: \(a.summary)"]
        for s in a.signatures {
            let indent = String(repeating: "  ", count: s.nestingLevel)
            out.append("    \(indent)[entry \(s.certificateEntry)\(s.nestingLevel > 0 ? ", nested level \(s.nestingLevel)" : "")] \(s.digestAlgorithm) digest " + (s.digestMatches ? "matches" : "MISMATCH"))
            out.append("    \(indent)  signed   \(s.signedDigest)")
            out.append("    \(indent)  computed \(s.computedDigest ?? "(unsupported algorithm)")")
            if let c = s.signer {
                out.append("    \(indent)  signer: \(c.subject)")
                out.append("    \(indent)  issuer: \(c.issuer), serial \(c.serialNumber), thumbprint (sha1) \(c.sha1Thumbprint)")
            } else if let issuer = s.signerIssuer {
                out.append("    \(indent)  signer certificate not included; issuer \(issuer), serial \(s.signerSerialNumber ?? "?")")
            }
            if let v = s.signatureValid { out.append("    \(indent)  signer's signature: \(v ? "valid" : "INVALID")") }
            if let t = s.signingTime { out.append("    \(indent)  signing time: \(t)") }
            if let p = s.programName { out.append("    \(indent)  program name: \(p)") }
            for t in s.timestamps {
                var line = "    \(indent)  timestamp (\(t.kind)): \(t.time ?? "?") by \(t.signer?.subject ?? "?")"
                if let m = t.imprintMatches { line += m ? ", imprint matches" : ", imprint MISMATCH" }
                out.append(line)
            }
            if let trust = s.trust {
                out.append(
                    "    \(indent)  trust: "
                        + (trust.trusted ? "chain valid at \(trust.validationTime): \(trust.chain.joined(separator: " <- "))"
                            : "NOT trusted (\(trust.reason ?? "unknown")) at \(trust.validationTime)"))
            }
        }
        return out
    }

    func list(_ names: [String]) -> String {
        if full || names.count <= 8 { return names.joined(separator: ", ") }
        return names.prefix(8).joined(separator: ", ") + ", … \(names.count - 8) more (use --full)"
    }
}

extension String {
    fileprivate func padding(_ width: Int) -> String {
        count >= width ? self : self + String(repeating: " ", count: width - count)
    }
}
