import Foundation

/// A UDIF disk image (.dmg): its `koly` trailer and `blkx` chunk tables, checked but not yet decoded.
public struct UDIFImage: Sendable {
    public let koly: KolyTrailer
    public let tables: [BlockTable]
    /// The disk size in bytes (koly sector count x 512).
    public var diskBytes: UInt64 { koly.sectorCount &* 512 }

    /// Whether the file at `path` ends with a `koly` trailer.
    public static func isUDIF(path: String) -> Bool {
        guard let file = try? InputFile(path: path), file.size >= UInt64(KolyTrailer.size),
              let tail = try? file.read(at: file.size - UInt64(KolyTrailer.size), count: KolyTrailer.size) else { return false }
        return KolyTrailer.hasSignature(tail)
    }

    /// Reads and checks the trailer, the property list and every `mish` table of the image at `path`.
    public static func read(path: String, limits: DiskImageLimits = DiskImageLimits()) throws(DiskImageError) -> UDIFImage {
        try read(file: InputFile(path: path), limits: limits)
    }

    static func read(file: InputFile, limits: DiskImageLimits) throws(DiskImageError) -> UDIFImage {
        try read(DiskBytes(size: file.size) { (offset: UInt64, count: Int) throws(DiskImageError) -> [UInt8] in
            try file.read(at: offset, count: count)
        }, limits: limits)
    }

    /// Reads and checks the trailer, the property list and every `mish` table of an image held in
    /// memory (tests, fuzzing).
    public static func read(bytes: [UInt8], limits: DiskImageLimits = DiskImageLimits()) throws(DiskImageError) -> UDIFImage {
        try read(DiskBytes(bytes), limits: limits)
    }

    /// Decodes an image held in memory into the disk's bytes (tests, fuzzing: keep
    /// ``DiskImageLimits/maximumDiskBytes`` small, the whole disk is one array).
    public static func decode(bytes: [UInt8], limits: DiskImageLimits) throws(DiskImageError) -> (disk: [UInt8], notices: [DiskImageNotice]) {
        let image = try read(bytes: bytes, limits: limits)
        var disk = [UInt8](repeating: 0, count: Int(image.diskBytes))
        var budget = limits.maximumWrittenBytes
        var notices: [DiskImageNotice] = []
        try image.decode(from: DiskBytes(bytes), budget: &budget, notices: &notices) { (chunk: [UInt8], offset: UInt64) throws(DiskImageError) in
            disk.replaceSubrange(Int(offset)..<(Int(offset) + chunk.count), with: chunk)
        }
        return (disk, notices)
    }

    static func read(_ file: DiskBytes, limits: DiskImageLimits) throws(DiskImageError) -> UDIFImage {
        guard file.size >= UInt64(KolyTrailer.size) else {
            throw DiskImageError(.notRecognised, "\(file.size) bytes: too short for a UDIF trailer")
        }
        let koly = try KolyTrailer(bytes: file.read(at: file.size - UInt64(KolyTrailer.size), count: KolyTrailer.size), fileSize: file.size)
        guard koly.sectorCount <= limits.maximumDiskBytes / 512 else {
            throw DiskImageError(.limitExceeded, "the disk declares \(koly.sectorCount) sectors, more than the limit of \(limits.maximumDiskBytes) bytes")
        }
        guard koly.xmlLength > 0 else {
            throw DiskImageError(.unsupported, "no XML property list (an old image with only a resource fork)")
        }
        guard koly.xmlLength <= UInt64(limits.maximumPropertyListBytes) else {
            throw DiskImageError(.limitExceeded, "the XML property list is \(koly.xmlLength) bytes, more than the limit of \(limits.maximumPropertyListBytes)")
        }
        let xml = try file.read(at: koly.xmlOffset, count: Int(koly.xmlLength))
        let tables = try BlockTableParser.blockTables(xml: xml, koly: koly, limits: limits)
        // Sector runs must not overlap: two chunks writing the same sectors make the disk ambiguous.
        var runs: [Chunk] = tables.flatMap { $0.chunks }.filter { $0.sectorCount > 0 }
        runs.sort { $0.sector < $1.sector }
        for i in runs.indices.dropFirst() {
            let prev = runs[i - 1], cur = runs[i]
            if cur.sector < prev.sector + prev.sectorCount {
                throw DiskImageError(.malformed, "blkx entry \(cur.table) chunk \(cur.index) (sector \(cur.sector)) overlaps blkx entry \(prev.table) chunk \(prev.index) (sectors \(prev.sector)+\(prev.sectorCount))")
            }
        }
        return UDIFImage(koly: koly, tables: tables)
    }

    /// Decodes every chunk into `output` (sized to the disk; zero runs stay sparse). Unsupported
    /// compressions (LZFSE, unknown types) leave their sectors as zeros and add a notice.
    /// - Parameter budget: bytes still allowed to be written; reduced as chunks are written.
    func decode(from file: InputFile, into output: PrivateFile, budget: inout UInt64, notices: inout [DiskImageNotice]) throws(DiskImageError) {
        try output.setSize(diskBytes)
        let source = DiskBytes(size: file.size) { (offset: UInt64, count: Int) throws(DiskImageError) -> [UInt8] in
            try file.read(at: offset, count: count)
        }
        try decode(from: source, budget: &budget, notices: &notices) { (bytes: [UInt8], offset: UInt64) throws(DiskImageError) in
            try output.write(bytes, at: offset)
        }
    }

    /// Decodes every chunk of `file` and hands each non-zero decoded run to `write` with its disk offset.
    func decode(from file: DiskBytes, budget: inout UInt64, notices: inout [DiskImageNotice],
                write: ([UInt8], UInt64) throws(DiskImageError) -> Void) throws(DiskImageError) {
        for table in tables {
            for chunk in table.chunks where chunk.sectorCount > 0 {
                let label = "blkx entry \(chunk.table) ('\(table.name)'), chunk \(chunk.index) (\(chunk.kind))"
                switch chunk.kind {
                case .zeroFill, .ignore, .comment, .terminator:
                    continue
                case .lzfse:
                    notices.append(DiskImageNotice("unsupported compression LZFSE in chunk \(chunk.index) of blkx entry \(chunk.table) ('\(table.name)'): sectors \(chunk.sector)+\(chunk.sectorCount) read as zeros"))
                    continue
                case .unknown:
                    notices.append(DiskImageNotice("unsupported compression \(chunk.kind) in chunk \(chunk.index) of blkx entry \(chunk.table) ('\(table.name)'): sectors \(chunk.sector)+\(chunk.sectorCount) read as zeros"))
                    continue
                case .raw, .adc, .zlib, .bzip2, .lzma:
                    break
                }
                let expected = Int(chunk.sectorCount) * 512  // stored kinds: capped by maximumChunkBytes in the parser
                guard UInt64(expected) <= budget else {
                    throw DiskImageError(.limitExceeded, "\(label): decoding would pass the limit on bytes written for one image")
                }
                let stored = try file.read(at: chunk.fileOffset, count: Int(chunk.storedLength))
                let bytes: [UInt8]
                if chunk.kind == .raw {
                    guard stored.count == expected else {
                        throw DiskImageError(.malformed, "\(label): \(stored.count) stored bytes for \(chunk.sectorCount) sectors (\(expected) bytes)")
                    }
                    bytes = stored
                } else {
                    do {
                        bytes = try ChunkDecoders.decode(chunk.kind, stored, expected: expected)
                    } catch {
                        throw DiskImageError(.malformed, "\(label) at file offset \(chunk.fileOffset): \(error.message)")
                    }
                }
                if bytes.contains(where: { $0 != 0 }) {
                    try write(bytes, chunk.sector * 512)
                }
                budget -= UInt64(expected)
            }
        }
    }
}
