/// What Vigil found in a PE file's Authenticode signatures.
public struct AuthenticodeReport: Codable, Sendable, Hashable {
    /// Every signature: one per WIN_CERTIFICATE of type PKCS_SIGNED_DATA, plus nested signatures
    /// (with ``AuthenticodeSignature/nestingLevel`` > 0).
    public var signatures: [AuthenticodeSignature]
    /// The Authenticode image digest Vigil computed, per algorithm used by a signature (hex).
    public var computedDigests: [String: String]
    /// Problems parsing the signatures.
    public var issues: [FormatIssue]

    /// Creates a report.
    public init(signatures: [AuthenticodeSignature], computedDigests: [String: String], issues: [FormatIssue]) {
        self.signatures = signatures
        self.computedDigests = computedDigests
        self.issues = issues
    }

    /// A one-line verdict without chain validation: "signed by X, digest matches" and no more.
    public var summary: String {
        guard let first = signatures.first else { return "not signed" }
        let who = first.signer?.subject ?? first.signerIssuer.map { "a certificate issued by \($0)" } ?? "an unknown signer"
        let digest: String
        switch first.digestMatches {
        case true: digest = "digest matches"
        case false: digest = "digest DOES NOT match (file modified after signing)"
        }
        var text = "signed by \(who), \(digest)"
        if first.signatureValid == false { text += ", signer's signature over the attributes is INVALID" }
        if signatures.count > 1 { text += " (\(signatures.count) signatures)" }
        return text
    }
}

/// One Authenticode signature.
public struct AuthenticodeSignature: Codable, Sendable, Hashable {
    /// Index of the WIN_CERTIFICATE entry holding it.
    public var certificateEntry: Int
    /// 0 for a top-level signature, 1 for a signature nested in it, and so on.
    public var nestingLevel: Int
    /// Digest algorithm of the image digest (`sha256`, `sha1`…; the OID when unknown).
    public var digestAlgorithm: String
    /// The image digest the signer signed (hex, from SpcIndirectDataContent).
    public var signedDigest: String
    /// The image digest Vigil computed with the same algorithm (hex), if the algorithm is known.
    public var computedDigest: String?
    /// Whether ``signedDigest`` equals ``computedDigest``.
    public var digestMatches: Bool
    /// Whether the signer's RSA/ECDSA signature over the signed attributes verifies with its
    /// certificate's key and the `messageDigest` attribute matches the signed content. `nil` when it
    /// could not be checked. Not a trust decision.
    public var signatureValid: Bool?
    /// The signing certificate.
    public var signer: CertificateSummary?
    /// Issuer named in the SignerInfo (RFC 4514).
    public var signerIssuer: String?
    /// Serial number named in the SignerInfo (hex).
    public var signerSerialNumber: String?
    /// The `signingTime` signed attribute, if any (`YYYY-MM-DDTHH:MM:SSZ`).
    public var signingTime: String?
    /// Program name from SpcSpOpusInfo, if any.
    public var programName: String?
    /// Timestamps (RFC 3161 or legacy countersignature).
    public var timestamps: [AuthenticodeTimestamp]
    /// All certificates carried in the signature.
    public var certificates: [CertificateSummary]
    /// Chain validation against a trust store, when one was requested.
    public var trust: TrustResult?

    /// Creates a signature description.
    public init(
        certificateEntry: Int, nestingLevel: Int, digestAlgorithm: String, signedDigest: String,
        computedDigest: String?, digestMatches: Bool, signatureValid: Bool?, signer: CertificateSummary?,
        signerIssuer: String?, signerSerialNumber: String?, signingTime: String?, programName: String?,
        timestamps: [AuthenticodeTimestamp], certificates: [CertificateSummary], trust: TrustResult? = nil
    ) {
        self.certificateEntry = certificateEntry
        self.nestingLevel = nestingLevel
        self.digestAlgorithm = digestAlgorithm
        self.signedDigest = signedDigest
        self.computedDigest = computedDigest
        self.digestMatches = digestMatches
        self.signatureValid = signatureValid
        self.signer = signer
        self.signerIssuer = signerIssuer
        self.signerSerialNumber = signerSerialNumber
        self.signingTime = signingTime
        self.programName = programName
        self.timestamps = timestamps
        self.certificates = certificates
        self.trust = trust
    }
}

/// A timestamp on a signature.
public struct AuthenticodeTimestamp: Codable, Sendable, Hashable {
    /// `rfc3161` (Microsoft attribute 1.3.6.1.4.1.311.3.3.1) or `countersignature` (PKCS#9).
    public var kind: String
    /// The time asserted by the timestamp authority (`YYYY-MM-DDTHH:MM:SSZ`).
    public var time: String?
    /// The timestamp authority's certificate.
    public var signer: CertificateSummary?
    /// Whether the timestamp's message imprint equals the hash of the signature it stamps.
    public var imprintMatches: Bool?
    /// Whether the TSA's signature over its attributes verifies with its certificate.
    public var signatureValid: Bool?

    /// Creates a timestamp description.
    public init(kind: String, time: String?, signer: CertificateSummary?, imprintMatches: Bool?, signatureValid: Bool?) {
        self.kind = kind
        self.time = time
        self.signer = signer
        self.imprintMatches = imprintMatches
        self.signatureValid = signatureValid
    }
}

/// The facts about one X.509 certificate that reports need.
public struct CertificateSummary: Codable, Sendable, Hashable {
    /// Subject (RFC 4514 text).
    public var subject: String
    /// Issuer (RFC 4514 text).
    public var issuer: String
    /// Serial number (hex).
    public var serialNumber: String
    /// SHA-1 of the DER (the "thumbprint" Windows shows).
    public var sha1Thumbprint: String
    /// SHA-256 of the DER.
    public var sha256Thumbprint: String
    /// Validity start (`YYYY-MM-DDTHH:MM:SSZ`).
    public var notBefore: String
    /// Validity end.
    public var notAfter: String

    /// Creates a summary.
    public init(
        subject: String, issuer: String, serialNumber: String, sha1Thumbprint: String, sha256Thumbprint: String,
        notBefore: String, notAfter: String
    ) {
        self.subject = subject
        self.issuer = issuer
        self.serialNumber = serialNumber
        self.sha1Thumbprint = sha1Thumbprint
        self.sha256Thumbprint = sha256Thumbprint
        self.notBefore = notBefore
        self.notAfter = notAfter
    }
}

/// The result of validating a signer's chain against a trust store.
public struct TrustResult: Codable, Sendable, Hashable {
    /// Whether a chain to one of the trusted roots was found and validated.
    public var trusted: Bool
    /// Subjects of the validated chain, leaf first (empty when not trusted).
    public var chain: [String]
    /// Why validation failed, when it did.
    public var reason: String?
    /// The time the chain was validated at (a matching timestamp's time, else now).
    public var validationTime: String

    /// Creates a result.
    public init(trusted: Bool, chain: [String], reason: String?, validationTime: String) {
        self.trusted = trusted
        self.chain = chain
        self.reason = reason
        self.validationTime = validationTime
    }
}

/// Text helpers.
enum Hex {
    static func string(_ bytes: some Sequence<UInt8>) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        for b in bytes {
            out.append(digits[Int(b >> 4)])
            out.append(digits[Int(b & 0xF)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}

/// UTC timestamps as `YYYY-MM-DDTHH:MM:SSZ` without Foundation formatters.
enum UTCText {
    static func iso8601(secondsSince1970 t: Int64) -> String {
        let days = t >= 0 ? t / 86_400 : (t - 86_399) / 86_400
        let secs = t - days * 86_400
        // Howard Hinnant's civil-from-days.
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        let y = yoe + era * 400 + (m <= 2 ? 1 : 0)
        func two(_ v: Int64) -> String { v < 10 ? "0\(v)" : "\(v)" }
        return "\(y)-\(two(m))-\(two(d))T\(two(secs / 3600)):\(two(secs % 3600 / 60)):\(two(secs % 60))Z"
    }
}
