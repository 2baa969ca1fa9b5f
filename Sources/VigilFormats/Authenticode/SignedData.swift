import Crypto
import SwiftASN1
import X509

/// A CMS / PKCS#7 `SignedData` (RFC 5652) as found in Authenticode signatures, Mach-O code
/// signatures and RFC 3161 timestamps.
///
/// The ASN.1 is decoded with swift-asn1 and certificates with swift-certificates. swift-certificates'
/// own CMS types are internal (its `CMSSignature` SPI hides the SignerInfo attributes and the
/// encapsulated content), so this type walks the structure itself and exposes what supply-chain
/// checks need: the encapsulated content, the certificates, and for each signer its identifier,
/// algorithms, signed and unsigned attributes and signature.
///
/// Example (a detached Mach-O CMS blob over a CodeDirectory):
/// ```swift
/// let signed = try SignedData(contentInfoDER: cmsBlob)
/// for signer in signed.signers {
///     let cert = signed.certificate(for: signer)
///     print(cert?.subject.description ?? "unknown signer")
///     print(signed.messageDigestMatches(signer, content: codeDirectoryBytes) ?? false)
///     print(signed.signatureIsValid(signer) ?? false)
/// }
/// ```
public struct SignedData: Sendable, Hashable {
    /// The SignedData version.
    public var version: Int
    /// Dotted OIDs of the digest algorithms listed at the top level.
    public var digestAlgorithms: [String]
    /// Dotted OID of the encapsulated content type (e.g. `1.3.6.1.4.1.311.2.1.4` SpcIndirectDataContent).
    public var contentType: String
    /// The full encoding (tag, length, value) of the element inside `eContent [0]`, or `nil` for
    /// detached content.
    public var content: ArraySlice<UInt8>?
    /// Certificates carried in the `certificates [0]` field, in order.
    public var certificates: [Certificate]
    /// The DER of each certificate in ``certificates`` (for thumbprints).
    public var certificateDER: [[UInt8]]
    /// The SignerInfos.
    public var signers: [SignerInfo]

    /// Parses a `ContentInfo` whose content type is `signedData` (1.2.840.113549.1.7.2).
    ///
    /// Bytes after the first DER element are ignored: a WIN_CERTIFICATE or a Mach-O CMS blob wrapper
    /// often carries zero padding after it. Measure such slack separately (``DERLength``).
    /// - Parameter contentInfoDER: The DER (or BER) bytes of one ContentInfo, possibly followed by padding.
    /// - Throws: ``SignedDataError`` or a swift-asn1 / swift-certificates error when malformed.
    public init(contentInfoDER: some Collection<UInt8>) throws {
        var bytes = Array(contentInfoDER)
        if let length = DERLength.ofFirstElement(bytes, at: 0, limit: bytes.count), length < bytes.count {
            bytes.removeSubrange(length...)
        }
        let root: ASN1Node
        do { root = try DER.parse(bytes) } catch { root = try BER.parse(bytes) }
        let info = try root.children()
        guard info.count >= 2, try ASN1ObjectIdentifier(derEncoded: info[0]).description == OID.signedData else {
            throw SignedDataError("ContentInfo is not signedData")
        }
        guard info[1].identifier == .contextSpecific(0), let signed = try info[1].children().first else {
            throw SignedDataError("ContentInfo has no [0] content")
        }
        try self.init(signedData: signed)
    }

    /// Parses the `SignedData` SEQUENCE itself.
    /// - Parameter node: The SignedData node.
    /// - Throws: ``SignedDataError`` or a swift-asn1 / swift-certificates error when malformed.
    public init(signedData node: ASN1Node) throws {
        var fields = try node.children()[...]
        guard let versionNode = fields.popFirst() else { throw SignedDataError("SignedData is empty") }
        version = try Int(derEncoded: versionNode)
        guard let algorithms = fields.popFirst(), algorithms.identifier == .set else {
            throw SignedDataError("SignedData has no digestAlgorithms SET")
        }
        digestAlgorithms = try algorithms.children().map { try AlgorithmIdentifierNode($0).oid }
        guard let encap = fields.popFirst() else { throw SignedDataError("SignedData has no encapContentInfo") }
        let encapFields = try encap.children()
        guard let typeNode = encapFields.first else { throw SignedDataError("encapContentInfo is empty") }
        contentType = try ASN1ObjectIdentifier(derEncoded: typeNode).description
        if encapFields.count > 1, encapFields[1].identifier == .contextSpecific(0) {
            content = try encapFields[1].children().first?.encodedBytes
        }
        certificates = []
        certificateDER = []
        signers = []
        while let next = fields.popFirst() {
            if next.identifier == .contextSpecific(0) {
                for child in try next.children() where child.identifier == .sequence {
                    let der = Array(child.encodedBytes)
                    certificates.append(try Certificate(derEncoded: der))
                    certificateDER.append(der)
                }
            } else if next.identifier == .contextSpecific(1) {
                continue  // CRLs are not used
            } else if next.identifier == .set {
                signers = try next.children().map { try SignerInfo($0) }
            }
        }
    }

    /// The bytes the `messageDigest` attribute covers for embedded content: the value of the
    /// encapsulated element without its tag and length (the octets of an OCTET STRING, or the body of
    /// Authenticode's SpcIndirectDataContent SEQUENCE).
    public var digestedContent: ArraySlice<UInt8>? {
        content.flatMap { ASN1Bytes.value(of: $0) }
    }

    /// The certificate that `signer` names (issuer + serial number, or subject key identifier).
    public func certificate(for signer: SignerInfo) -> Certificate? {
        certificateIndex(for: signer).map { certificates[$0] }
    }

    /// The index in ``certificates`` of the certificate that `signer` names.
    public func certificateIndex(for signer: SignerInfo) -> Int? {
        certificates.firstIndex { cert in
            if let issuer = signer.issuer, let serial = signer.serialNumber {
                return cert.issuer == issuer && Array(cert.serialNumber.bytes) == Array(serial)
            }
            if let ski = signer.subjectKeyIdentifier,
                let ext = try? cert.extensions.subjectKeyIdentifier
            {
                return Array(ext.keyIdentifier) == Array(ski)
            }
            return false
        }
    }

    /// Whether the signer's `messageDigest` attribute equals the hash of `content` (or of the
    /// embedded ``digestedContent`` when `content` is `nil`). `nil` when it cannot be decided
    /// (no attribute, unknown digest algorithm, no content).
    public func messageDigestMatches(_ signer: SignerInfo, content external: [UInt8]? = nil) -> Bool? {
        guard let expected = signer.messageDigest else { return nil }
        let data = external.map { $0[...] } ?? digestedContent
        guard let data, let actual = DigestAlgorithm(oid: signer.digestAlgorithm)?.hash(data) else { return nil }
        return actual == Array(expected)
    }

    /// Whether the signer's signature over its signed attributes verifies with the public key of the
    /// certificate it names. `nil` when the certificate is missing or the algorithm is unsupported.
    /// This says nothing about whether the certificate is trusted.
    public func signatureIsValid(_ signer: SignerInfo) -> Bool? {
        guard let cert = certificate(for: signer), let signed = signer.signedAttributesForVerification,
            let algorithm = signer.certificateSignatureAlgorithm
        else { return nil }
        return cert.publicKey.isValidSignature(signer.signature, for: signed, signatureAlgorithm: algorithm)
    }
}

/// One SignerInfo of a ``SignedData``.
public struct SignerInfo: Sendable, Hashable {
    /// The SignerInfo version (1 = issuer and serial, 3 = subject key identifier).
    public var version: Int
    /// Issuer of the signing certificate (when identified by issuer and serial number).
    public var issuer: DistinguishedName?
    /// Serial number of the signing certificate (big-endian bytes).
    public var serialNumber: ArraySlice<UInt8>?
    /// Subject key identifier of the signing certificate (when identified that way).
    public var subjectKeyIdentifier: ArraySlice<UInt8>?
    /// Dotted OID of the digest algorithm.
    public var digestAlgorithm: String
    /// Dotted OID of the signature algorithm (often rsaEncryption).
    public var signatureAlgorithm: String
    /// The signature bytes.
    public var signature: ArraySlice<UInt8>
    /// Signed attributes, in order.
    public var signedAttributes: [CMSAttributeValue]
    /// The encoding of the signed attributes as stored (`[0] IMPLICIT`).
    public var signedAttributesEncoded: ArraySlice<UInt8>?
    /// Unsigned attributes (timestamps, nested signatures), in order.
    public var unsignedAttributes: [CMSAttributeValue]

    /// Parses a SignerInfo SEQUENCE.
    /// - Parameter node: The SignerInfo node.
    /// - Throws: When the structure is malformed.
    public init(_ node: ASN1Node) throws {
        var fields = try node.children()[...]
        guard let versionNode = fields.popFirst(), let sid = fields.popFirst(), let digest = fields.popFirst() else {
            throw SignedDataError("SignerInfo is truncated")
        }
        version = try Int(derEncoded: versionNode)
        if sid.identifier == .sequence {
            let parts = try sid.children()
            guard parts.count == 2 else { throw SignedDataError("IssuerAndSerialNumber is malformed") }
            issuer = try DistinguishedName(derEncoded: parts[0])
            serialNumber = try ArraySlice<UInt8>(derEncoded: parts[1])
        } else if sid.identifier == .contextSpecific(0), case .primitive(let bytes) = sid.content {
            subjectKeyIdentifier = bytes
        }
        digestAlgorithm = try AlgorithmIdentifierNode(digest).oid
        signedAttributes = []
        unsignedAttributes = []
        var next = fields.popFirst()
        if let n = next, n.identifier == .contextSpecific(0) {
            signedAttributesEncoded = n.encodedBytes
            signedAttributes = try n.children().map { try CMSAttributeValue($0) }
            next = fields.popFirst()
        }
        guard let algorithmNode = next, let signatureNode = fields.popFirst() else {
            throw SignedDataError("SignerInfo has no signature")
        }
        signatureAlgorithm = try AlgorithmIdentifierNode(algorithmNode).oid
        signature = try ASN1OctetString(derEncoded: signatureNode).bytes
        if let unsigned = fields.popFirst(), unsigned.identifier == .contextSpecific(1) {
            unsignedAttributes = try unsigned.children().map { try CMSAttributeValue($0) }
        }
    }

    /// The first value of signed attribute `oid`.
    public func signedAttribute(_ oid: String) -> ASN1Node? {
        signedAttributes.first { $0.oid == oid }?.values.first
    }

    /// The `messageDigest` signed attribute (1.2.840.113549.1.9.4).
    public var messageDigest: ArraySlice<UInt8>? {
        signedAttribute(OID.messageDigest).flatMap { try? ASN1OctetString(derEncoded: $0).bytes }
    }

    /// The `signingTime` signed attribute (1.2.840.113549.1.9.5) as `YYYY-MM-DDTHH:MM:SSZ`.
    public var signingTime: String? {
        signedAttribute(OID.signingTime).flatMap(ASN1Time.iso8601)
    }

    /// The signed attributes re-tagged as a SET (0x31), which is what the signature covers.
    public var signedAttributesForVerification: [UInt8]? {
        guard var bytes = signedAttributesEncoded.map(Array.init), !bytes.isEmpty else { return nil }
        bytes[0] = 0x31
        return bytes
    }

    /// The swift-certificates signature algorithm for this signer's digest + signature OIDs.
    public var certificateSignatureAlgorithm: Certificate.SignatureAlgorithm? {
        switch (signatureAlgorithm, DigestAlgorithm(oid: digestAlgorithm)) {
        case ("1.2.840.113549.1.1.5", _), (OID.rsaEncryption, .sha1): .sha1WithRSAEncryption
        case ("1.2.840.113549.1.1.11", _), (OID.rsaEncryption, .sha256): .sha256WithRSAEncryption
        case ("1.2.840.113549.1.1.12", _), (OID.rsaEncryption, .sha384): .sha384WithRSAEncryption
        case ("1.2.840.113549.1.1.13", _), (OID.rsaEncryption, .sha512): .sha512WithRSAEncryption
        case ("1.2.840.10045.4.3.2", _), (OID.ecPublicKey, .sha256): .ecdsaWithSHA256
        case ("1.2.840.10045.4.3.3", _), (OID.ecPublicKey, .sha384): .ecdsaWithSHA384
        case ("1.2.840.10045.4.3.4", _), (OID.ecPublicKey, .sha512): .ecdsaWithSHA512
        default: nil
        }
    }
}

/// A CMS attribute: its type OID and its values (still encoded).
public struct CMSAttributeValue: Sendable, Hashable {
    /// Dotted OID of the attribute type.
    public var oid: String
    /// The values of the SET, as ASN.1 nodes.
    public var values: [ASN1Node]

    /// Parses an `Attribute ::= SEQUENCE { attrType OID, attrValues SET OF ANY }`.
    /// - Parameter node: The attribute node.
    /// - Throws: When malformed.
    public init(_ node: ASN1Node) throws {
        let parts = try node.children()
        guard parts.count == 2 else { throw SignedDataError("attribute is malformed") }
        oid = try ASN1ObjectIdentifier(derEncoded: parts[0]).description
        values = try parts[1].children()
    }
}

/// Why a CMS structure could not be read.
public struct SignedDataError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What is wrong.
    public var message: String
    /// Creates an error.
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// Object identifiers used by CMS, Authenticode and RFC 3161.
public enum OID {
    public static let signedData = "1.2.840.113549.1.7.2"
    public static let data = "1.2.840.113549.1.7.1"
    public static let contentType = "1.2.840.113549.1.9.3"
    public static let messageDigest = "1.2.840.113549.1.9.4"
    public static let signingTime = "1.2.840.113549.1.9.5"
    public static let counterSignature = "1.2.840.113549.1.9.6"
    public static let tstInfo = "1.2.840.113549.1.9.16.1.4"
    public static let rsaEncryption = "1.2.840.113549.1.1.1"
    public static let ecPublicKey = "1.2.840.10045.2.1"
    /// Authenticode SpcIndirectDataContent.
    public static let spcIndirectData = "1.3.6.1.4.1.311.2.1.4"
    /// Authenticode SpcPeImageData.
    public static let spcPEImageData = "1.3.6.1.4.1.311.2.1.15"
    /// Authenticode SpcSpOpusInfo (program name and URL).
    public static let spcSpOpusInfo = "1.3.6.1.4.1.311.2.1.12"
    /// Microsoft nested signature (unauthenticated attribute).
    public static let nestedSignature = "1.3.6.1.4.1.311.2.4.1"
    /// Microsoft RFC 3161 timestamp (unauthenticated attribute).
    public static let rfc3161Timestamp = "1.3.6.1.4.1.311.3.3.1"
}

/// Digest algorithms known to Authenticode and CMS, computed with swift-crypto.
public enum DigestAlgorithm: String, Codable, Sendable, Hashable, CaseIterable {
    case md5, sha1, sha256, sha384, sha512

    /// The algorithm for a dotted OID, or `nil` when unknown.
    public init?(oid: String) {
        switch oid {
        case "1.2.840.113549.2.5": self = .md5
        case "1.3.14.3.2.26": self = .sha1
        case "2.16.840.1.101.3.4.2.1": self = .sha256
        case "2.16.840.1.101.3.4.2.2": self = .sha384
        case "2.16.840.1.101.3.4.2.3": self = .sha512
        default: return nil
        }
    }

    /// The digest of `data`.
    public func hash(_ data: some Collection<UInt8>) -> [UInt8] {
        var h = IncrementalDigest(self)
        h.update(Array(data))
        return h.finalize()
    }
}

/// A running hash of any ``DigestAlgorithm``.
public struct IncrementalDigest: Sendable {
    enum State: Sendable {
        case md5(Insecure.MD5), sha1(Insecure.SHA1), sha256(SHA256), sha384(SHA384), sha512(SHA512)
    }
    var state: State

    /// Starts a hash.
    public init(_ algorithm: DigestAlgorithm) {
        switch algorithm {
        case .md5: state = .md5(Insecure.MD5())
        case .sha1: state = .sha1(Insecure.SHA1())
        case .sha256: state = .sha256(SHA256())
        case .sha384: state = .sha384(SHA384())
        case .sha512: state = .sha512(SHA512())
        }
    }

    /// Adds bytes.
    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        switch state {
        case .md5(var h): h.update(bufferPointer: bytes); state = .md5(h)
        case .sha1(var h): h.update(bufferPointer: bytes); state = .sha1(h)
        case .sha256(var h): h.update(bufferPointer: bytes); state = .sha256(h)
        case .sha384(var h): h.update(bufferPointer: bytes); state = .sha384(h)
        case .sha512(var h): h.update(bufferPointer: bytes); state = .sha512(h)
        }
    }

    /// Adds bytes.
    public mutating func update(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { update($0) }
    }

    /// The digest.
    public func finalize() -> [UInt8] {
        switch state {
        case .md5(let h): Array(h.finalize())
        case .sha1(let h): Array(h.finalize())
        case .sha256(let h): Array(h.finalize())
        case .sha384(let h): Array(h.finalize())
        case .sha512(let h): Array(h.finalize())
        }
    }
}

/// `AlgorithmIdentifier ::= SEQUENCE { algorithm OID, parameters ANY OPTIONAL }`.
struct AlgorithmIdentifierNode {
    var oid: String
    init(_ node: ASN1Node) throws {
        guard let first = try node.children().first else { throw SignedDataError("empty AlgorithmIdentifier") }
        oid = try ASN1ObjectIdentifier(derEncoded: first).description
    }
}

extension ASN1Node {
    /// The children of a constructed node.
    func children() throws -> [ASN1Node] {
        guard case .constructed(let nodes) = content else { throw SignedDataError("expected a constructed element") }
        return Array(nodes)
    }
}

extension ASN1Identifier {
    /// A context-specific tag `[n]` (constructed or not; swift-asn1 compares number and class only).
    static func contextSpecific(_ n: UInt) -> ASN1Identifier { ASN1Identifier(tagWithNumber: n, tagClass: .contextSpecific) }
}

/// Helpers over raw encoded bytes.
enum ASN1Bytes {
    /// The value octets of an encoded element (its bytes without the tag and length header).
    static func value(of encoded: ArraySlice<UInt8>) -> ArraySlice<UInt8>? {
        var p = encoded.startIndex
        guard p < encoded.endIndex else { return nil }
        if encoded[p] & 0x1F == 0x1F {
            p += 1
            while p < encoded.endIndex, encoded[p] & 0x80 != 0 { p += 1 }
        }
        p += 1
        guard p < encoded.endIndex else { return nil }
        let first = encoded[p]
        p += 1
        if first >= 0x80 { p += Int(first & 0x7F) }
        guard p <= encoded.endIndex else { return nil }
        return encoded[p...]
    }
}

/// UTCTime / GeneralizedTime to text.
enum ASN1Time {
    static func iso8601(_ node: ASN1Node) -> String? {
        func text(_ y: Int, _ mo: Int, _ d: Int, _ h: Int, _ mi: Int, _ s: Int) -> String {
            func two(_ v: Int) -> String { v < 10 ? "0\(v)" : "\(v)" }
            return "\(y)-\(two(mo))-\(two(d))T\(two(h)):\(two(mi)):\(two(s))Z"
        }
        if node.identifier == .utcTime, let t = try? UTCTime(derEncoded: node) {
            return text(t.year, t.month, t.day, t.hours, t.minutes, t.seconds)
        }
        if node.identifier == .generalizedTime,
            let t = (try? GeneralizedTime(derEncoded: node)) ?? (try? GeneralizedTime(berEncoded: node))
        {
            return text(t.year, t.month, t.day, t.hours, t.minutes, t.seconds)
        }
        return nil
    }
}
