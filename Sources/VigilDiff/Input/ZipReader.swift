#if canImport(Glibc)
    @preconcurrency import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif
import VigilGzip

/// Random access to the bytes of an archive: in memory (a nested archive) or a file read with
/// `pread` (a top-level release, which is never loaded whole).
protocol ByteSource {
    var count: Int { get }
    /// Exactly `length` bytes at `offset`; the caller checks the range first.
    func bytes(at offset: Int, length: Int) throws -> [UInt8]
}

extension Array: ByteSource where Element == UInt8 {
    func bytes(at offset: Int, length: Int) throws -> [UInt8] { Array(self[offset..<offset + length]) }
}

/// A regular file opened for reading; closed on deinit.
final class FileBytes: ByteSource {
    let fd: Int32
    let count: Int
    let path: String

    init(fd: Int32, count: Int, path: String) {
        self.fd = fd
        self.count = count
        self.path = path
    }

    deinit { close(fd) }

    func bytes(at offset: Int, length: Int) throws -> [UInt8] {
        var out = [UInt8](repeating: 0, count: length)
        var done = 0
        while done < length {
            let n = out.withUnsafeMutableBytes { pread(fd, $0.baseAddress! + done, length - done, off_t(offset + done)) }
            if n < 0, errno == EINTR { continue }
            guard n > 0 else { throw ReleaseError.unreadable(path: path, reason: "read failed at offset \(offset + done)") }
            done += n
        }
        return out
    }
}

/// A ZIP reader that takes the central directory as the list of members, as `unzip` and Python's
/// `zipfile` do, ZIP64 included (end-of-directory record and locator, and the extra field that
/// carries a member's sizes and offset).
///
/// Written by hand because ZIPFoundation 0.9.20 stops its member iterator without an error when one
/// central-directory entry does not parse to its liking: a valid archive whose first entry keeps its
/// local-header offset in the ZIP64 extra field was listed as empty, so a planted DLL vanished from
/// the diff. Here every entry is either read or the archive refused, with the entry named.
///
/// Checks: each member's data lies inside the archive and before the central directory, the local
/// header carries the same name, the decompressed size and CRC-32 match the directory.
struct ZipReader {
    struct Entry {
        enum Kind { case file, directory, symlink }
        var name: String
        var kind: Kind
        var method: Int
        var flags: Int
        var crc: UInt32
        var compressedSize: Int
        var size: Int
        var localHeader: Int
        /// Index in the central directory (0-based), for messages.
        var index: Int
    }

    let source: any ByteSource
    let archiveName: String
    /// The largest central directory read (it is held in memory while the archive is read).
    static let maxDirectoryBytes = 256 << 20

    private func u16(_ b: [UInt8], _ at: Int) -> Int { Int(b[at]) | Int(b[at + 1]) << 8 }
    private func u32(_ b: [UInt8], _ at: Int) -> Int { u16(b, at) | u16(b, at + 2) << 16 }
    private func u64(_ b: [UInt8], _ at: Int) -> Int? {
        let value = UInt64(u32(b, at)) | UInt64(u32(b, at + 4)) << 32
        return value > UInt64(Int.max) ? nil : Int(value)
    }

    private func malformed(_ reason: String, member: String? = nil) -> ReleaseError {
        .malformed(archive: archiveName, member: member, reason: reason)
    }

    /// The central directory's members, in order, and anomalies (entry count disagreeing with the
    /// end record: readers that trust the count list other members).
    func entries() throws -> (entries: [Entry], anomalies: [String], directoryStart: Int) {
        let n = source.count
        guard n >= 22 else { throw malformed("too short for a ZIP end-of-directory record") }
        // The end record sits in the last 64 KiB + 22 bytes (its comment is at most 65,535 bytes).
        let tailStart = max(0, n - 22 - 65_535)
        let tail = try source.bytes(at: tailStart, length: n - tailStart)
        var eocd: Int?
        var i = tail.count - 22
        while i >= 0 {
            if tail[i] == 0x50, tail[i + 1] == 0x4B, tail[i + 2] == 5, tail[i + 3] == 6 {
                eocd = i
                break
            }
            i -= 1
        }
        guard let e = eocd else { throw malformed("no end-of-central-directory record") }
        var totalEntries = u16(tail, e + 10)
        var cdSize = u32(tail, e + 12)
        var cdOffset = u32(tail, e + 16)
        let eocdAbsolute = tailStart + e
        var recordsSize = 0
        // ZIP64: a locator just before the end record points at the ZIP64 end record.
        if eocdAbsolute >= 20 {
            let loc = try source.bytes(at: eocdAbsolute - 20, length: 20)
            if u32(loc, 0) == 0x0706_4B50 {
                guard let z = u64(loc, 8), z >= 0, z <= n - 56 else { throw malformed("ZIP64 locator points outside the archive") }
                let rec = try source.bytes(at: z, length: 56)
                guard u32(rec, 0) == 0x0606_4B50 else { throw malformed("no ZIP64 end-of-directory record where the locator points") }
                guard let entries = u64(rec, 32), let size = u64(rec, 40), let offset = u64(rec, 48) else {
                    throw malformed("ZIP64 end record holds impossible values")
                }
                totalEntries = entries
                cdSize = size
                cdOffset = offset
                recordsSize = 56 + 20
            }
        }
        // Bytes prepended to the archive (a self-extracting stub) shift every offset.
        let shift = eocdAbsolute - recordsSize - cdSize - cdOffset
        guard shift >= 0 else { throw malformed("central directory (\(cdSize) bytes at \(cdOffset)) does not fit before its end record") }
        let cdStart = cdOffset + shift
        guard cdSize <= Self.maxDirectoryBytes else {
            throw malformed("central directory of \(cdSize) bytes is larger than \(Self.maxDirectoryBytes) bytes (200,000 entries with long names fit in far less)")
        }
        let cd = try source.bytes(at: cdStart, length: cdSize)
        var out: [Entry] = []
        var at = 0
        while at + 46 <= cd.count {
            guard u32(cd, at) == 0x0201_4B50 else { throw malformed("central directory entry \(out.count) has a bad signature at offset \(cdStart + at)") }
            let nameLength = u16(cd, at + 28), extraLength = u16(cd, at + 30), commentLength = u16(cd, at + 32)
            let end = at + 46 + nameLength + extraLength + commentLength
            guard end <= cd.count else { throw malformed("central directory entry \(out.count) runs past the directory") }
            let rawName = Array(cd[(at + 46)..<(at + 46 + nameLength)])
            let flags = u16(cd, at + 8)
            let name = Self.decodeName(rawName, utf8Flag: flags & 0x800 != 0)
            var size = u32(cd, at + 24)
            var compressed = u32(cd, at + 20)
            var local = u32(cd, at + 42)
            // The ZIP64 extra field holds, in this order, each of these that is 0xFFFFFFFF above.
            if size == 0xFFFF_FFFF || compressed == 0xFFFF_FFFF || local == 0xFFFF_FFFF {
                let extra = Array(cd[(at + 46 + nameLength)..<(at + 46 + nameLength + extraLength)])
                guard var values = zip64Values(extra) else { throw malformed("ZIP64 size or offset announced but no ZIP64 extra field", member: name) }
                func take() throws -> Int {
                    guard !values.isEmpty, let v = values.removeFirst() else { throw malformed("ZIP64 extra field is too short", member: name) }
                    return v
                }
                if size == 0xFFFF_FFFF { size = try take() }
                if compressed == 0xFFFF_FFFF { compressed = try take() }
                if local == 0xFFFF_FFFF { local = try take() }
            }
            let unixMode = cd[at + 5] == 3 ? (u32(cd, at + 38) >> 16) & 0o170000 : 0
            // A folder is a name ending in '/', as for unzip and zipfile; a Unix folder mode on any
            // other name does not make its data disappear: it is read as a file.
            let kind: Entry.Kind = name.hasSuffix("/") ? .directory : unixMode == 0o120000 ? .symlink : .file
            out.append(Entry(
                name: name, kind: kind, method: u16(cd, at + 10), flags: flags, crc: UInt32(u32(cd, at + 16)),
                compressedSize: compressed, size: size, localHeader: local + shift, index: out.count))
            at = end
        }
        var anomalies: [String] = []
        // Without ZIP64 the 16-bit count wraps past 65,535 entries (some writers do just that).
        if recordsSize == 0 ? out.count & 0xFFFF != totalEntries : out.count != totalEntries {
            anomalies.append("the end record counts \(totalEntries) entries, the central directory holds \(out.count) (readers that trust the count list other members)")
        }
        for entry in out where entry.localHeader >= cdStart {
            throw malformed("local header offset \(entry.localHeader) lies inside or after the central directory", member: entry.name)
        }
        return (out, anomalies, cdStart)
    }

    /// The 8-byte values of the ZIP64 extended-information extra field (ID 1), `nil` when absent.
    private func zip64Values(_ extra: [UInt8]) -> [Int?]? {
        var at = 0
        while at + 4 <= extra.count {
            let id = u16(extra, at), length = u16(extra, at + 2)
            guard at + 4 + length <= extra.count else { return nil }
            if id == 1 {
                return stride(from: at + 4, to: at + 4 + length - 7, by: 8).map { u64(extra, $0) }
            }
            at += 4 + length
        }
        return nil
    }

    /// Names are UTF-8 when flagged so (invalid bytes shown as `\xNN`, so different names stay
    /// different); unflagged names are UTF-8 when they decode as such (what most tools write today),
    /// else code page 437, the ZIP specification's default (as Python's `zipfile` reads them).
    static func decodeName(_ raw: [UInt8], utf8Flag: Bool) -> String {
        if let s = String(validating: raw, as: UTF8.self) { return s }
        if utf8Flag {
            return raw.map { $0 < 0x80 ? String(UnicodeScalar($0)) : "\\x" + String($0, radix: 16, uppercase: true) }.joined()
        }
        var out = String.UnicodeScalarView()
        for b in raw { out.append(b < 0x80 ? UnicodeScalar(b) : UnicodeScalar(cp437High[Int(b) - 0x80])!) }
        return String(out)
    }

    /// Code page 437, bytes 0x80-0xFF, as Unicode scalars.
    private static let cp437High: [UInt32] = [
        0xC7, 0xFC, 0xE9, 0xE2, 0xE4, 0xE0, 0xE5, 0xE7, 0xEA, 0xEB, 0xE8, 0xEF, 0xEE, 0xEC, 0xC4, 0xC5,
        0xC9, 0xE6, 0xC6, 0xF4, 0xF6, 0xF2, 0xFB, 0xF9, 0xFF, 0xD6, 0xDC, 0xA2, 0xA3, 0xA5, 0x20A7, 0x192,
        0xE1, 0xED, 0xF3, 0xFA, 0xF1, 0xD1, 0xAA, 0xBA, 0xBF, 0x2310, 0xAC, 0xBD, 0xBC, 0xA1, 0xAB, 0xBB,
        0x2591, 0x2592, 0x2593, 0x2502, 0x2524, 0x2561, 0x2562, 0x2556, 0x2555, 0x2563, 0x2551, 0x2557, 0x255D, 0x255C, 0x255B, 0x2510,
        0x2514, 0x2534, 0x252C, 0x251C, 0x2500, 0x253C, 0x255E, 0x255F, 0x255A, 0x2554, 0x2569, 0x2566, 0x2560, 0x2550, 0x256C, 0x2567,
        0x2568, 0x2564, 0x2565, 0x2559, 0x2558, 0x2552, 0x2553, 0x256B, 0x256A, 0x2518, 0x250C, 0x2588, 0x2584, 0x258C, 0x2590, 0x2580,
        0x3B1, 0xDF, 0x393, 0x3C0, 0x3A3, 0x3C3, 0xB5, 0x3C4, 0x3A6, 0x398, 0x3A9, 0x3B4, 0x221E, 0x3C6, 0x3B5, 0x2229,
        0x2261, 0xB1, 0x2265, 0x2264, 0x2320, 0x2321, 0xF7, 0x2248, 0xB0, 0x2219, 0xB7, 0x221A, 0x207F, 0xB2, 0x25A0, 0xA0,
    ]

    /// Reads one member's data through `sink` (decompressing), checking bounds, name, size and CRC.
    /// `cdStart` is where the central directory starts: member data must end before it.
    func read(_ entry: Entry, cdStart: Int, into sink: MemberSink) throws {
        let fail = { (reason: String) in malformed(reason, member: entry.name) }
        guard entry.localHeader + 30 <= cdStart else { throw fail("local header lies past the member area") }
        let header = try source.bytes(at: entry.localHeader, length: 30)
        guard u32(header, 0) == 0x0403_4B50 else { throw fail("no local header at offset \(entry.localHeader)") }
        if entry.flags & 1 != 0 { throw fail("is encrypted and cannot be compared") }
        let nameLength = u16(header, 26), extraLength = u16(header, 28)
        let dataStart = entry.localHeader + 30 + nameLength + extraLength
        guard dataStart <= cdStart else { throw fail("local header runs into the central directory") }
        let localName = try source.bytes(at: entry.localHeader + 30, length: nameLength)
        guard Self.decodeName(localName, utf8Flag: u16(header, 6) & 0x800 != 0) == entry.name else {
            throw fail("local header names another file ('\(Self.decodeName(localName, utf8Flag: true).prefix(200))')")
        }
        guard let dataEnd = dataStart.adding(entry.compressedSize), dataEnd <= cdStart else {
            throw fail("claims \(entry.compressedSize) bytes of data but only \(max(0, cdStart - dataStart)) exist before the central directory")
        }
        var crc = CRC32()
        var produced = 0
        let chunk = 1 << 20
        switch entry.method {
        case 0:
            guard entry.compressedSize == entry.size else { throw fail("is stored but its two sizes differ (\(entry.compressedSize) and \(entry.size))") }
            var offset = dataStart
            while offset < dataEnd {
                let piece = try source.bytes(at: offset, length: min(chunk, dataEnd - offset))
                crc.update(piece)
                produced += piece.count
                try sink.append(piece)
                offset += piece.count
            }
        case 8:
            let decoder = try RawInflater()
            var offset = dataStart
            do {
                while offset < dataEnd {
                    let piece = try source.bytes(at: offset, length: min(chunk, dataEnd - offset))
                    try decoder.inflate(piece) { out in
                        crc.update(out)
                        produced += out.count
                        try sink.append(out)
                    }
                    offset += piece.count
                    if decoder.finished { break }
                }
            } catch let error as ReleaseError {
                throw error
            } catch {
                throw fail("deflate data is damaged (\(error))")
            }
            guard decoder.finished else { throw fail("deflate data ends early") }
        default:
            throw fail("uses compression method \(entry.method), which Vigil does not read")
        }
        guard produced == entry.size else { throw fail("holds \(produced) bytes, the central directory says \(entry.size)") }
        guard crc.value == entry.crc else { throw fail("CRC-32 mismatch (the data is damaged or was altered)") }
    }
}

/// The member list of a ZIP archive as Vigil reads it, every member's data decompressed and
/// checked, for comparison with other ZIP readers (the property tests and the `zip` fuzz target
/// compare it with Python's `zipfile`).
public enum ZipListing {
    /// Lists `bytes` as a ZIP archive: `(name, "file" | "dir" | "symlink", size)` per member, in
    /// central-directory order, and the anomalies met.
    /// - Throws: ``ReleaseError`` when the archive is damaged or a member expands past `limits`.
    public static func list(_ bytes: [UInt8], limits: ExpansionLimits = .standard) throws -> (members: [(name: String, type: String, size: Int)], anomalies: [String]) {
        let reader = ZipReader(source: bytes, archiveName: "archive.zip")
        let (entries, anomalies, start) = try reader.entries()
        let budget = ExpansionBudget(limits: limits)
        var members: [(name: String, type: String, size: Int)] = []
        for e in entries {
            try budget.countEntry(archive: "archive.zip", member: e.name)
            if e.kind != .directory {
                let sink = MemberSink(
                    keep: 0, budget: budget, archive: "archive.zip", member: e.name, compressedSize: e.method == 0 ? nil : e.compressedSize)
                try reader.read(e, cdStart: start, into: sink)
            }
            let type = switch e.kind { case .file: "file"; case .directory: "dir"; case .symlink: "symlink" }
            members.append((e.name, type, e.kind == .directory ? 0 : e.size))
        }
        return (members, anomalies)
    }
}
