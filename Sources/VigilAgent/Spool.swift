import Foundation

#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// The agent's outbox: one file per batch (gzip-compressed JSON, exactly the request body), written
/// before it is sent and deleted once the server acknowledged it, so a batch survives a crash, a
/// reboot or a server outage.
///
/// Names are `<sequence>-<batchID>.batch.gz` with a zero-padded, ever-increasing sequence, so the
/// files sort in sending order. A file is written to a temporary name, `fsync`ed, renamed into
/// place and the folder `fsync`ed: a file with the final name is always complete. Leftover
/// temporary files (a crash during the write) are removed on open.
public struct Spool: Sendable {
    public let directory: String
    /// Batches the server refused as malformed are moved here, not resent forever.
    public var rejectedDirectory: String { directory + "/rejected" }

    public struct Entry: Sendable, Hashable {
        public var path: String
        public var sequence: Int64
        public var batchID: String
    }

    public init(directory: String) throws {
        self.directory = directory
        try makePrivateDirectory(directory)
        for name in (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? [] where name.hasPrefix(".tmp-") {
            unlink(directory + "/" + name)
        }
    }

    /// Spooled batches in sending order.
    public func entries() -> [Entry] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        var result: [Entry] = []
        for name in names where name.hasSuffix(".batch.gz") {
            let stem = name.dropLast(".batch.gz".count)
            guard let dash = stem.firstIndex(of: "-"), let seq = Int64(stem[..<dash]) else { continue }
            result.append(Entry(path: directory + "/" + name, sequence: seq, batchID: String(stem[stem.index(after: dash)...])))
        }
        return result.sorted { $0.sequence < $1.sequence }
    }

    /// Writes one batch body durably and returns its entry.
    @discardableResult
    public func append(batchID: String, body: [UInt8]) throws -> Entry {
        guard batchID.allSatisfy({ $0.isHexDigit || $0 == "-" }), !batchID.isEmpty else {
            throw AgentError("refusing to spool a batch with id \(batchID)")
        }
        let sequence = (entries().last?.sequence ?? 0) + 1
        let name = String(format: "%012lld", sequence) + "-" + batchID + ".batch.gz"
        let final = directory + "/" + name
        let temp = directory + "/.tmp-" + UUID().uuidString
        try writeDurably(body, to: temp)
        guard rename(temp, final) == 0 else {
            let code = errno
            unlink(temp)
            throw AgentError("cannot move spooled batch into place: \(String(cString: strerror(code)))")
        }
        syncDirectory(directory)
        return Entry(path: final, sequence: sequence, batchID: batchID)
    }

    public func read(_ entry: Entry) throws -> [UInt8] {
        Array(try Data(contentsOf: URL(fileURLWithPath: entry.path)))
    }

    public func remove(_ entry: Entry) {
        unlink(entry.path)
        syncDirectory(directory)
    }

    /// Moves a batch the server refused to ``rejectedDirectory`` (kept for a person to look at).
    public func reject(_ entry: Entry) {
        try? makePrivateDirectory(rejectedDirectory)
        let target = rejectedDirectory + "/" + (entry.path as NSString).lastPathComponent
        if rename(entry.path, target) != 0 { unlink(entry.path) }
        syncDirectory(directory)
    }

    /// Drops every spooled batch (after a resync they describe a state the server no longer has).
    public func removeAll() {
        for e in entries() { unlink(e.path) }
        syncDirectory(directory)
    }
}

/// Creates `path` (and parents) with mode 0700, and tightens an existing folder to 0700.
func makePrivateDirectory(_ path: String) throws {
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
    guard chmod(path, 0o700) == 0 else {
        throw AgentError("cannot set mode 0700 on \(path): \(String(cString: strerror(errno)))")
    }
}

/// Writes `bytes` to a new file with mode 0600 and `fsync`s it.
func writeDurably(_ bytes: [UInt8], to path: String) throws {
    let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
    guard fd >= 0 else { throw AgentError("cannot create \(path): \(String(cString: strerror(errno)))") }
    defer { close(fd) }
    fchmod(fd, 0o600)
    var offset = 0
    while offset < bytes.count {
        let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + offset, $0.count - offset) }
        if n < 0 {
            if errno == EINTR { continue }
            let code = errno
            unlink(path)
            throw AgentError("cannot write \(path): \(String(cString: strerror(code)))")
        }
        offset += n
    }
    guard fsync(fd) == 0 else {
        let code = errno
        unlink(path)
        throw AgentError("cannot sync \(path): \(String(cString: strerror(code)))")
    }
}

/// Replaces `path` atomically with `bytes` (temp + fsync + rename + folder fsync), mode 0600.
func replaceDurably(_ bytes: [UInt8], at path: String) throws {
    let folder = (path as NSString).deletingLastPathComponent
    let temp = folder + "/.tmp-" + UUID().uuidString
    try writeDurably(bytes, to: temp)
    guard rename(temp, path) == 0 else {
        let code = errno
        unlink(temp)
        throw AgentError("cannot replace \(path): \(String(cString: strerror(code)))")
    }
    syncDirectory(folder)
}

func syncDirectory(_ path: String) {
    let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
    guard fd >= 0 else { return }
    fsync(fd)
    close(fd)
}
