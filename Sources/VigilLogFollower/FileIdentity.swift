#if canImport(Glibc)
@preconcurrency import Glibc
#elseif canImport(Musl)
@preconcurrency import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import Crypto
import VigilHunt

/// What `stat(2)` says about a file.
struct FileFacts: Sendable, Hashable {
    var device: UInt64
    var inode: UInt64
    var size: Int64
    /// Modification time, epoch seconds.
    var modified: Double
    var regular: Bool

    static func of(_ path: String) -> FileFacts? {
        var st = stat()
        guard lstat(path, &st) == 0 else { return nil }
        #if canImport(Darwin)
        let mtime = Double(st.st_mtimespec.tv_sec) + Double(st.st_mtimespec.tv_nsec) / 1e9
        #else
        let mtime = Double(st.st_mtim.tv_sec) + Double(st.st_mtim.tv_nsec) / 1e9
        #endif
        return FileFacts(
            device: UInt64(truncatingIfNeeded: st.st_dev), inode: UInt64(truncatingIfNeeded: st.st_ino), size: Int64(st.st_size), modified: mtime,
            regular: st.st_mode & S_IFMT == S_IFREG)
    }
}

/// A log file's identity, stable when rotation renames the file: the device and inode, plus a
/// digest of the first ``prefixLength`` bytes of its log text (decompressed for gzip), so a reused
/// inode holding other content is a new file.
///
/// The digest alone (``contentDigest``) recognises the same log under another inode: the `.gz`
/// that rotation made of a file already read, or a copy.
public struct LogFileIdentity: Sendable, Hashable, CustomStringConvertible {
    /// Bytes of log text the content digest covers.
    public static let prefixLength = 1024

    public var device: UInt64
    public var inode: UInt64
    public var gzip: Bool
    /// Hex SHA-256 (first 128 bits) of the first `min(prefixLength, text length)` bytes of the text.
    public var contentDigest: String
    /// True when the digest covers a full ``prefixLength`` bytes (it will not change as the file grows).
    public var complete: Bool

    /// `dev:inode:digest`, with a `gz:` prefix for gzip files: ``LogCursor/fileIdentity``.
    public var description: String { (gzip ? "gz:" : "") + "\(device):\(inode):\(contentDigest)" }

    /// The content digest inside a ``description`` (the part after the last colon).
    static func contentDigest(of identity: String) -> Substring {
        identity.lastIndex(of: ":").map { identity[identity.index(after: $0)...] } ?? Substring(identity)
    }

    /// Reads the first bytes of `path` and computes its identity.
    /// - Throws: ``LogReadError`` when the file cannot be read or its gzip stream is damaged
    ///   before the first ``prefixLength`` bytes.
    static func of(path: String, facts: FileFacts) throws(LogReadError) -> LogFileIdentity {
        var prefix: [UInt8] = []
        prefix.reserveCapacity(prefixLength)
        var reader = LineReader()
        reader.chunkSize = 64 << 10
        var failure: LogReadError?
        do {
            try reader.forEachChunk(path: path, from: 0) { chunk in
                prefix.append(contentsOf: chunk.prefix(prefixLength - prefix.count))
                return prefix.count < prefixLength
            }
        } catch let e as LogReadError {
            failure = e
        } catch {
            failure = LogReadError(path: path, message: "\(error)")
        }
        // A damaged gzip stream that still gave a full prefix keeps its identity (the damage is
        // reported when the file is read); one that did not has none.
        if let failure, prefix.count < prefixLength { throw failure }
        let digest = hex(SHA256.hash(data: prefix).prefix(16))
        return LogFileIdentity(
            device: facts.device, inode: facts.inode, gzip: LineReader.isGzip(path: path), contentDigest: digest,
            complete: prefix.count == prefixLength)
    }
}

/// Lowercase hex of bytes.
func hex(_ bytes: some Sequence<UInt8>) -> String {
    let digits = Array("0123456789abcdef".utf8)
    var out: [UInt8] = []
    for b in bytes {
        out.append(digits[Int(b >> 4)])
        out.append(digits[Int(b & 15)])
    }
    return String(decoding: out, as: UTF8.self)
}
