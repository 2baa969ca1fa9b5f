import VigilBinary

/// A tar reader for release archives: ustar, POSIX pax extended headers (`path`, `linkpath`,
/// `size`) and GNU long names (`L`, `K`), base-256 sizes.
///
/// Written by hand because Foundation has no tar support and the usual Swift tar packages either
/// extract to disk or are not in the allowed package set; Vigil only needs to list members and hand
/// their bytes over in memory. Every field is bounds-checked and the entry count is capped.
struct TarReader {
    /// One member as stored in the archive (names not yet checked).
    struct Entry {
        enum Kind { case file, directory, symlink, hardlink, other(UInt8) }
        var name: String
        var kind: Kind
        var linkTarget: String
        /// The member's data inside the archive bytes.
        var data: Range<Int>
    }

    let bytes: [UInt8]
    let archiveName: String

    /// Walks the archive and calls `visit` for every member in order.
    /// - Throws: ``ReleaseError/malformed(archive:member:reason:)`` on a damaged header.
    func forEach(_ visit: (Entry) throws -> Void) throws {
        var offset = 0
        var pendingName: String?
        var pendingLink: String?
        var pendingSize: Int?
        var globalPax: [String: String] = [:]
        var localPax: [String: String] = [:]
        while offset + 512 <= bytes.count {
            let header = bytes[offset..<offset + 512]
            if header.allSatisfy({ $0 == 0 }) { return }  // end-of-archive marker
            try verifyChecksum(header, at: offset)
            let type = header[header.startIndex + 156]
            guard let declared = parseNumber(header, 124, 12) else {
                throw ReleaseError.malformed(archive: archiveName, member: nil, reason: "bad size field in the tar header at offset \(offset)")
            }
            let size = pendingSize ?? localPax["size"].flatMap { Int($0) } ?? declared
            let dataStart = offset + 512
            guard size >= 0, let dataEnd = dataStart.adding(size), dataEnd <= bytes.count else {
                throw ReleaseError.malformed(archive: archiveName, member: nil, reason: "member at offset \(offset) claims \(size) bytes past the end of the archive")
            }
            let next = dataStart + (size + 511) / 512 * 512
            let body = bytes[dataStart..<dataEnd]
            switch type {
            case UInt8(ascii: "L"):
                pendingName = cString(body)
            case UInt8(ascii: "K"):
                pendingLink = cString(body)
            case UInt8(ascii: "x"):
                localPax = parsePax(body, at: offset)
                pendingSize = localPax["size"].flatMap { Int($0) }
            case UInt8(ascii: "g"):
                globalPax.merge(parsePax(body, at: offset)) { $1 }
            default:
                var name = field(header, 0, 100)
                let magic = field(header, 257, 6)
                if magic.hasPrefix("ustar") {
                    let prefix = field(header, 345, 155)
                    if !prefix.isEmpty { name = prefix + "/" + name }
                }
                name = pendingName ?? localPax["path"] ?? globalPax["path"] ?? name
                let link = pendingLink ?? localPax["linkpath"] ?? field(header, 157, 100)
                let kind: Entry.Kind =
                    switch type {
                    case 0, UInt8(ascii: "0"), UInt8(ascii: "7"): .file
                    case UInt8(ascii: "5"): .directory
                    case UInt8(ascii: "2"): .symlink
                    case UInt8(ascii: "1"): .hardlink
                    default: .other(type)
                    }
                try visit(Entry(name: name, kind: kind, linkTarget: link, data: dataStart..<dataEnd))
                pendingName = nil
                pendingLink = nil
                pendingSize = nil
                localPax = [:]
            }
            offset = next
        }
        if offset < bytes.count {
            throw ReleaseError.malformed(archive: archiveName, member: nil, reason: "archive ends inside a header at offset \(offset)")
        }
    }

    /// Whether `bytes` start with something that looks like a tar header (checksum verified).
    static func looksLikeTar(_ bytes: [UInt8]) -> Bool {
        guard bytes.count >= 512 else { return false }
        return (try? TarReader(bytes: bytes, archiveName: "").verifyChecksum(bytes[0..<512], at: 0)) != nil
    }

    private func verifyChecksum(_ header: ArraySlice<UInt8>, at offset: Int) throws {
        guard let stored = parseNumber(header, 148, 8) else {
            throw ReleaseError.malformed(archive: archiveName, member: nil, reason: "bad checksum field in the tar header at offset \(offset)")
        }
        var sum = 0
        for (i, b) in header.enumerated() { sum += (148..<156).contains(i) ? 32 : Int(b) }
        guard sum == stored else {
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
            var value = Int(first & 0x7F)
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

    /// Pax records: `"<len> key=value\n"` repeated.
    private func parsePax(_ body: ArraySlice<UInt8>, at offset: Int) -> [String: String] {
        var out: [String: String] = [:]
        var i = body.startIndex
        while i < body.endIndex {
            guard let space = body[i...].firstIndex(of: 32),
                let length = Int(String(decoding: body[i..<space], as: UTF8.self)), length > 0,
                let end = i.adding(length), end <= body.endIndex, space < end
            else { break }
            let record = body[(space + 1)..<end]
            if let eq = record.firstIndex(of: UInt8(ascii: "=")) {
                let key = String(decoding: record[record.startIndex..<eq], as: UTF8.self)
                var valueEnd = record.endIndex
                if valueEnd > eq + 1, record[valueEnd - 1] == 10 { valueEnd -= 1 }
                out[key] = String(decoding: record[(eq + 1)..<valueEnd], as: UTF8.self)
            }
            i = end
        }
        return out
    }
}
