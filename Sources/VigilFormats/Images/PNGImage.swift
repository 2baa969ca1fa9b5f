import VigilBinary

/// A PNG image: its chunks with CRC checks, where `IEND` ends, and what follows it.
///
/// Built by ``PNGImage/parse(_:)`` (a whole file) or from inside an ICO entry. Never throws.
public struct PNGImage: Codable, Hashable, Sendable {
    public static let signature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
    /// The most chunks listed individually; more are counted and CRC-checked but not listed.
    public static let maxListedChunks = 4096

    /// Absolute offset of the PNG signature.
    public var offset: Int
    /// The chunks in order (up to ``maxListedChunks``).
    public var chunks: [PNGChunk]
    /// Total number of chunks read.
    public var chunkCount: Int
    /// Number of chunks whose stored CRC differs from the computed one.
    public var badCRCCount: Int
    /// From `IHDR`.
    public var width: UInt32?
    public var height: UInt32?
    public var bitDepth: UInt8?
    public var colorType: UInt8?
    /// Absolute offset just past the `IEND` chunk's CRC; `nil` when no `IEND` was found.
    public var iendEnd: Int?
    /// Bytes after `IEND` up to the end of the file (standalone PNG) or of the ICO entry.
    public var trailing: TrailingData?
    public var problems: [FormatIssue]

    public init(offset: Int) {
        self.offset = offset
        self.chunks = []
        self.chunkCount = 0
        self.badCRCCount = 0
        self.width = nil
        self.height = nil
        self.bitDepth = nil
        self.colorType = nil
        self.iendEnd = nil
        self.trailing = nil
        self.problems = []
    }

    /// Parses a whole PNG file.
    public static func parse(_ bytes: [UInt8]) -> PNGImage {
        parse(ByteReader(bytes), at: 0, end: bytes.count)
    }

    /// `true` when the bytes at `offset` start with the PNG signature.
    static func hasSignature(_ reader: ByteReader, at offset: Int) -> Bool {
        guard let head = try? reader.slice(at: offset, length: 8) else { return false }
        return head.elementsEqual(signature)
    }

    /// Parses a PNG stored in `offset ..< end` of `reader` (a file, or one ICO entry).
    static func parse(_ reader: ByteReader, at offset: Int, end: Int) -> PNGImage {
        var png = PNGImage(offset: offset)
        guard hasSignature(reader, at: offset), end - offset >= 8 else {
            png.problems.append(FormatIssue(area: "image", offset: offset, message: "no PNG signature"))
            return png
        }
        var at = offset + 8
        while at < end {
            guard at + 12 <= end, let length = try? reader.u32be(at: at), let typeBytes = try? reader.slice(at: at + 4, length: 4)
            else {
                png.problems.append(FormatIssue(area: "image", offset: at, message: "chunk header truncated (\(end - at) bytes left)"))
                break
            }
            let type = String(decoding: typeBytes, as: UTF8.self)
            if length > 0x7FFF_FFFF || Int(length) > end - at - 12 {
                png.problems.append(
                    FormatIssue(area: "image", offset: at, message: "chunk \(type) length \(length) runs past the end (\(end - at - 12) bytes left)"))
                break
            }
            if !typeBytes.allSatisfy({ (0x41...0x5A).contains($0) || (0x61...0x7A).contains($0) }) {
                png.problems.append(FormatIssue(area: "image", offset: at + 4, message: "chunk type \(Hex.string(typeBytes)) is not four letters"))
            }
            let dataAt = at + 8
            let crcAt = dataAt + Int(length)
            guard let covered = try? reader.slice(at: at + 4, length: Int(length) + 4), let stored = try? reader.u32be(at: crcAt)
            else { break }
            let computed = CRC32.checksum(covered)
            png.chunkCount += 1
            if computed != stored {
                png.badCRCCount += 1
                png.problems.append(
                    FormatIssue(area: "image", offset: crcAt,
                        message: "chunk \(type) CRC 0x\(String(stored, radix: 16)) != computed 0x\(String(computed, radix: 16))"))
            }
            if png.chunks.count < maxListedChunks {
                png.chunks.append(
                    PNGChunk(type: type, offset: at, length: length, storedCRC: stored, computedCRC: computed))
            }
            if png.chunkCount == 1, type != "IHDR" {
                png.problems.append(FormatIssue(area: "image", offset: at, message: "first chunk is \(type), not IHDR"))
            }
            if type == "IHDR", length >= 13 {
                png.width = try? reader.u32be(at: dataAt)
                png.height = try? reader.u32be(at: dataAt + 4)
                png.bitDepth = try? reader.u8(at: dataAt + 8)
                png.colorType = try? reader.u8(at: dataAt + 9)
            }
            at = crcAt + 4
            if type == "IEND" {
                png.iendEnd = at
                break
            }
        }
        if png.iendEnd == nil {
            png.problems.append(FormatIssue(area: "image", offset: at, message: "no IEND chunk"))
        }
        if let iendEnd = png.iendEnd, iendEnd < end, let rest = try? reader.slice(at: iendEnd, length: end - iendEnd) {
            png.trailing = TrailingData(offset: iendEnd, bytes: rest)
        }
        return png
    }
}

/// One PNG chunk.
public struct PNGChunk: Codable, Hashable, Sendable {
    public var type: String
    /// Absolute offset of the chunk's length field.
    public var offset: Int
    public var length: UInt32
    public var storedCRC: UInt32
    public var computedCRC: UInt32

    public init(type: String, offset: Int, length: UInt32, storedCRC: UInt32, computedCRC: UInt32) {
        self.type = type
        self.offset = offset
        self.length = length
        self.storedCRC = storedCRC
        self.computedCRC = computedCRC
    }

    public var crcValid: Bool { storedCRC == computedCRC }
}
