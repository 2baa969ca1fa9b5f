import VigilCore
import VigilFormats

/// Check 2: the Authenticode signature does not cover the file as it is.
///
/// Three ways: the signed image digest no longer matches (code or headers changed after signing);
/// bytes follow the certificate table (no digest covers them; osslsigncode then calls the file
/// unsigned, LIEF reports a bad digest, Windows may still load it); or the security directory claims
/// more bytes than its WIN_CERTIFICATE entries account for (SigFlip variant that grows only the
/// directory size). Severity follows how much data is uncovered and what it looks like.
enum SignatureCoverageCheck {
    static func run(table: PECertificateTable, bytes: [UInt8], context: SignatureContext, path: String) -> [Finding] {
        var findings: [Finding] = []
        findings += digestFindings(context: context, path: path)
        if table.offset + table.size > bytes.count {
            // A truncated download or a damaged file: the declared table is not (all) there.
            var evidence = tableEvidence(table, context: context)
            evidence["file_size"] = .int(bytes.count)
            findings.append(
                Finding(
                    check: CheckID.certificateTableSize,
                    title: "Certificate table extends past the end of the file",
                    severity: .low,
                    path: path,
                    explanation: "The security directory places a \(table.size)-byte certificate table at offset "
                        + "\(table.offset), but the file ends at \(bytes.count): the file is truncated or its directory was "
                        + "edited, so the signature cannot be checked; \(context.phrase).",
                    attack: [Attack.codeSigning],
                    evidence: evidence))
            return findings
        }
        if table.bytesAfter > 0 {
            let start = table.offset + table.size
            let region = MeasuredRegion.measure(bytes, offset: start, size: table.bytesAfter)
            findings.append(uncovered(region: region, bytes: bytes, kind: .afterTable, table: table, context: context, path: path))
        }
        let accounted = table.offset + table.sumOfAlignedLengths
        let claimedEnd = min(table.offset + table.size, bytes.count)
        if table.sumOfAlignedLengths != table.size {
            if accounted < claimedEnd {
                let region = MeasuredRegion.measure(bytes, offset: accounted, size: claimedEnd - accounted)
                findings.append(uncovered(region: region, bytes: bytes, kind: .unaccounted, table: table, context: context, path: path))
            } else {
                var evidence = tableEvidence(table, context: context)
                evidence["unaccounted_size"] = .int(0)
                findings.append(
                    Finding(
                        check: CheckID.certificateTableSize,
                        title: "Certificate table size \(table.size) disagrees with its entries (\(table.sumOfAlignedLengths) bytes)",
                        severity: .medium,
                        path: path,
                        offset: table.offset,
                        explanation: "The security directory says the certificate table is \(table.size) bytes, but its "
                            + "WIN_CERTIFICATE entries add up to \(table.sumOfAlignedLengths) (dwLength rounded to 8). Signing "
                            + "tools keep the two equal; a mismatch means the table was edited after signing, and "
                            + "verifiers disagree on such files; \(context.phrase).",
                        attack: [Attack.codeSigning],
                        evidence: evidence))
            }
        }
        return findings
    }

    private static func digestFindings(context: SignatureContext, path: String) -> [Finding] {
        guard let report = context.report else { return [] }
        return report.signatures.compactMap { signature in
            guard let computed = signature.computedDigest, !signature.digestMatches else { return nil }
            var evidence = context.evidence
            evidence["signed_digest"] = .string(signature.signedDigest)
            evidence["computed_digest"] = .string(computed)
            evidence["digest_algorithm"] = .string(signature.digestAlgorithm)
            evidence["entry_index"] = .int(signature.certificateEntry)
            evidence["nesting_level"] = .int(signature.nestingLevel)
            evidence["signer"] = .string(signature.signer?.subject ?? "")
            return Finding(
                check: CheckID.digestMismatch,
                title: "Authenticode digest mismatch: the file changed after it was signed",
                severity: .high,
                score: 90,
                path: path,
                explanation: "The signature by \(signature.signer?.subject ?? "an unreadable signer") records the "
                    + "\(signature.digestAlgorithm) image digest \(signature.signedDigest), but the file now hashes to "
                    + "\(computed). Code, headers or sections were modified after signing (or data was appended after "
                    + "the certificate table): the signature no longer vouches for this file, yet the signer's name "
                    + "is still shown by tools that do not verify.",
                attack: [Attack.codeSigning, Attack.supplyChain],
                evidence: evidence)
        }
    }

    private enum Kind { case afterTable, unaccounted }

    private static func uncovered(
        region: MeasuredRegion, bytes: [UInt8], kind: Kind, table: PECertificateTable, context: SignatureContext, path: String
    ) -> Finding {
        let markers = findMarker(bytes, from: region.offset, to: region.offset + region.size)
        let severity: Severity
        let nature: String
        if !markers.isEmpty || (!region.allZero && (region.size >= 64 || region.entropy >= 6.0)) {
            severity = .high
            nature = markers.isEmpty
                ? "\(region.size) bytes of data (entropy \(decimal2(region.entropy)) bits/byte)"
                : "\(region.size) bytes starting with the SigFlip/3CX marker FEEDFACEFEEDFACE"
        } else if !region.allZero {
            severity = .medium
            nature = "\(region.size) bytes of non-zero data"
        } else {
            severity = .low
            nature = "\(region.size) zero bytes"
        }
        var evidence = tableEvidence(table, context: context)
        evidence["uncovered_offset"] = .int(region.offset)
        evidence["uncovered_size"] = .int(region.size)
        evidence["uncovered_entropy"] = .double(region.entropy)
        evidence["uncovered_all_zero"] = .bool(region.allZero)
        evidence["marker_offsets"] = .strings(markers.map { hex($0) })
        switch kind {
        case .afterTable:
            return Finding(
                check: CheckID.dataAfterCertificateTable,
                title: "\(region.size) bytes after the Authenticode certificate table",
                severity: severity,
                score: severity == .high ? 85 : nil,
                path: path,
                offset: region.offset,
                explanation: "The certificate table ends at \(hex(region.offset)) but the file continues with \(nature). "
                    + "No signature covers bytes after the table: osslsigncode then treats the file as unsigned, "
                    + "other verifiers report a bad digest, and loaders that only check the table keep trusting it; "
                    + "\(context.phrase). Appending data after signing is how payloads are smuggled in signed installers.",
                attack: [Attack.codeSigning, Attack.obfuscation],
                evidence: evidence)
        case .unaccounted:
            evidence["unaccounted_size"] = .int(region.size)
            return Finding(
                check: CheckID.certificateTableSize,
                title: "Security directory claims \(region.size) bytes no WIN_CERTIFICATE accounts for",
                severity: severity,
                score: severity == .high ? 85 : nil,
                path: path,
                offset: region.offset,
                explanation: "The security directory says the certificate table is \(table.size) bytes, but its entries "
                    + "end after \(table.sumOfAlignedLengths); the rest is \(nature). Growing only the directory size is "
                    + "a SigFlip variant to hide data in the unsigned table; \(context.phrase).",
                attack: [Attack.codeSigning, Attack.obfuscation],
                evidence: evidence)
        }
    }

    private static func tableEvidence(_ table: PECertificateTable, context: SignatureContext) -> [String: EvidenceValue] {
        var evidence = context.evidence
        evidence["cert_table_offset"] = .int(table.offset)
        evidence["cert_table_size"] = .int(table.size)
        evidence["sum_of_aligned_lengths"] = .int(table.sumOfAlignedLengths)
        evidence["bytes_after_table"] = .int(table.bytesAfter)
        return evidence
    }

    private static let marker: [UInt8] = [0xFE, 0xED, 0xFA, 0xCE, 0xFE, 0xED, 0xFA, 0xCE]

    static func findMarker(_ bytes: [UInt8], from: Int, to: Int) -> [Int] {
        var hits: [Int] = []
        let end = min(to, bytes.count)
        var i = max(0, from)
        while i + marker.count <= end, hits.count < 16 {
            if bytes[i] == 0xFE, bytes[i..<(i + marker.count)].elementsEqual(marker) { hits.append(i) }
            i += 1
        }
        return hits
    }
}
