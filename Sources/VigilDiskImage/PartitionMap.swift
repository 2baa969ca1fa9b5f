import VigilBinary

/// Random access to a disk: a byte count and a bounds-checked read.
public struct DiskBytes {
    public let size: UInt64
    let readBytes: (UInt64, Int) throws(DiskImageError) -> [UInt8]

    public init(size: UInt64, read: @escaping (UInt64, Int) throws(DiskImageError) -> [UInt8]) {
        self.size = size
        self.readBytes = read
    }

    /// A disk held in memory (tests, fuzzing).
    public init(_ bytes: [UInt8]) {
        self.size = UInt64(bytes.count)
        self.readBytes = { (offset: UInt64, count: Int) throws(DiskImageError) -> [UInt8] in
            guard count >= 0, KolyTrailer.inside(offset, UInt64(count), UInt64(bytes.count)) else {
                throw DiskImageError(.malformed, "\(count) bytes at offset \(offset) lie past the end of the \(bytes.count)-byte disk")
            }
            return Array(bytes[Int(offset)..<(Int(offset) + count)])
        }
    }

    /// Exactly `count` bytes at `offset`, or an error when the range leaves the disk.
    public func read(at offset: UInt64, count: Int) throws(DiskImageError) -> [UInt8] {
        guard count >= 0, KolyTrailer.inside(offset, UInt64(count), size) else {
            throw DiskImageError(.malformed, "\(count) bytes at offset \(offset) lie past the end of the \(size)-byte disk")
        }
        return try readBytes(offset, count)
    }
}

/// The file system a partition holds, by its type and the signature at its start.
public enum FileSystemKind: String, Sendable, Hashable {
    case hfsPlus = "HFS+"
    case hfsx = "HFSX"
    case apfs = "APFS"
    case other
}

/// One partition (or the whole disk, for a bare volume).
public struct Partition: Sendable, Hashable {
    public enum Scheme: String, Sendable, Hashable {
        case gpt = "GPT"
        case appleMap = "Apple Partition Map"
        case bare = "bare volume"
    }

    public var scheme: Scheme
    /// 0-based position in the map.
    public var index: Int
    public var name: String
    /// GPT type GUID or APM type string.
    public var type: String
    public var offset: UInt64
    public var length: UInt64
    /// What the first bytes of the partition say (nil: not looked at, or nothing known).
    public var fileSystem: FileSystemKind
}

/// The partitions of a disk and what was odd about its map.
public struct PartitionListing: Sendable, Hashable {
    public var partitions: [Partition] = []
    public var notices: [DiskImageNotice] = []
}

/// Reads GPT and Apple Partition Map disks, or a disk that is one bare HFS+/APFS volume.
public enum PartitionMap {
    static let hfsPlusGUID = "48465300-0000-11AA-AA11-00306543ECAC"
    static let apfsGUID = "7C3457EF-0000-11AA-AA11-00306543ECAC"

    /// The partitions of `disk` that hold something, each with the file system found at its start.
    /// Entries that point outside the disk are reported as notices, not listed.
    public static func read(_ disk: DiskBytes, limits: DiskImageLimits = DiskImageLimits()) throws(DiskImageError) -> PartitionListing {
        // A bare volume first: a GPT or APM disk never has an HFS+ header at 1024 or NXSB at 32.
        let bare = fileSystem(in: disk, at: 0)
        if bare != .other {
            return PartitionListing(partitions: [Partition(scheme: .bare, index: 0, name: "", type: bare.rawValue, offset: 0, length: disk.size, fileSystem: bare)])
        }
        for sectorSize in [512, 4096] where disk.size >= UInt64(sectorSize) * 2 {
            if let head = try? disk.read(at: UInt64(sectorSize), count: 8), head == Array("EFI PART".utf8) {
                return try gpt(disk, sectorSize: sectorSize, limits: limits)
            }
        }
        if disk.size >= 1024, let ddm = try? disk.read(at: 0, count: 2), ddm == [0x45, 0x52] {  // "ER"
            return try appleMap(disk, limits: limits)
        }
        if disk.size >= 1024, let pm = try? disk.read(at: 512, count: 2), pm == [0x50, 0x4D] {  // "PM" without a DDM
            return try appleMap(disk, limits: limits)
        }
        throw DiskImageError(.notRecognised, "no GPT, Apple Partition Map, HFS+ or APFS volume found on the \(disk.size)-byte disk")
    }

    /// The file system whose signature is at `offset`: HFS+ "H+" / HFSX "HX" at +1024, APFS "NXSB" at +32.
    public static func fileSystem(in disk: DiskBytes, at offset: UInt64) -> FileSystemKind {
        if let sig = try? disk.read(at: offset &+ 1024, count: 4) {
            if sig == [0x48, 0x2B, 0x00, 0x04] { return .hfsPlus }
            if sig == [0x48, 0x58, 0x00, 0x05] { return .hfsx }
        }
        if let sig = try? disk.read(at: offset &+ 32, count: 4), sig == Array("NXSB".utf8) { return .apfs }
        return .other
    }

    static func gpt(_ disk: DiskBytes, sectorSize: Int, limits: DiskImageLimits) throws(DiskImageError) -> PartitionListing {
        var listing = PartitionListing()
        let sector = UInt64(sectorSize)
        let header = ByteReader(try disk.read(at: sector, count: 92))
        do {
            let entriesLBA = try header.u64le(at: 72)
            let count = try header.u32le(at: 80)
            let entrySize = try header.u32le(at: 84)
            guard entrySize >= 128, entrySize <= 4096, entrySize % 8 == 0 else {
                throw DiskImageError(.malformed, "GPT partition entry size \(entrySize) is not a multiple of 8 between 128 and 4096")
            }
            let examined = min(Int(count), limits.maximumPartitions)
            if Int(count) > examined {
                listing.notices.append(DiskImageNotice("GPT declares \(count) partition entries; only the first \(examined) were examined (limit)"))
            }
            let (tableOffset, o1) = entriesLBA.multipliedReportingOverflow(by: sector)
            let tableBytes = examined * Int(entrySize)
            guard !o1, KolyTrailer.inside(tableOffset, UInt64(tableBytes), disk.size) else {
                throw DiskImageError(.malformed, "GPT partition entries at LBA \(entriesLBA) lie past the end of the disk")
            }
            let table = ByteReader(try disk.read(at: tableOffset, count: tableBytes))
            for i in 0..<examined {
                let at = i * Int(entrySize)
                let type = try guid(table, at: at)
                if type == "00000000-0000-0000-0000-000000000000" { continue }
                let first = try table.u64le(at: at + 32)
                let last = try table.u64le(at: at + 40)
                var units: [UInt16] = []
                for k in 0..<36 {
                    let u = try table.u16le(at: at + 56 + 2 * k)
                    if u == 0 { break }
                    units.append(u)
                }
                let name = String(decoding: units, as: UTF16.self)
                let (start, o2) = first.multipliedReportingOverflow(by: sector)
                let (endLBA, o3) = last.addingReportingOverflow(1)
                let (end, o4) = endLBA.multipliedReportingOverflow(by: sector)
                guard !o2, !o3, !o4, last >= first, end <= disk.size else {
                    listing.notices.append(DiskImageNotice("GPT entry \(i) ('\(name)') spans LBA \(first)...\(last), outside the \(disk.size)-byte disk: not read"))
                    continue
                }
                let fs = fileSystem(in: disk, at: start)
                listing.partitions.append(Partition(scheme: .gpt, index: i, name: name, type: typeName(type), offset: start, length: end - start, fileSystem: fs))
            }
        } catch let error as DiskImageError {
            throw error
        } catch {
            throw DiskImageError(.malformed, "GPT: \(error)")
        }
        return listing
    }

    static func typeName(_ guid: String) -> String {
        switch guid {
        case hfsPlusGUID: "Apple HFS+ (\(guid))"
        case apfsGUID: "Apple APFS (\(guid))"
        case "C12A7328-F81F-11D2-BA4B-00A0C93EC93B": "EFI System (\(guid))"
        default: guid
        }
    }

    /// A GUID in its text form (the first three fields are little-endian on disk).
    static func guid(_ r: ByteReader, at: Int) throws -> String {
        let b = try Array(r.slice(at: at, length: 16))
        let order = [3, 2, 1, 0, 5, 4, 7, 6, 8, 9, 10, 11, 12, 13, 14, 15]
        var s = ""
        for (n, i) in order.enumerated() {
            if n == 4 || n == 6 || n == 8 || n == 10 { s += "-" }
            let h = String(b[i], radix: 16, uppercase: true)
            s += h.count == 1 ? "0" + h : h
        }
        return s
    }

    static func appleMap(_ disk: DiskBytes, limits: DiskImageLimits) throws(DiskImageError) -> PartitionListing {
        var listing = PartitionListing()
        var blockSize: UInt64 = 512
        if let ddm = try? disk.read(at: 0, count: 4), ddm[0] == 0x45, ddm[1] == 0x52 {
            let size = UInt64(ddm[2]) << 8 | UInt64(ddm[3])
            if size == 512 || size == 1024 || size == 2048 || size == 4096 { blockSize = size }
        }
        // The first map entry says how many entries the map has (pmMapBlkCnt).
        var count = 1
        var i = 0
        while i < count {
            let offset = blockSize * UInt64(i + 1)
            guard let raw = try? disk.read(at: offset, count: 512) else {
                listing.notices.append(DiskImageNotice("Apple Partition Map entry \(i) at offset \(offset) lies past the end of the disk"))
                break
            }
            let r = ByteReader(raw)
            guard raw[0] == 0x50, raw[1] == 0x4D else {
                listing.notices.append(DiskImageNotice("Apple Partition Map entry \(i) at offset \(offset) has no 'PM' signature; map ends there"))
                break
            }
            do {
                if i == 0 {
                    let declared = Int(try r.u32be(at: 4))
                    count = min(declared, limits.maximumPartitions)
                    if declared > count {
                        listing.notices.append(DiskImageNotice("Apple Partition Map declares \(declared) entries; only the first \(count) were examined (limit)"))
                    }
                }
                let start = UInt64(try r.u32be(at: 8)) * blockSize
                let length = UInt64(try r.u32be(at: 12)) * blockSize
                let name = try r.fixedString(at: 16, length: 32)
                let type = try r.fixedString(at: 48, length: 32)
                if KolyTrailer.inside(start, length, disk.size) {
                    let fs = fileSystem(in: disk, at: start)
                    listing.partitions.append(Partition(scheme: .appleMap, index: i, name: name, type: type, offset: start, length: length, fileSystem: fs))
                } else {
                    listing.notices.append(DiskImageNotice("Apple Partition Map entry \(i) ('\(name)', \(type)) spans \(start)+\(length), outside the \(disk.size)-byte disk: not read"))
                }
            } catch {
                listing.notices.append(DiskImageNotice("Apple Partition Map entry \(i): \(error)"))
            }
            i += 1
        }
        return listing
    }
}
