import VigilBinary

/// Reads the signer of a Mach-O CMS blob with the shared ``SignedData`` parser (Authenticode module)
/// and checks that its `messageDigest` covers the primary CodeDirectory.
enum CMSSigner {
    static func summarize(_ reader: ByteReader, signature: CodeSignature, problems: inout [FormatIssue]) -> CMSSignerSummary? {
        guard let offset = signature.cmsOffset, let size = signature.cmsSize, size > 0,
            let der = try? reader.slice(at: offset, length: size)
        else { return nil }
        let signed: SignedData
        do {
            signed = try SignedData(contentInfoDER: der)
        } catch {
            problems.append(FormatIssue(area: "mach-o", offset: offset, message: "CMS signature unreadable: \(error)"))
            return nil
        }
        guard let signer = signed.signers.first else {
            problems.append(FormatIssue(area: "mach-o", offset: offset, message: "CMS signature has no SignerInfo"))
            return nil
        }
        let cert = signed.certificate(for: signer)
        var digestMatches: Bool? = nil
        if let cd = signature.codeDirectories.first(where: { $0.slot == 0 }),
            let cdBytes = try? reader.slice(at: cd.offset, length: Int(cd.length))
        {
            digestMatches = signed.messageDigestMatches(signer, content: Array(cdBytes))
        }
        return CMSSignerSummary(
            subject: cert?.subject.description ?? "unknown (certificate not in the CMS)",
            issuer: cert?.issuer.description ?? signer.issuer?.description,
            serialNumber: signer.serialNumber.map { Hex.string($0) },
            signingTime: signer.signingTime,
            digestMatchesCodeDirectory: digestMatches,
            signatureValid: signed.signatureIsValid(signer),
            certificateCount: signed.certificates.count)
    }
}
