import Crypto
import Foundation
import SwiftASN1
import X509

/// Reads the Authenticode signatures of a PE file and checks their image digests.
///
/// Without a trust store this answers only "signed by X, digest matches": the signer's identity
/// as written in the signature, whether the signed digest equals the digest of the file, and whether
/// the signer's signature is mathematically valid for its own certificate.
public enum Authenticode {
    /// Nested signatures are followed this deep.
    public static let maxNestingDepth = 4

    /// Analyses every PKCS_SIGNED_DATA WIN_CERTIFICATE of `pe`.
    /// - Parameters:
    ///   - bytes: The whole file.
    ///   - pe: The file parsed by ``PEParser``.
    /// - Returns: The report, or `nil` when the file has no certificate table.
    public static func analyze(_ bytes: [UInt8], pe: PEFile) -> AuthenticodeReport? {
        guard let table = pe.certificateTable, !table.entries.isEmpty else { return nil }
        var analyzer = Analyzer(bytes: bytes, pe: pe)
        for (index, entry) in table.entries.enumerated() {
            guard entry.certificateType == 2 else {
                analyzer.issues.append(
                    FormatIssue(
                        area: "authenticode", offset: entry.offset,
                        message: "WIN_CERTIFICATE \(index) has type \(entry.certificateType), not PKCS_SIGNED_DATA (2)"))
                continue
            }
            guard let der = entry.derLength else { continue }
            let blob = bytes[entry.contentOffset..<(entry.contentOffset + der)]
            analyzer.signature(blob, entry: index, level: 0, offset: entry.contentOffset)
        }
        return AuthenticodeReport(
            signatures: analyzer.signatures,
            computedDigests: analyzer.digests.reduce(into: [:]) { $0[$1.key.rawValue] = Hex.string($1.value) },
            issues: analyzer.issues)
    }

    struct Analyzer {
        let bytes: [UInt8]
        let pe: PEFile
        var signatures: [AuthenticodeSignature] = []
        var issues: [FormatIssue] = []
        var digests: [DigestAlgorithm: [UInt8]] = [:]

        mutating func digest(_ algorithm: DigestAlgorithm) -> [UInt8]? {
            if let d = digests[algorithm] { return d }
            let d = AuthenticodeDigest.compute(bytes, pe: pe, algorithm: algorithm)
            digests[algorithm] = d
            return d
        }

        mutating func signature(_ blob: some Collection<UInt8>, entry: Int, level: Int, offset: Int) {
            let signed: SignedData
            do {
                signed = try SignedData(contentInfoDER: blob)
            } catch {
                issues.append(FormatIssue(area: "authenticode", offset: offset, message: "PKCS#7 SignedData does not parse: \(error)"))
                return
            }
            guard signed.contentType == OID.spcIndirectData, let indirect = signed.content,
                let (algorithmOID, signedDigest) = Self.digestInfo(indirect)
            else {
                issues.append(
                    FormatIssue(area: "authenticode", offset: offset, message: "content is not an SpcIndirectDataContent with a DigestInfo"))
                return
            }
            let algorithm = DigestAlgorithm(oid: algorithmOID)
            let computed = algorithm.flatMap { digest($0) }
            let signerInfo = signed.signers.first
            let certificate = signerInfo.flatMap { signed.certificate(for: $0) }
            var valid: Bool?
            if let signerInfo {
                let digestOK = signed.messageDigestMatches(signerInfo)
                let signatureOK = signed.signatureIsValid(signerInfo)
                if let digestOK, let signatureOK { valid = digestOK && signatureOK } else if digestOK == false || signatureOK == false { valid = false }
            }
            var nested: [(ASN1Node, Int)] = []
            var timestamps: [AuthenticodeTimestamp] = []
            for attribute in signerInfo?.unsignedAttributes ?? [] {
                switch attribute.oid {
                case OID.nestedSignature:
                    for value in attribute.values { nested.append((value, offset)) }
                case OID.rfc3161Timestamp:
                    for value in attribute.values {
                        timestamps.append(Self.rfc3161(value, stamping: signerInfo?.signature ?? []))
                    }
                case OID.counterSignature:
                    for value in attribute.values {
                        timestamps.append(Self.counterSignature(value, outer: signed, stamping: signerInfo?.signature ?? []))
                    }
                default: break
                }
            }
            signatures.append(
                AuthenticodeSignature(
                    certificateEntry: entry, nestingLevel: level,
                    digestAlgorithm: algorithm?.rawValue ?? algorithmOID, signedDigest: Hex.string(signedDigest),
                    computedDigest: computed.map { Hex.string($0) }, digestMatches: computed.map { $0 == Array(signedDigest) } ?? false,
                    signatureValid: valid, signer: certificate.map { Self.summary($0, der: nil, signed: signed) },
                    signerIssuer: signerInfo?.issuer?.description,
                    signerSerialNumber: signerInfo?.serialNumber.map { Hex.string($0) },
                    signingTime: signerInfo?.signingTime, programName: signerInfo.flatMap(Self.programName),
                    timestamps: timestamps,
                    certificates: signed.certificates.indices.map {
                        Self.summary(signed.certificates[$0], der: signed.certificateDER[$0], signed: nil)
                    }))
            guard level < Authenticode.maxNestingDepth else {
                if !nested.isEmpty {
                    issues.append(FormatIssue(area: "authenticode", offset: offset, message: "nested signatures deeper than \(Authenticode.maxNestingDepth) were not read"))
                }
                return
            }
            for (node, o) in nested { signature(node.encodedBytes, entry: entry, level: level + 1, offset: o) }
        }

        /// `SpcIndirectDataContent ::= SEQUENCE { data SpcAttributeTypeAndOptionalValue, messageDigest DigestInfo }`.
        static func digestInfo(_ encoded: ArraySlice<UInt8>) -> (String, ArraySlice<UInt8>)? {
            guard let node = try? DER.parse(encoded), let parts = try? node.children(), parts.count == 2,
                let digestInfo = try? parts[1].children(), digestInfo.count == 2,
                let algorithm = try? AlgorithmIdentifierNode(digestInfo[0]).oid,
                let digest = try? ASN1OctetString(derEncoded: digestInfo[1]).bytes
            else { return nil }
            return (algorithm, digest)
        }

        /// `SpcSpOpusInfo ::= SEQUENCE { programName [0] EXPLICIT SpcString OPTIONAL, moreInfo [1] … }`,
        /// `SpcString ::= CHOICE { unicode [0] IMPLICIT BMPString, ascii [1] IMPLICIT IA5String }`.
        static func programName(_ signer: SignerInfo) -> String? {
            guard let opus = signer.signedAttribute(OID.spcSpOpusInfo), let fields = try? opus.children(),
                let program = fields.first(where: { $0.identifier == .contextSpecific(0) }),
                let choice = try? program.children().first, case .primitive(let raw) = choice.content
            else { return nil }
            if choice.identifier.tagNumber == 0 {
                var units: [UInt16] = []
                var i = raw.startIndex
                while i + 1 < raw.endIndex {
                    units.append(UInt16(raw[i]) << 8 | UInt16(raw[i + 1]))
                    i += 2
                }
                return String(decoding: units, as: UTF16.self)
            }
            return String(decoding: raw, as: UTF8.self)
        }

        static func summary(_ cert: Certificate, der: [UInt8]?, signed: SignedData?) -> CertificateSummary {
            var encoded = der ?? []
            if encoded.isEmpty, let signed, let i = signed.certificates.firstIndex(of: cert) { encoded = signed.certificateDER[i] }
            if encoded.isEmpty {
                var serializer = DER.Serializer()
                if (try? serializer.serialize(cert)) != nil { encoded = serializer.serializedBytes }
            }
            return CertificateSummary(
                subject: cert.subject.description, issuer: cert.issuer.description,
                serialNumber: Hex.string(cert.serialNumber.bytes),
                sha1Thumbprint: Hex.string(Insecure.SHA1.hash(data: encoded)),
                sha256Thumbprint: Hex.string(SHA256.hash(data: encoded)),
                notBefore: Self.text(cert.notValidBefore), notAfter: Self.text(cert.notValidAfter))
        }

        static func text(_ date: Date) -> String { UTCText.iso8601(secondsSince1970: Int64(date.timeIntervalSince1970)) }

        /// Microsoft's RFC 3161 attribute: a ContentInfo(SignedData) whose content is a TSTInfo.
        static func rfc3161(_ node: ASN1Node, stamping signature: ArraySlice<UInt8>) -> AuthenticodeTimestamp {
            guard let token = try? SignedData(contentInfoDER: node.encodedBytes), token.contentType == OID.tstInfo,
                let octets = token.content.flatMap({ try? ASN1OctetString(derEncoded: DER.parse($0)).bytes }),
                let tst = try? DER.parse(octets), let fields = try? tst.children(), fields.count >= 5
            else {
                return AuthenticodeTimestamp(kind: "rfc3161", time: nil, signer: nil, imprintMatches: nil, signatureValid: nil)
            }
            // TSTInfo ::= SEQUENCE { version, policy, messageImprint, serialNumber, genTime, … }
            var imprintMatches: Bool?
            if let imprint = try? fields[2].children(), imprint.count == 2,
                let algorithm = (try? AlgorithmIdentifierNode(imprint[0]).oid).flatMap(DigestAlgorithm.init(oid:)),
                let hashed = try? ASN1OctetString(derEncoded: imprint[1]).bytes
            {
                imprintMatches = algorithm.hash(signature) == Array(hashed)
            }
            let signer = token.signers.first
            let cert = signer.flatMap { token.certificate(for: $0) }
            var valid: Bool?
            if let signer, let a = token.messageDigestMatches(signer), let b = token.signatureIsValid(signer) { valid = a && b }
            return AuthenticodeTimestamp(
                kind: "rfc3161", time: ASN1Time.iso8601(fields[4]),
                signer: cert.map { summary($0, der: nil, signed: token) }, imprintMatches: imprintMatches,
                signatureValid: valid)
        }

        /// PKCS#9 countersignature: a SignerInfo whose messageDigest covers the outer signature.
        static func counterSignature(_ node: ASN1Node, outer: SignedData, stamping signature: ArraySlice<UInt8>)
            -> AuthenticodeTimestamp
        {
            guard let counter = try? SignerInfo(node) else {
                return AuthenticodeTimestamp(kind: "countersignature", time: nil, signer: nil, imprintMatches: nil, signatureValid: nil)
            }
            let cert = outer.certificate(for: counter)
            let matches = outer.messageDigestMatches(counter, content: Array(signature))
            let valid = outer.signatureIsValid(counter)
            return AuthenticodeTimestamp(
                kind: "countersignature", time: counter.signingTime, signer: cert.map { summary($0, der: nil, signed: outer) },
                imprintMatches: matches, signatureValid: valid)
        }
    }
}
