import VigilBinary

/// A tar reader for release archives: ustar, POSIX pax extended headers (`path`, `linkpath`,
/// `size`, local and global) and GNU long names (`L`, `K`), base-256 sizes, old GNU sparse headers.
///
/// Written by hand because Foundation has no tar support and the usual Swift tar packages either
/// extract to disk or are not in the allowed package set; Vigil only needs to list members and hand
/// their bytes over in memory. Every field is bounds-checked and the entry count is capped.
///
/// A member must never hide, so the layout rules follow Python's `tarfile` (which the tests compare
/// against) and every place where tar implementations are known to disagree is reported as an
/// ``Anomaly`` instead of being silently decided:
/// - an extended header (`x`, `g`, `L`, `K`) describes only the next *real* member: its `size` or
///   name never applies to another extended header, whose own header size is always used;
/// - when two extended headers set the same field for one member, the first one wins (as in
///   Python's `tarfile`; GNU tar keeps the last one) and the conflict is an anomaly;
/// - data follows only regular files and unknown types; a link, folder or device header that
///   declares a size is an anomaly (some readers skip that many bytes, others read a header there);
/// - anything but zeros after the end-of-archive marker is an anomaly (`tar -i` reads on).
struct TarReader {
    /// One member as stored in the archive (names not yet checked).
    struct Entry {
        enum Kind: Equatable { case file, directory, symlink, hardlink, other(UInt8) }
        var name: String
        var kind: Kind
        var linkTarget: String
        /// The member's data inside the archive bytes.
        var data: Range<Int>
        /// Offset of the member's first header (its first extended header, if any).
        var offset: Int
    }

    /// A place where tar readers disagree: the member list may differ between tools.
    struct Anomaly: Equatable {
        var offset: Int
        var message: String
    }

    let bytes: [UInt8]
    let archiveName: String

    private static let extendedTypes: Set<UInt8> = [
        UInt8(ascii: "x"), UInt8(ascii: "g"), UInt8(ascii: "X"), UInt8(ascii: "L"), UInt8(ascii: "K"),
    ]
    /// Types whose header is never followed by data (hard and symbolic links, devices, folders, FIFOs).
    private static let noDataTypes: Set<UInt8> = [
        UInt8(ascii: "1"), UInt8(ascii: "2"), UInt8(ascii: "3"), UInt8(ascii: "4"), UInt8(ascii: "5"), UInt8(ascii: "6"),
    ]

    /// What the extended headers seen so far say about the next real member.
    private struct Pending {
        var name: String?
        var link: String?
        var size: Int?
        var start: Int?
        var headers = 0

        mutating func set(_ slot: WritableKeyPath<Pending, String?>, _ value: String, field: String, at offset: Int, anomalies: inout [Anomaly]) {
            if let old = self[keyPath: slot] {
                if old != value {
                    anomalies.append(Anomaly(offset: offset, message: "a second extended header gives the next member another \(field) ('\(old)' kept, '\(value)' ignored); tar readers disagree on which one applies"))
                }
            } else {
                self[keyPath: slot] = value
            }
        }
    }

    /// Walks the archive and calls `visit` for every member in order.
    /// - Returns: the anomalies met (places where other tar readers may list other members).
    /// - Throws: ``ReleaseError/malformed(archive:member:reason:)`` on a damaged header.
    @discardableResult
    func forEach(_ visit: (Entry) throws -> Void) throws -> [Anomaly] {
        var anomalies: [Anomaly] = []
        var offset = 0
        var pending = Pending()
        var globalPax: [String: String] = [:]
        while offset + 512 <= bytes.count {
            let header = bytes[offset..<offset + 512]
            if header.allSatisfy({ $0 == 0 }) {  // end-of-archive marker
                if pending.headers > 0 {
                    anomalies.append(Anomaly(offset: offset, message: "extended header at offset \(pending.start ?? offset) is followed by no member"))
                }
                if let stray = bytes[(offset + 512)...].firstIndex(where: { $0 != 0 }) {
                    anomalies.append(Anomaly(offset: stray, message: "data after the end-of-archive marker at offset \(offset) (readers that skip zero blocks, like 'tar -i', may find more members there)"))
                }
                return anomalies
            }
            try verifyChecksum(header, at: offset)
            let type = header[header.startIndex + 156]
            guard let declared = parseNumber(header, 124, 12) else {
                throw ReleaseError.malformed(archive: archiveName, member: nil, reason: "bad size field in the tar header at offset \(offset)")
            }

            if Self.extendedTypes.contains(type) {
                // An extended header's own size is always its header's size field: a pending `size`
                // belongs to the next real member, never to another extended header.
                let body = try dataRange(offset: offset, size: declared)
                let record = bytes[body]
                if pending.start == nil { pending.start = offset }
                pending.headers += 1
                switch type {
                case UInt8(ascii: "L"):
                    pending.set(\.name, cString(record), field: "name", at: offset, anomalies: &anomalies)
                case UInt8(ascii: "K"):
                    pending.set(\.link, cString(record), field: "link target", at: offset, anomalies: &anomalies)
                case UInt8(ascii: "g"):
                    pending.headers -= 1
                    if pending.headers == 0 { pending.start = nil }
                    let pax = try parsePax(record, at: offset)
                    if pax["size"] != nil {
                        anomalies.append(Anomaly(offset: offset, message: "a global pax header sets a size for every later member; ignored"))
                    }
                    globalPax.merge(pax) { $1 }
                default:  // x, X: pax for the next member
                    let pax = try parsePax(record, at: offset)
                    if let path = pax["path"] { pending.set(\.name, path, field: "name", at: offset, anomalies: &anomalies) }
                    if let link = pax["linkpath"] { pending.set(\.link, link, field: "link target", at: offset, anomalies: &anomalies) }
                    if let text = pax["size"] {
                        guard let size = Int(text), size >= 0 else {
                            throw ReleaseError.malformed(archive: archiveName, member: nil, reason: "bad pax size '\(text.prefix(40))' at offset \(offset)")
                        }
                        if let old = pending.size, old != size {
                            anomalies.append(Anomaly(offset: offset, message: "a second extended header gives the next member another size (\(old) kept, \(size) ignored)"))
                        } else {
                            pending.size = size
                        }
                    }
                }
                offset = body.lowerBound + (body.count + 511) / 512 * 512
                continue
            }

            var name = field(header, 0, 100)
            // Old (v7) tar marks a folder as a NUL-type file whose name ends in '/'.
            let kind: Entry.Kind =
                switch type {
                case 0 where name.hasSuffix("/"): .directory
                case 0, UInt8(ascii: "0"), UInt8(ascii: "7"): .file
                case UInt8(ascii: "5"): .directory
                case UInt8(ascii: "2"): .symlink
                case UInt8(ascii: "1"): .hardlink
                default: .other(type)
                }
            if type != UInt8(ascii: "S") {
                let prefix = field(header, 345, 155)
                if !prefix.isEmpty {
                    name = prefix + "/" + name
                    if !field(header, 257, 6).hasPrefix("ustar") || header[header.startIndex + 262] != 0 {
                        anomalies.append(Anomaly(offset: offset, message: "a non-POSIX header fills the name-prefix field; readers disagree on the name"))
                    }
                }
            }
            name = pending.name ?? globalPax["path"] ?? name
            let link = pending.link ?? globalPax["linkpath"] ?? field(header, 157, 100)
            if kind == .directory, !name.isEmpty {
                while name.count > 1, name.hasSuffix("/") { name.removeLast() }
            }
            // Old GNU sparse members may carry extra sparse-map blocks before their data.
            var dataOffset = offset
            if type == UInt8(ascii: "S"), header[header.startIndex + 482] != 0 {
                var extended = true
                while extended {
                    dataOffset += 512
                    guard dataOffset + 512 <= bytes.count else {
                        throw ReleaseError.malformed(archive: archiveName, member: name, reason: "sparse map runs past the end of the archive")
                    }
                    extended = bytes[dataOffset + 504] != 0
                }
            }
            let size = pending.size ?? declared
            let carriesData = !Self.noDataTypes.contains(type)
            if !carriesData, size > 0 {
                anomalies.append(Anomaly(offset: offset, message: "a \(kind == .directory ? "folder" : "link or device") header declares \(size) data bytes; readers disagree on whether data follows"))
            }
            let body = try dataRange(offset: dataOffset, size: carriesData ? size : 0, member: name)
            try visit(Entry(name: name, kind: kind, linkTarget: link, data: body, offset: pending.start ?? offset))
            pending = Pending()
            offset = body.lowerBound + (body.count + 511) / 512 * 512
        }
        if offset < bytes.count {
            throw ReleaseError.malformed(archive: archiveName, member: nil, reason: "archive ends inside a header at offset \(offset)")
        }
        if pending.headers > 0 {
            anomalies.append(Anomaly(offset: offset, message: "extended header at offset \(pending.start ?? offset) is followed by no member"))
        }
        anomalies.append(Anomaly(offset: offset, message: "no end-of-archive marker (the archive may be truncated)"))
        return anomalies
    }

    /// The data of the header at `offset`, checked to lie inside the archive.
    private func dataRange(offset: Int, size: Int, member: String? = nil) throws -> Range<Int> {
        let start = offset + 512
        guard size >= 0, let end = start.adding(size), end <= bytes.count else {
            throw ReleaseError.malformed(archive: archiveName, member: member, reason: "header at offset \(offset) claims \(size) bytes past the end of the archive")
        }
        return start..<end
    }

    /// Whether `bytes` start with something that looks like a tar header (checksum verified).
    static func looksLikeTar(_ bytes: [UInt8]) -> Bool {
        guard bytes.count >= 512 else { return false }
        return (try? TarReader(bytes: bytes, archiveName: "").verifyChecksum(bytes[0..<512], at: 0)) != nil
    }

    /// The stored checksum must match the sum of the header's bytes, taken unsigned (POSIX) or
    /// signed (some historic writers), with the checksum field counted as spaces.
    private func verifyChecksum(_ header: ArraySlice<UInt8>, at offset: Int) throws {
        guard let stored = parseNumber(header, 148, 8) else {
            throw ReleaseError.malformed(archive: archiveName, member: nil, reason: "bad checksum field in the tar header at offset \(offset)")
        }
        var unsigned = 0
        var signed = 0
        for (i, b) in header.enumerated() {
            let byte = (148..<156).contains(i) ? 32 : b
            unsigned += Int(byte)
            signed += Int(Int8(bitPattern: byte))
        }
        guard stored == unsigned || stored == signed else {
            throw ReleaseError.malformed(archive: archiveName, member: nil, reason: "tar header checksum mismatch at offset \(offset)")
        }
    }

    /// A NUL-terminated text field.
    private func field(_ header: ArraySlice<UInt8>, _ at: Int, _ length: Int) -> String {
        let start = header.startIndex + at
        return cString(header[start..<start + length])
    }

    private func cString(_ bytes: ArraySlice<UInt8>) -> String {
        let end = bytes.firstIndex(of: 0) ?? bytes.endIndex
        return String(decoding: bytes[bytes.startIndex..<end], as: UTF8.self)
    }

    /// An octal number field, or a GNU base-256 number (high bit of the first byte set).
    private func parseNumber(_ header: ArraySlice<UInt8>, _ at: Int, _ length: Int) -> Int? {
        let start = header.startIndex + at
        let raw = header[start..<start + length]
        if let first = raw.first, first & 0x80 != 0 {
            // 0x80: positive, 0xFF: negative (never valid for a size or a checksum).
            guard first == 0x80 else { return nil }
            var value = 0
            for b in raw.dropFirst() {
                guard let shifted = value.multiplying(256), let next = shifted.adding(Int(b)) else { return nil }
                value = next
            }
            return value
        }
        var value = 0
        var seenDigit = false
        for b in raw {
            if b == 0 || b == 32 { if seenDigit { break } else { continue } }
            guard b >= 0x30, b <= 0x37, let shifted = value.multiplying(8) else { return nil }
            value = shifted + Int(b - 0x30)
            seenDigit = true
        }
        return value
    }

    /// Pax records: `"<len> key=value\n"` repeated, up to the first NUL.
    /// - Throws: ``ReleaseError/malformed(archive:member:reason:)`` on a record that does not parse:
    ///   skipping it could drop a `path` or `size` and change what the next member is.
    private func parsePax(_ body: ArraySlice<UInt8>, at offset: Int) throws -> [String: String] {
        var out: [String: String] = [:]
        var i = body.startIndex
        while i < body.endIndex, body[i] != 0 {
            guard let space = body[i...].prefix(20).firstIndex(of: 32),
                let length = Int(String(decoding: body[i..<space], as: UTF8.self)), length > 0,
                let end = i.adding(length), end <= body.endIndex, space < end,
                body[end - 1] == 10,
                let eq = body[(space + 1)..<end].firstIndex(of: UInt8(ascii: "="))
            else {
                throw ReleaseError.malformed(archive: archiveName, member: nil, reason: "damaged pax record in the extended header at offset \(offset)")
            }
            let key = String(decoding: body[(space + 1)..<eq], as: UTF8.self)
            out[key] = String(decoding: body[(eq + 1)..<(end - 1)], as: UTF8.self)
            i = end
        }
        return out
    }
}

/// The member list of a tar archive as Vigil reads it, for comparison with other tar readers
/// (the property tests and the `tar` fuzz target compare it with Python's `tarfile`).
public enum TarListing {
    /// One member: its stored name, its type (`file`, `dir`, `symlink`, `hardlink` or the raw type
    /// character), its data size and its link target.
    public struct Member: Sendable, Hashable, CustomStringConvertible {
        public var name: String
        public var type: String
        public var size: Int
        public var link: String
        public var description: String { "\(type) \(name) \(size)\(link.isEmpty ? "" : " -> \(link)")" }
    }

    /// Lists `bytes` as a tar archive.
    /// - Returns: the members in order and the anomalies (places where tar readers disagree).
    /// - Throws: ``ReleaseError`` when the archive is damaged.
    public static func list(_ bytes: [UInt8]) throws -> (members: [Member], anomalies: [String]) {
        var members: [Member] = []
        let anomalies = try TarReader(bytes: bytes, archiveName: "archive").forEach { entry in
            let type: String =
                switch entry.kind {
                case .file: "file"
                case .directory: "dir"
                case .symlink: "symlink"
                case .hardlink: "hardlink"
                case .other(let raw): String(UnicodeScalar(raw))
                }
            members.append(Member(name: entry.name, type: type, size: entry.data.count, link: entry.linkTarget))
        }
        return (members, anomalies.map(\.message))
    }
}
