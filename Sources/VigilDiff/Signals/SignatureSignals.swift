import VigilCore

/// Signals about code signatures: bytes that changed only where the signature does not reach,
/// data stuffed into the certificate table, signers that changed or vanished.
enum SignatureSignals {
    /// The file hash changed but the Authenticode image digest did not: every changed byte lies in
    /// the checksum, the certificate-table directory entry or the certificate table itself.
    static func signatureOnlyChange(_ c: SignalContext) -> [Finding] {
        guard let old = c.old, let new = c.new, c.change.contentChanged,
            let before = old.executable?.imageDigest, let after = new.executable?.imageDigest, before == after
        else { return [] }
        var evidence: [String: EvidenceValue] = [
            "image_digest": .string(after),
            "old_size": .int(old.size), "new_size": .int(new.size), "size_change": .int(new.size - old.size),
        ]
        if let slack = new.signature?.slackBytes { evidence["new_slack_bytes"] = .int(slack) }
        if let slack = old.signature?.slackBytes { evidence["old_slack_bytes"] = .int(slack) }
        return [
            c.finding(
                "diff.signature-only-change",
                "Only the signature area changed: same Authenticode image digest, different file (\(signed(new.size - old.size)) bytes)",
                .high,
                "Every changed byte lies in the parts of the file the Authenticode signature does not cover (checksum, "
                    + "certificate-table entry, certificate table). A vendor rebuild changes code; a change confined to the "
                    + "signature area means data was added to a signed file without breaking its signature, the technique "
                    + "used on 3CX's d3dcompiler_47.dll to carry encrypted shellcode.",
                attack: ["T1553.002", "T1027", "T1195.002"], evidence: evidence)
        ]
    }

    /// The certificate table now holds more than the normal 0–7 zero bytes after the signature.
    static func slackAppeared(_ c: SignalContext) -> [Finding] {
        guard let new = c.new, let sig = new.signature, sig.hasAnomalousSlack else { return [] }
        if let old = c.old?.signature, old.hasAnomalousSlack, old.slackBytes == sig.slackBytes { return [] }
        var evidence: [String: EvidenceValue] = ["slack_bytes": .int(sig.slackBytes ?? 0), "slack_nonzero": .bool(sig.slackNonZero ?? false)]
        if let e = sig.slackEntropy { evidence["slack_entropy"] = .double(e) }
        if let s = c.old?.signature?.slackBytes { evidence["old_slack_bytes"] = .int(s) }
        let status = sig.digestMatches == true ? "the signature still verifies" : "the signature digest is not confirmed"
        return [
            c.finding(
                "diff.cert-slack-appeared",
                "Certificate table now carries \(sig.slackBytes ?? 0) bytes after the signature\(c.old == nil ? "" : " (was \(c.old?.signature?.slackBytes ?? 0))")",
                .high,
                "Signers leave at most 7 zero bytes between the PKCS#7 blob and the end of its WIN_CERTIFICATE entry. Extra "
                    + "or non-zero bytes there are not covered by the signature, so \(status) while the file carries hidden "
                    + "data (CVE-2013-3900 padding, SigFlip; the 3CX d3dcompiler_47.dll carrier).",
                attack: ["T1553.002", "T1027"], evidence: evidence)
        ]
    }

    /// Signer changed, signature removed, or a signature that verified before no longer does.
    static func signerChanged(_ c: SignalContext) -> [Finding] {
        guard let old = c.old?.signature, let new = c.new?.signature, c.change.contentChanged else { return [] }
        var out: [Finding] = []
        let wasSigned = old.status == "signed"
        if wasSigned, new.status != "signed" {
            out.append(
                c.finding(
                    "diff.signature-removed", "Signature disappeared: was signed by \(old.signer ?? "a certificate"), now \(new.status)", .high,
                    "The previous release of this file was signed and this one is not. Vendors sign every build of a file they "
                        + "sign; an unsigned replacement is what a file swapped in after the build looks like.",
                    attack: ["T1553.002", "T1195.002"],
                    evidence: ["old_signer": .string(old.signer ?? ""), "new_status": .string(new.status)]))
        } else if wasSigned, let a = old.signer, let b = new.signer, a != b {
            out.append(
                c.finding(
                    "diff.signer-changed", "Signer changed from '\(a)' to '\(b)'", .high,
                    "The same file in the previous release was signed by someone else. A change of signing identity without a "
                        + "matching vendor announcement means the file may come from another party.",
                    attack: ["T1553.002", "T1195.002"],
                    evidence: ["old_signer": .string(a), "new_signer": .string(b), "old_team": .string(old.teamID ?? ""), "new_team": .string(new.teamID ?? "")]))
        } else if let a = old.teamID, let b = new.teamID, a != b {
            out.append(
                c.finding(
                    "diff.signer-changed", "Signing team changed from \(a) to \(b)", .high,
                    "The Mach-O code signature names a different developer team than the previous release.",
                    attack: ["T1553.002", "T1195.002"], evidence: ["old_team": .string(a), "new_team": .string(b)]))
        } else if old.status == "adhoc", new.status == "unsigned" {
            out.append(
                c.finding(
                    "diff.signature-removed", "Ad-hoc signature removed", .medium,
                    "The previous build carried an ad-hoc code signature and this one carries none.",
                    attack: ["T1553.002"], evidence: ["old_status": .string(old.status), "new_status": .string(new.status)]))
        }
        if old.digestMatches == true, new.digestMatches == false {
            out.append(
                c.finding(
                    "diff.signature-broken", "Signature no longer matches the file", .high,
                    "The signed digest (Authenticode image digest, or Mach-O page hashes) no longer matches the file's "
                        + "contents: the file was changed after it was signed.",
                    attack: ["T1553.002", "T1195.002"], evidence: ["signer": .string(new.signer ?? "")]))
        }
        return out
    }

    static func signed(_ n: Int) -> String { n >= 0 ? "+\(n)" : "\(n)" }
}
