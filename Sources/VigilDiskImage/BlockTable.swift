import Foundation
import VigilBinary

/// How one run of sectors is stored in a UDIF data fork (the `mish` chunk type).
public enum ChunkKind: Sendable, Hashable, CustomStringConvertible {
    case zeroFill, raw, ignore, adc, zlib, bzip2, lzfse, lzma, comment, terminator
    case unknown(UInt32)

    init(code: UInt32) {
        switch code {
        case 0x0000_0000: self = .zeroFill
        case 0x0000_0001: self = .raw
        case 0x0000_0002: self = .ignore
        case 0x8000_0004: self = .adc
        case 0x8000_0005: self = .zlib
        case 0x8000_0006: self = .bzip2
        case 0x8000_0007: self = .lzfse
        case 0x8000_0008: self = .lzma
        case 0x7FFF_FFFE: self = .comment
        case 0xFFFF_FFFF: self = .terminator
        default: self = .unknown(code)
        }
    }

    public var description: String {
        switch self {
        case .zeroFill: "zero-fill"
        case .raw: "raw"
        case .ignore: "ignore"
        case .adc: "ADC"
        case .zlib: "zlib"
        case .bzip2: "bzip2"
        case .lzfse: "LZFSE"
        case .lzma: "LZMA"
        case .comment: "comment"
        case .terminator: "terminator"
        case .unknown(let code): "unknown type 0x" + String(code, radix: 16)
        }
    }
}

/// One chunk of a `mish` table, with its sector run made absolute (disk sectors of 512 bytes) and its
/// compressed range made absolute (file offsets).
public struct Chunk: Sendable, Hashable {
    public var kind: ChunkKind
    /// First disk sector.
    public var sector: UInt64
    public var sectorCount: UInt64
    /// File offset of the stored bytes.
    public var fileOffset: UInt64
    public var storedLength: UInt64
    /// Which `blkx` entry and which chunk of it (0-based), for messages.
    public var table: Int
    public var index: Int
}

/// One `blkx` entry: a named partition-sized run of the disk and its chunks.
public struct BlockTable: Sendable, Hashable {
    public var name: String
    public var firstSector: UInt64
    public var sectorCount: UInt64
    public var chunks: [Chunk]
}

enum BlockTableParser {
    static let mishHeaderSize = 204
    static let chunkSize = 40

    /// Reads the `resource-fork` / `blkx` array of the XML property list.
    static func blockTables(xml: [UInt8], koly: KolyTrailer, limits: DiskImageLimits) throws(DiskImageError) -> [BlockTable] {
        let root: PropertyList.Value
        do {
            root = try PropertyList.parse(xml)
        } catch {
            throw DiskImageError(.malformed, "the UDIF property list does not parse: \(error.message)")
        }
        guard case .dict(let dict) = root, case .dict(let fork)? = dict["resource-fork"] else {
            throw DiskImageError(.malformed, "the UDIF property list has no 'resource-fork' dictionary")
        }
        guard case .array(let blkx)? = fork["blkx"] else {
            throw DiskImageError(.malformed, "the UDIF property list has no 'blkx' array")
        }
        guard blkx.count <= limits.maximumBlockTables else {
            throw DiskImageError(.limitExceeded, "\(blkx.count) blkx entries, more than the limit of \(limits.maximumBlockTables)")
        }
        var tables: [BlockTable] = []
        var totalChunks = 0
        for (i, item) in blkx.enumerated() {
            guard case .dict(let entry) = item, case .data(let data)? = entry["Data"] else {
                throw DiskImageError(.malformed, "blkx entry \(i) has no 'Data' (the base64 mish block)")
            }
            let name = entry["Name"]?.string ?? entry["CFName"]?.string ?? "blkx \(i)"
            let table = try mish(data, table: i, name: name, koly: koly, limits: limits, chunksSoFar: totalChunks)
            totalChunks += table.chunks.count
            tables.append(table)
        }
        return tables
    }

    /// Parses one `mish` block (BLKXTable) and checks every chunk against the table, the disk and the
    /// data fork.
    static func mish(_ bytes: [UInt8], table: Int, name: String, koly: KolyTrailer, limits: DiskImageLimits, chunksSoFar: Int) throws(DiskImageError) -> BlockTable {
        let where_ = "blkx entry \(table) ('\(name)')"
        let r = ByteReader(bytes)
        guard bytes.count >= mishHeaderSize, bytes[0] == 0x6D, bytes[1] == 0x69, bytes[2] == 0x73, bytes[3] == 0x68 else {
            throw DiskImageError(.malformed, "\(where_): no 'mish' block (\(bytes.count) bytes)")
        }
        do {
            let first = try r.u64be(at: 8)
            let count = try r.u64be(at: 16)
            let dataOffset = try r.u64be(at: 24)
            let declaredChunks = try r.u32be(at: 200)
            guard KolyTrailer.inside(first, count, koly.sectorCount) else {
                throw DiskImageError(.malformed, "\(where_): sectors \(first)+\(count) lie past the end of the \(koly.sectorCount)-sector disk")
            }
            guard chunksSoFar + Int(declaredChunks) <= limits.maximumChunks else {
                throw DiskImageError(.limitExceeded, "\(where_): \(declaredChunks) chunks bring the image past the limit of \(limits.maximumChunks)")
            }
            let room = (bytes.count - mishHeaderSize) / chunkSize
            guard Int(declaredChunks) <= room else {
                throw DiskImageError(.malformed, "\(where_): declares \(declaredChunks) chunks but holds only \(room)")
            }
            var chunks: [Chunk] = []
            chunks.reserveCapacity(Int(declaredChunks))
            for c in 0..<Int(declaredChunks) {
                let at = mishHeaderSize + c * chunkSize
                let kind = ChunkKind(code: try r.u32be(at: at))
                if kind == .terminator { break }
                if kind == .comment { continue }
                let relSector = try r.u64be(at: at + 8)
                let sectors = try r.u64be(at: at + 16)
                let offset = try r.u64be(at: at + 24)
                let length = try r.u64be(at: at + 32)
                let label = "\(where_), chunk \(c) (\(kind))"
                guard KolyTrailer.inside(relSector, sectors, count) else {
                    throw DiskImageError(.malformed, "\(label): sectors \(relSector)+\(sectors) lie past the table's \(count) sectors")
                }
                guard sectors <= UInt64(limits.maximumChunkBytes / 512) || kind == .zeroFill || kind == .ignore else {
                    throw DiskImageError(.limitExceeded, "\(label): \(sectors) sectors, more than the per-chunk limit of \(limits.maximumChunkBytes) bytes")
                }
                // Stored bytes: data fork offset + table data offset + chunk offset, inside the data fork.
                var fileOffset: UInt64 = 0
                if kind != .zeroFill && kind != .ignore {
                    let (rel, o1) = dataOffset.addingReportingOverflow(offset)
                    guard !o1, KolyTrailer.inside(rel, length, koly.dataForkLength) else {
                        throw DiskImageError(.malformed, "\(label): stored bytes \(offset)+\(length) lie outside the \(koly.dataForkLength)-byte data fork")
                    }
                    guard length <= UInt64(limits.maximumChunkBytes) else {
                        throw DiskImageError(.limitExceeded, "\(label): \(length) stored bytes, more than the per-chunk limit of \(limits.maximumChunkBytes)")
                    }
                    fileOffset = koly.dataForkOffset + rel
                }
                chunks.append(Chunk(kind: kind, sector: first + relSector, sectorCount: sectors, fileOffset: fileOffset,
                                    storedLength: length, table: table, index: c))
            }
            return BlockTable(name: name, firstSector: first, sectorCount: count, chunks: chunks)
        } catch let error as DiskImageError {
            throw error
        } catch {
            throw DiskImageError(.malformed, "\(where_): \(error)")
        }
    }
}
