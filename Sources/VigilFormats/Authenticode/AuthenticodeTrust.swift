import Foundation
import SwiftASN1
@_spi(FixedExpiryValidationTime) import X509

/// Loads trusted roots for the optional chain validation.
public enum TrustStore {
    /// Reads every `CERTIFICATE` block of a PEM file.
    /// - Parameter path: The PEM file.
    /// - Returns: The certificates.
    /// - Throws: When the file cannot be read or holds no certificate.
    public static func load(pemFile path: String) throws -> [Certificate] {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        let documents = try PEMDocument.parseMultiple(pemString: text)
        let certificates = try documents.filter { $0.discriminator == "CERTIFICATE" }.map { try Certificate(pemDocument: $0) }
        guard !certificates.isEmpty else { throw InspectionError(path: path, message: "no CERTIFICATE in the trust store") }
        return certificates
    }
}

/// Chain validation of Authenticode signers (optional, separate from parsing).
enum AuthenticodeTrust {
    /// Validates each signature's signer against `roots` with RFC 5280 rules, at the time of a
    /// timestamp whose imprint matches (else now), using the certificates in the signature as
    /// intermediates.
    static func validate(_ report: AuthenticodeReport, bytes: [UInt8], pe: PEFile, roots: [Certificate]) async
        -> AuthenticodeReport
    {
        var report = report
        let chains = signerChains(bytes: bytes, pe: pe)
        for i in report.signatures.indices {
            guard i < chains.count, let leaf = chains[i].leaf else {
                report.signatures[i].trust = TrustResult(
                    trusted: false, chain: [], reason: "signer certificate not found in the signature",
                    validationTime: UTCText.iso8601(secondsSince1970: Int64(Date().timeIntervalSince1970)))
                continue
            }
            let signature = report.signatures[i]
            // Like Windows: the TSA's time when the signature is timestamped, otherwise now. The
            // signingTime attribute is the signer's own claim and is not used.
            let time = signature.timestamps.first(where: { $0.imprintMatches == true })?.time.flatMap(parseTime) ?? Date()
            let timeText = UTCText.iso8601(secondsSince1970: Int64(time.timeIntervalSince1970))
            var verifier = Verifier(rootCertificates: CertificateStore(roots)) {
                RFC5280Policy(fixedExpiryValidationTime: time)
            }
            let outcome = await verifier.validate(leaf: leaf, intermediates: CertificateStore(chains[i].all))
            switch outcome {
            case .validCertificate(let chain):
                report.signatures[i].trust = TrustResult(
                    trusted: true, chain: chain.map { $0.subject.description }, reason: nil, validationTime: timeText)
            case .couldNotValidate(let failures):
                let reason = failures.first.map { "\($0.policyFailureReason)" } ?? "no chain to a trusted root"
                report.signatures[i].trust = TrustResult(trusted: false, chain: [], reason: reason, validationTime: timeText)
            }
        }
        return report
    }

    /// The signer certificate and all certificates of each signature, in the order
    /// ``Authenticode/analyze(_:pe:)`` reports signatures.
    static func signerChains(bytes: [UInt8], pe: PEFile) -> [(leaf: Certificate?, all: [Certificate])] {
        var result: [(leaf: Certificate?, all: [Certificate])] = []
        func walk(_ blob: some Collection<UInt8>, level: Int) {
            guard let signed = try? SignedData(contentInfoDER: blob), signed.contentType == OID.spcIndirectData,
                signed.content.flatMap(Authenticode.Analyzer.digestInfo) != nil
            else { return }
            let signer = signed.signers.first
            result.append((signer.flatMap { signed.certificate(for: $0) }, signed.certificates))
            guard level < Authenticode.maxNestingDepth else { return }
            for attribute in signer?.unsignedAttributes ?? [] where attribute.oid == OID.nestedSignature {
                for value in attribute.values { walk(value.encodedBytes, level: level + 1) }
            }
        }
        for entry in pe.certificateTable?.entries ?? [] where entry.certificateType == 2 {
            guard let der = entry.derLength else { continue }
            walk(bytes[entry.contentOffset..<(entry.contentOffset + der)], level: 0)
        }
        return result
    }

    static func parseTime(_ text: String) -> Date? {
        let parts = text.split(whereSeparator: { "-T:Z".contains($0) }).compactMap { Int($0) }
        guard parts.count == 6 else { return nil }
        var components = DateComponents()
        (components.year, components.month, components.day) = (parts[0], parts[1], parts[2])
        (components.hour, components.minute, components.second) = (parts[3], parts[4], parts[5])
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC") ?? calendar.timeZone
        return calendar.date(from: components)
    }
}
