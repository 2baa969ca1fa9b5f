/// Where a tar or ZIP keeps its members' data, so that a scan which read every member can search
/// the container's own bytes for YARA rules without searching those bytes a second time.
///
/// In a tar or a ZIP most of the file is member data: stored as it is, the very bytes each member's
/// own scan searches; deflated, noise that the member's scan searches decompressed. What is left,
/// the **framing** (headers, names, the central directory, any gap no member accounts for), is
/// searched as the container's own. A deflated member's data may be left out only when the walk's
/// reader stopped exactly at its end (``leftOut(after:)``): where a deflate stream ends is known only
/// by decompressing it, and bytes hidden after its end inside the member's compressed size are read
/// by no extractor (libarchive skips them without a word), so only the container's own search can
/// see them.
///
/// The layout is read by hand here (libarchive does not say where member data lies) from the
/// headers alone, with every offset and size checked against the file; any doubt (an unknown entry
/// type, overlapping members, ZIP64, sparse tar members) gives `nil`, and the caller then searches
/// the whole file.
public struct MemberDataLayout: Sendable, Equatable {
    /// The archive formats whose layout is read.
    public enum Kind: String, Sendable {
        case tar, zip
    }

    /// One regular member, in the order the archive lists it (libarchive's order: the tar's, the
    /// ZIP central directory's).
    public struct Member: Sendable, Equatable {
        /// Its size once read (uncompressed).
        public var size: Int64
        /// Where its data lies in the file, stored or compressed (`nil`: not mapped, such as an
        /// encrypted member).
        public var data: Range<Int64>?
        /// The data is the member's bytes as they are.
        public var stored: Bool
        /// For compressed data: where a reader stands once it has read the member and nothing
        /// after it (the data's end).
        public var endAfterRead: Int64?
    }

    public var kind: Kind
    public var members: [Member]
    /// The file's size.
    public var fileSize: Int64

    /// The sizes of the regular members, in order.
    public var regularMemberSizes: [Int64] { members.map(\.size) }

    /// The byte ranges holding members' bytes as they are: sorted, disjoint and inside the file.
    public var dataRanges: [Range<Int64>] {
        members.filter(\.stored).compactMap(\.data).filter { !$0.isEmpty }.sorted { $0.lowerBound < $1.lowerBound }
    }

    /// The member data a scan may leave out of the container's own search once a walk read
    /// `read`: every stored member's bytes, and a compressed member's bytes when the reader stood
    /// exactly at their end afterwards (so no byte after its compressed stream went unread).
    /// `nil` when the walk read other members than these (another count, size or order).
    public func leftOut(after read: [ReadMember]) -> [Range<Int64>]? {
        guard read.map(\.size) == regularMemberSizes else { return nil }
        var ranges: [Range<Int64>] = []
        for (m, r) in zip(members, read) {
            guard let data = m.data, !data.isEmpty else { continue }
            if m.stored || (m.endAfterRead != nil && r.endOffset == m.endAfterRead) { ranges.append(data) }
        }
        return ranges.sorted { $0.lowerBound < $1.lowerBound }
    }

    /// The complement of `ranges` (sorted, disjoint) in the file: what is left to search.
    public func framing(leavingOut ranges: [Range<Int64>]) -> [Range<Int64>] {
        var result: [Range<Int64>] = []
        var at: Int64 = 0
        for r in ranges {
            if r.lowerBound > at { result.append(at..<r.lowerBound) }
            at = max(at, r.upperBound)
        }
        if at < fileSize { result.append(at..<fileSize) }
        return result
    }

    /// The complement of ``dataRanges``: the container's own bytes when only stored members are
    /// left out.
    public var framing: [Range<Int64>] { framing(leavingOut: dataRanges) }

    /// Bytes in ``dataRanges``.
    public var dataBytes: Int64 { dataRanges.reduce(0) { $0 + ($1.upperBound - $1.lowerBound) } }

    /// The format whose layout can be read, from the probe's magic bytes (`nil`: none).
    public static func kind(of probe: ContainerProbe) -> Kind? {
        if probe.has(Array("ustar".utf8), at: 257) { return .tar }
        if probe.has([0x50, 0x4B, 0x03, 0x04]) { return .zip }
        return nil
    }

    /// Reads the layout of a file of `size` bytes through `read(offset, count)`, which returns up to
    /// `count` bytes at `offset` (fewer only at the end of the file).
    /// - Returns: `nil` when the layout cannot be read with confidence.
    public static func read(_ kind: Kind, size: Int64, read: (Int64, Int) -> [UInt8]) -> MemberDataLayout? {
        guard size > 0 else { return nil }
        let found: [Member]? = withoutActuallyEscaping(read) { read in
            var reader = Reader(size: size, read: read)
            switch kind {
            case .tar: return TarLayout.read(&reader)
            case .zip: return ZipLayout.read(&reader)
            }
        }
        guard let found else { return nil }
        let ranges = found.compactMap(\.data).filter { !$0.isEmpty }.sorted { $0.lowerBound < $1.lowerBound }
        for (a, b) in zip(ranges, ranges.dropFirst()) where a.upperBound > b.lowerBound { return nil }
        guard ranges.allSatisfy({ $0.lowerBound >= 0 && $0.upperBound <= size }) else { return nil }
        return MemberDataLayout(kind: kind, members: found, fileSize: size)
    }

    /// Bounds-checked little reads; every read fails (`nil`) past the end of the file.
    struct Reader {
        let size: Int64
        let read: (Int64, Int) -> [UInt8]
        /// Reads taken so far: each layout caps how many it makes.
        var reads = 0

        mutating func bytes(_ offset: Int64, _ count: Int) -> [UInt8]? {
            guard offset >= 0, count >= 0, offset <= size, Int64(count) <= size - offset else { return nil }
            reads += 1
            let b = read(offset, count)
            return b.count == count ? b : nil
        }
    }

    /// At most this many headers are read (the walker's own member cap is lower).
    static let maxEntries = 1_000_000
}

extension [UInt8] {
    fileprivate func le16(_ at: Int) -> Int { Int(self[at]) | Int(self[at + 1]) << 8 }
    fileprivate func le32(_ at: Int) -> Int64 {
        Int64(self[at]) | Int64(self[at + 1]) << 8 | Int64(self[at + 2]) << 16 | Int64(self[at + 3]) << 24
    }
}

/// POSIX ustar, GNU and pax tar, uncompressed: 512-byte headers each followed by their data padded
/// to 512 bytes. Data of regular members (type `0`, NUL, `7`) is member data; that of every other
/// entry (pax records, GNU long names, links, folders) is framing.
enum TarLayout {
    static func read(_ r: inout MemberDataLayout.Reader) -> [MemberDataLayout.Member]? {
        var members: [MemberDataLayout.Member] = []
        var at: Int64 = 0
        var paxSize: Int64?
        var entries = 0
        while at + 512 <= r.size {
            entries += 1
            guard entries <= MemberDataLayout.maxEntries, let header = r.bytes(at, 512) else { return nil }
            if header.allSatisfy({ $0 == 0 }) { return members }  // end of archive
            guard checksumMatches(header), var size = number(header[124..<136]) else { return nil }
            let type = header[156]
            let dataStart = at + 512
            switch type {
            case UInt8(ascii: "x"):
                // A pax header for the next entry: its records may carry the real size.
                guard size <= 1 << 20, let records = r.bytes(dataStart, Int(size)) else { return nil }
                guard let keys = paxRecords(records) else { return nil }
                if keys.keys.contains(where: { $0.hasPrefix("GNU.sparse") }) { return nil }
                if let s = keys["size"] {
                    guard let v = Int64(s), v >= 0 else { return nil }
                    paxSize = v
                }
            case UInt8(ascii: "g"):
                guard size <= 1 << 20, let records = r.bytes(dataStart, Int(size)), let keys = paxRecords(records) else { return nil }
                if keys["size"] != nil || keys.keys.contains(where: { $0.hasPrefix("GNU.sparse") }) { return nil }
            case UInt8(ascii: "L"), UInt8(ascii: "K"):
                break  // GNU long name or link name: framing
            case UInt8(ascii: "0"), 0, UInt8(ascii: "7"):
                if let p = paxSize { size = p }
                paxSize = nil
                guard size <= r.size - dataStart else { return nil }
                members.append(.init(size: size, data: dataStart..<(dataStart + size), stored: true))
            case UInt8(ascii: "1"), UInt8(ascii: "2"), UInt8(ascii: "3"), UInt8(ascii: "4"), UInt8(ascii: "5"), UInt8(ascii: "6"):
                // Links, devices, folders, FIFOs: any data they carry stays framing.
                if let p = paxSize { size = p }
                paxSize = nil
            default:
                return nil  // GNU sparse (`S`), multi-volume (`M`), vendor types: not mapped
            }
            let padded = (size + 511) / 512 * 512
            guard padded <= r.size - dataStart else { return nil }
            at = dataStart + padded
        }
        // No end-of-archive blocks: libarchive accepts that too.
        return members
    }

    /// The header checksum: the byte sum with the checksum field taken as spaces (unsigned, as POSIX
    /// says, or signed, as some old writers computed it).
    static func checksumMatches(_ h: [UInt8]) -> Bool {
        guard let stored = number(h[148..<156]) else { return false }
        var unsigned = 0, signed = 0
        for (i, b) in h.enumerated() {
            let v = (148..<156).contains(i) ? 0x20 : b
            unsigned += Int(v)
            signed += Int(Int8(bitPattern: v))
        }
        return stored == Int64(unsigned) || stored == Int64(signed)
    }

    /// An octal field (NUL- or space-terminated) or a GNU base-256 number; `nil` when malformed.
    static func number(_ field: ArraySlice<UInt8>) -> Int64? {
        guard let first = field.first else { return nil }
        if first & 0x80 != 0 {
            guard first == 0x80 else { return nil }  // negative or a form nobody writes
            var v: Int64 = 0
            for b in field.dropFirst() {
                guard v < Int64.max >> 8 else { return nil }
                v = v << 8 | Int64(b)
            }
            return v
        }
        var v: Int64 = 0
        var digits = 0
        for b in field {
            if b == 0 || b == 0x20 {
                if digits > 0 { break }
                continue
            }
            guard b >= 0x30, b <= 0x37, v < Int64.max >> 3 else { return nil }
            v = v << 3 | Int64(b - 0x30)
            digits += 1
        }
        return v
    }

    /// pax records (`LEN key=value\n`), or `nil` when one is malformed.
    static func paxRecords(_ bytes: [UInt8]) -> [String: String]? {
        var result: [String: String] = [:]
        var i = 0
        while i < bytes.count {
            if bytes[i] == 0 { break }  // padding
            var len = 0, j = i
            while j < bytes.count, bytes[j] >= 0x30, bytes[j] <= 0x39 {
                len = len * 10 + Int(bytes[j] - 0x30)
                guard len <= bytes.count else { return nil }
                j += 1
            }
            guard j > i, j < bytes.count, bytes[j] == 0x20, len > j - i + 1, i + len <= bytes.count, bytes[i + len - 1] == 0x0A else { return nil }
            let record = bytes[(j + 1)..<(i + len - 1)]
            guard let eq = record.firstIndex(of: UInt8(ascii: "=")) else { return nil }
            let key = String(decoding: record[record.startIndex..<eq], as: UTF8.self)
            result[key] = String(decoding: record[(eq + 1)...], as: UTF8.self)
            i += len
        }
        return result
    }
}

/// ZIP through its central directory (as libarchive's seekable reader reads it): an entry's data
/// runs from after its local header for its compressed size. Stored entries' bytes are the members';
/// deflated entries' data may be left out only when the walk's reader ended exactly at its end.
/// Local headers, the central directory, data descriptors, symbolic-link targets and any byte no
/// entry accounts for are framing.
enum ZipLayout {
    static func read(_ r: inout MemberDataLayout.Reader) -> [MemberDataLayout.Member]? {
        let tailCount = Int(min(r.size, 22 + 65_535))
        guard let tail = r.bytes(r.size - Int64(tailCount), tailCount) else { return nil }
        // The end-of-central-directory record: the last one whose comment reaches the end exactly.
        var eocd: Int?
        var i = tail.count - 22
        while i >= 0 {
            if tail[i] == 0x50, tail[i + 1] == 0x4B, tail[i + 2] == 5, tail[i + 3] == 6, i + 22 + tail.le16(i + 20) == tail.count {
                eocd = i
                break
            }
            i -= 1
        }
        guard let e = eocd else { return nil }
        let eocdOffset = r.size - Int64(tailCount) + Int64(e)
        let disk = tail.le16(e + 4), cdDisk = tail.le16(e + 6)
        let entriesHere = tail.le16(e + 8), entries = tail.le16(e + 10)
        let cdSize = tail.le32(e + 12), cdOffset = tail.le32(e + 16)
        // ZIP64, spanned archives, and data before the first entry (self-extractors) are not mapped.
        guard disk == 0, cdDisk == 0, entries == entriesHere, entries != 0xFFFF, cdSize != 0xFFFF_FFFF, cdOffset != 0xFFFF_FFFF,
            cdOffset + cdSize == eocdOffset, cdSize <= 64 << 20, let cd = r.bytes(cdOffset, Int(cdSize))
        else { return nil }
        var members: [MemberDataLayout.Member] = []
        var p = 0
        for _ in 0..<entries {
            guard p + 46 <= cd.count, cd[p] == 0x50, cd[p + 1] == 0x4B, cd[p + 2] == 1, cd[p + 3] == 2 else { return nil }
            let madeBy = cd.le16(p + 4) >> 8
            let flags = cd.le16(p + 8), method = cd.le16(p + 10)
            let compressed = cd.le32(p + 20), uncompressed = cd.le32(p + 24)
            let nameLength = cd.le16(p + 28), extraLength = cd.le16(p + 30), commentLength = cd.le16(p + 32)
            let external = cd.le32(p + 38)
            let local = cd.le32(p + 42)
            guard compressed != 0xFFFF_FFFF, local != 0xFFFF_FFFF, cd.le32(p + 24) != 0xFFFF_FFFF else { return nil }
            guard p + 46 + nameLength <= cd.count else { return nil }
            let name = cd[(p + 46)..<(p + 46 + nameLength)]
            p += 46 + nameLength + extraLength + commentLength
            guard p <= cd.count else { return nil }
            let mode = (external >> 16) & 0o170000
            if name.last == UInt8(ascii: "/") || (madeBy == 3 && mode == 0o040000) { continue }  // a folder
            if madeBy == 3 && mode == 0o120000 { continue }  // a symbolic link: its target stays framing
            guard let lh = r.bytes(local, 30), lh[0] == 0x50, lh[1] == 0x4B, lh[2] == 3, lh[3] == 4 else { return nil }
            let start = local + 30 + Int64(lh.le16(26)) + Int64(lh.le16(28))
            guard start <= cdOffset, compressed <= cdOffset - start else { return nil }
            let data = start..<(start + compressed)
            if flags & 0x1 != 0 {
                members.append(.init(size: uncompressed, data: nil, stored: false))  // encrypted
            } else if method == 0 {
                // Stored, with one size throughout: the bytes are the member's.
                members.append(.init(size: uncompressed, data: compressed == uncompressed ? data : nil, stored: true))
            } else if method == 8 {
                // Deflate: a reader that stopped exactly at the data's end left nothing after the
                // stream unread. (libarchive's seekable reader takes the sizes from the central
                // directory and does not consume a data descriptor: measured, it stops at the data's
                // end; a reader that went further is not trusted.)
                members.append(.init(size: uncompressed, data: data, stored: false, endAfterRead: data.upperBound))
            } else {
                members.append(.init(size: uncompressed, data: nil, stored: false))
            }
        }
        guard p == cd.count else { return nil }
        return members
    }
}
