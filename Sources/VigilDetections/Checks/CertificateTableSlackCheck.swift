import VigilCore
import VigilFormats

/// Check 1: data hidden inside the Authenticode certificate table.
///
/// The certificate table is excluded from the Authenticode digest, so bytes added inside a
/// WIN_CERTIFICATE after the PKCS#7 blob (with `dwLength` and the directory size grown) leave the
/// signature valid (CVE-2013-3900; Windows only rejects it with the opt-in EnableCertPaddingCheck).
/// The 3CX carrier `d3dcompiler_47.dll` hid RC4-encrypted shellcode there behind `FE ED FA CE`.
/// Normal signers leave 0–7 zero bytes after the DER blob (measured on osslsigncode,
/// Microsoft and sbsign signatures; docs/formats-pe.md).
enum CertificateTableSlackCheck {
    /// Normal signers leave at most this many (zero) bytes between the DER blob and `dwLength`.
    static let normalSlack = 7

    static func run(table: PECertificateTable, context: SignatureContext, path: String) -> [Finding] {
        var findings: [Finding] = []
        var reportedMarkers = Set<Int>()
        for (index, entry) in table.entries.enumerated() {
            let slack = entry.slack
            let padding = entry.alignmentPadding
            let oversize = (slack?.size ?? 0) > normalSlack
            let slackData = slack.map { !$0.allZero } ?? false
            let paddingData = padding.map { !$0.allZero } ?? false
            guard oversize || slackData || paddingData else { continue }
            let regionStart = slack?.offset ?? padding?.offset ?? entry.offset
            let regionEnd = (padding.map { $0.offset + $0.size } ?? (slack.map { $0.offset + $0.size } ?? regionStart))
            let markers = table.markerOffsets.filter { $0 >= regionStart && $0 < regionEnd }
            reportedMarkers.formUnion(markers)
            let hidden = slackData || paddingData
            var evidence = context.evidence
            evidence["cert_table_offset"] = .int(table.offset)
            evidence["cert_table_size"] = .int(table.size)
            evidence["entry_index"] = .int(index)
            evidence["dw_length"] = .int(Int(entry.length))
            evidence["der_length"] = .int(entry.derLength ?? 0)
            evidence["slack_offset"] = .int(slack?.offset ?? 0)
            evidence["slack_size"] = .int(slack?.size ?? 0)
            evidence["slack_entropy"] = .double(slack?.entropy ?? 0)
            evidence["slack_all_zero"] = .bool(slack?.allZero ?? true)
            evidence["padding_size"] = .int(padding?.size ?? 0)
            evidence["padding_all_zero"] = .bool(padding?.allZero ?? true)
            evidence["marker_offsets"] = .strings(markers.map { hex($0) })
            let size = (slack?.size ?? 0) + (paddingData ? padding?.size ?? 0 : 0)
            var what = "\(slack?.size ?? 0) bytes after the PKCS#7 signature inside WIN_CERTIFICATE \(index)"
            if paddingData { what += " and non-zero alignment padding after dwLength" }
            findings.append(
                Finding(
                    check: CheckID.certificateTableSlack,
                    title: hidden
                        ? "Data hidden in the Authenticode signature: \(size) bytes\(markers.isEmpty ? "" : " behind a FEEDFACE marker")"
                            + " (entropy \(decimal2(slack?.entropy ?? 0)))"
                        : "Oversized zero padding (\(slack?.size ?? 0) bytes) inside the Authenticode signature",
                    severity: hidden ? .high : .medium,
                    score: hidden ? (markers.isEmpty ? 85 : 95) : 65,
                    path: path,
                    offset: markers.first ?? regionStart,
                    explanation: "The certificate table holds \(what) (normal signers leave 0 to \(normalSlack) zero bytes). "
                        + "These bytes are outside the signed digest, so \(context.phrase) while carrying extra data: "
                        + "the CVE-2013-3900 'signature padding' technique the 3CX attackers used to hide encrypted "
                        + "shellcode in a genuine Microsoft-signed d3dcompiler_47.dll, read out later by a side-loaded DLL."
                        + (markers.isEmpty ? "" : " The SigFlip/3CX marker FE ED FA CE FE ED FA CE is present at \(markers.map { hex($0) }.joined(separator: ", ")).")
                        + (hidden ? "" : " The extra bytes are all zero, so nothing is hidden, but the table was edited after signing."),
                    attack: [Attack.codeSigning, Attack.obfuscation, Attack.supplyChain],
                    evidence: evidence))
        }
        // A marker outside every entry's slack (e.g. in bytes the directory claims but no entry covers).
        let stray = table.markerOffsets.filter { !reportedMarkers.contains($0) }
        if !stray.isEmpty {
            var evidence = context.evidence
            evidence["cert_table_offset"] = .int(table.offset)
            evidence["cert_table_size"] = .int(table.size)
            evidence["marker_offsets"] = .strings(stray.map { hex($0) })
            findings.append(
                Finding(
                    check: CheckID.certificateTableSlack,
                    title: "SigFlip/3CX marker FEEDFACEFEEDFACE inside the certificate table",
                    severity: .high,
                    score: 95,
                    path: path,
                    offset: stray[0],
                    explanation: "The certificate table contains the 8-byte egg FE ED FA CE FE ED FA CE at "
                        + "\(stray.map { hex($0) }.joined(separator: ", ")), outside any PKCS#7 signature. SigFlip-style "
                        + "loaders (and the 3CX ffmpeg.dll) scan a signed file for this egg and decrypt what follows it; "
                        + "\(context.phrase).",
                    attack: [Attack.codeSigning, Attack.obfuscation, Attack.supplyChain],
                    evidence: evidence))
        }
        return findings
    }
}
