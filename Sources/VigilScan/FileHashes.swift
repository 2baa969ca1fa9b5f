import Crypto

/// MD5, SHA-1 and SHA-256 of one file, in lowercase hex.
public struct FileHashes: Sendable, Hashable, Codable {
    public var md5: String
    public var sha1: String
    public var sha256: String
}

/// Feeds the three digests from the chunks of one read, so each byte is hashed while still in cache.
struct MultiHasher {
    private var md5 = Insecure.MD5()
    private var sha1 = Insecure.SHA1()
    private var sha256 = SHA256()

    mutating func update(_ chunk: UnsafeRawBufferPointer) {
        md5.update(bufferPointer: chunk)
        sha1.update(bufferPointer: chunk)
        sha256.update(bufferPointer: chunk)
    }

    consuming func finalize() -> FileHashes {
        FileHashes(md5: hex(md5.finalize()), sha1: hex(sha1.finalize()), sha256: hex(sha256.finalize()))
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
