import Crypto

/// The digests of one file, in lowercase hex. SHA-256 is always computed (it names the file in every
/// report); MD5 and SHA-1 only when a loaded indicator of that kind could match, or for a hit.
public struct FileHashes: Sendable, Hashable, Codable {
    public var md5: String?
    public var sha1: String?
    public var sha256: String

    public init(md5: String? = nil, sha1: String? = nil, sha256: String) {
        self.md5 = md5
        self.sha1 = sha1
        self.sha256 = sha256
    }

    /// The same hashes with MD5 and SHA-1 filled in from `bytes` where they were not computed during
    /// the read (used for hash hits, whose evidence always carries all three).
    func completed(from bytes: [UInt8]) -> FileHashes {
        guard md5 == nil || sha1 == nil else { return self }
        var copy = self
        let missing: ExtraDigests = [copy.md5 == nil ? .md5 : [], copy.sha1 == nil ? .sha1 : []]
        var hasher = MultiHasher(extra: missing)
        bytes.withUnsafeBytes { hasher.update($0) }
        let fresh = hasher.finalize()
        copy.md5 = copy.md5 ?? fresh.md5
        copy.sha1 = copy.sha1 ?? fresh.sha1
        return copy
    }
}

/// The digests beyond SHA-256 that a sweep computes while reading.
public struct ExtraDigests: OptionSet, Sendable, Hashable {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    public static let md5 = ExtraDigests(rawValue: 1)
    public static let sha1 = ExtraDigests(rawValue: 2)
}

/// Feeds SHA-256 and the requested extra digests from the chunks of one read, so each byte is hashed
/// while still in cache.
struct MultiHasher {
    private var md5: Insecure.MD5?
    private var sha1: Insecure.SHA1?
    private var sha256 = SHA256()

    init(extra: ExtraDigests) {
        md5 = extra.contains(.md5) ? Insecure.MD5() : nil
        sha1 = extra.contains(.sha1) ? Insecure.SHA1() : nil
    }

    mutating func update(_ chunk: UnsafeRawBufferPointer) {
        md5?.update(bufferPointer: chunk)
        sha1?.update(bufferPointer: chunk)
        sha256.update(bufferPointer: chunk)
    }

    consuming func finalize() -> FileHashes {
        FileHashes(md5: md5.map { hex($0.finalize()) }, sha1: sha1.map { hex($0.finalize()) }, sha256: hex(sha256.finalize()))
    }
}

private func hex(_ digest: some Sequence<UInt8>) -> String {
    let digits = Array("0123456789abcdef".utf8)
    var out: [UInt8] = []
    out.reserveCapacity(64)
    for b in digest {
        out.append(digits[Int(b >> 4)])
        out.append(digits[Int(b & 0x0F)])
    }
    return String(decoding: out, as: UTF8.self)
}
