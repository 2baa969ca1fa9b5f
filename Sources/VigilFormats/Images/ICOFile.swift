import VigilBinary

/// An ICO (or CUR) file: the directory, each image's range and format, where the last image ends, and
/// the bytes after it.
public struct ICOFile: Codable, Hashable, Sendable {
    /// The most directory entries read (the field is 16-bit; real icons have fewer than 20).
    public static let maxEntries = 1024

    /// 1 icon, 2 cursor.
    public var type: UInt16
    /// `idCount` as stored.
    public var declaredCount: UInt16
    public var entries: [ICOEntry]
    /// Absolute offset just past the furthest image (or the directory when there is none).
    public var imagesEnd: Int
    /// Bytes after ``imagesEnd`` to the end of the file.
    public var trailing: TrailingData?
    public var fileSize: Int
    public var problems: [FormatIssue]

    public init(type: UInt16, declaredCount: UInt16, fileSize: Int) {
        self.type = type
        self.declaredCount = declaredCount
        self.entries = []
        self.imagesEnd = 0
        self.trailing = nil
        self.fileSize = fileSize
        self.problems = []
    }

    /// Parses an ICO/CUR file. Never throws: problems are listed with offsets.
    public static func parse(_ bytes: [UInt8]) -> ICOFile {
        let reader = ByteReader(bytes)
        guard let reserved = try? reader.u16le(at: 0), let type = try? reader.u16le(at: 2),
            let count = try? reader.u16le(at: 4)
        else {
            var ico = ICOFile(type: 0, declaredCount: 0, fileSize: bytes.count)
            ico.problems.append(FormatIssue(area: "image", offset: 0, message: "ICONDIR header truncated (6 bytes needed)"))
            return ico
        }
        var ico = ICOFile(type: type, declaredCount: count, fileSize: bytes.count)
        if reserved != 0 { ico.problems.append(FormatIssue(area: "image", offset: 0, message: "reserved field is \(reserved), not 0")) }
        if type != 1, type != 2 { ico.problems.append(FormatIssue(area: "image", offset: 2, message: "type \(type) is neither icon (1) nor cursor (2)")) }
        var n = Int(count)
        if n > maxEntries {
            ico.problems.append(FormatIssue(area: "image", offset: 4, message: "count \(count) exceeds the cap of \(maxEntries)"))
            n = maxEntries
        }
        var furthest = 6
        var ranges: [(Range<Int>, Int)] = []
        for index in 0..<n {
            let at = 6 + index * 16
            guard let e = try? reader.slice(at: at, length: 16) else {
                ico.problems.append(FormatIssue(area: "image", offset: at, message: "directory entry \(index) truncated"))
                break
            }
            furthest = max(furthest, at + 16)
            let b = Array(e)
            let size = UInt32(b[8]) | UInt32(b[9]) << 8 | UInt32(b[10]) << 16 | UInt32(b[11]) << 24
            let offset = UInt32(b[12]) | UInt32(b[13]) << 8 | UInt32(b[14]) << 16 | UInt32(b[15]) << 24
            var entry = ICOEntry(
                index: index, width: b[0] == 0 ? 256 : Int(b[0]), height: b[1] == 0 ? 256 : Int(b[1]),
                colorCount: b[2], planes: UInt16(b[4]) | UInt16(b[5]) << 8, bitCount: UInt16(b[6]) | UInt16(b[7]) << 8,
                size: size, offset: offset)
            let start = Int(offset), length = Int(size)
            if !reader.contains(offset: start, length: length) || length == 0 {
                ico.problems.append(
                    FormatIssue(area: "image", offset: at, message: "image \(index) range \(offset)+\(size) lies outside the file of \(bytes.count) bytes"))
                entry.format = .outOfRange
                ico.entries.append(entry)
                continue
            }
            let range = start..<(start + length)
            if start < 6 + n * 16 {
                ico.problems.append(FormatIssue(area: "image", offset: at, message: "image \(index) overlaps the directory"))
            }
            if let (_, other) = ranges.first(where: { $0.0.overlaps(range) }) {
                ico.problems.append(FormatIssue(area: "image", offset: at, message: "image \(index) overlaps image \(other)"))
            }
            ranges.append((range, index))
            furthest = max(furthest, range.upperBound)
            if PNGImage.hasSignature(reader, at: start) {
                entry.format = .png
                let png = PNGImage.parse(reader, at: start, end: range.upperBound)
                entry.png = png
                ico.problems.append(contentsOf: png.problems)
            } else if let headerSize = try? reader.u32le(at: start), headerSize == 40 || headerSize == 108 || headerSize == 124 {
                entry.format = .bmp
            } else {
                entry.format = .unknown
                ico.problems.append(FormatIssue(area: "image", offset: start, message: "image \(index) is neither PNG nor a BITMAPINFOHEADER"))
            }
            ico.entries.append(entry)
        }
        ico.imagesEnd = min(furthest, bytes.count)
        if ico.imagesEnd < bytes.count, let rest = try? reader.slice(at: ico.imagesEnd, length: bytes.count - ico.imagesEnd) {
            ico.trailing = TrailingData(offset: ico.imagesEnd, bytes: rest)
        }
        return ico
    }
}

/// One ICONDIRENTRY and what its bytes are.
public struct ICOEntry: Codable, Hashable, Sendable {
    public enum Format: String, Codable, Hashable, Sendable {
        case png, bmp, unknown
        case outOfRange = "out-of-range"
    }

    public var index: Int
    /// Width and height in pixels (a stored 0 means 256).
    public var width: Int
    public var height: Int
    public var colorCount: UInt8
    /// Planes (icon) or hotspot x (cursor).
    public var planes: UInt16
    /// Bits per pixel (icon) or hotspot y (cursor).
    public var bitCount: UInt16
    /// `dwBytesInRes`.
    public var size: UInt32
    /// `dwImageOffset`.
    public var offset: UInt32
    public var format: Format
    /// The PNG inside the entry (PNG-in-ICO); its ``PNGImage/trailing`` holds bytes inside the entry
    /// after `IEND`.
    public var png: PNGImage?

    public init(
        index: Int, width: Int, height: Int, colorCount: UInt8, planes: UInt16, bitCount: UInt16, size: UInt32,
        offset: UInt32
    ) {
        self.index = index
        self.width = width
        self.height = height
        self.colorCount = colorCount
        self.planes = planes
        self.bitCount = bitCount
        self.size = size
        self.offset = offset
        self.format = .unknown
        self.png = nil
    }
}
