import VigilBinary

/// Why a compound file could not be read. Every case names the place (offset, sector or entry id)
/// so a report can say where the file is broken.
public enum CFBError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The first eight bytes are not the compound-file signature.
    case notCompoundFile
    /// `needed` bytes were wanted at `offset`, past the end of the file.
    case truncated(offset: Int, needed: Int)
    /// The operating system refused a read.
    case io(String)
    /// A header field, directory entry or table holds a value the format does not allow.
    case malformed(String)
    /// A sector chain (FAT, DIFAT, mini FAT or directory) visits a sector twice.
    case chainCycle(String)
    /// The directory tree reaches entry `id` twice (a cycle in the red-black tree links).
    case directoryCycle(id: Int)
    /// A sector or entry reference points outside the file or the table.
    case badReference(String)
    /// A cap in ``CFBLimits`` (or a caller's byte cap) was exceeded.
    case limit(String)

    public var description: String {
        switch self {
        case .notCompoundFile: "not an OLE compound file (bad signature)"
        case .truncated(let offset, let needed): "truncated: \(needed) bytes needed at offset \(offset)"
        case .io(let m): "I/O error: \(m)"
        case .malformed(let m): "malformed compound file: \(m)"
        case .chainCycle(let m): "sector chain cycle: \(m)"
        case .directoryCycle(let id): "directory tree cycle: entry \(id) is reached twice"
        case .badReference(let m): "bad reference: \(m)"
        case .limit(let m): "limit exceeded: \(m)"
        }
    }
}

/// Caps applied while reading a compound file. The defaults hold real installers (the largest MSI
/// databases have a few thousand directory entries) and stop hostile ones early.
public struct CFBLimits: Sendable, Hashable {
    /// Directory entries read (each 128 bytes). Default 262,144 (32 MiB of directory).
    public var maxDirectoryEntries: Int = 262_144
    /// Nesting of storages inside storages. Default 32.
    public var maxStorageDepth: Int = 32
    /// Size of the mini stream loaded into memory. Default 256 MiB.
    public var maxMiniStreamBytes: Int = 256 << 20

    public init() {}
    /// The default limits.
    public static let `default` = CFBLimits()
}

/// One entry of the compound file's directory, reached from the root through the tree.
public struct CFBEntry: Sendable, Hashable {
    /// What an entry is.
    public enum Kind: UInt8, Sendable, Hashable {
        case storage = 1, stream = 2, root = 5
    }

    /// Index in the directory (stream id).
    public let id: Int
    /// The name as stored: UTF-16 code units without the terminating NUL. MSI table streams use
    /// code units in U+3800–U+4840 (see ``MSIStreamName``), so the raw units are kept.
    public let nameUnits: [UInt16]
    public let kind: Kind
    /// Declared stream size in bytes (for version 3 files only the low 32 bits count).
    public let size: UInt64
    /// First sector of the stream's chain (in the mini stream when `size` < the mini-stream cutoff).
    public let startSector: UInt32
    /// The storage that holds this entry (`nil` for the root).
    public let parent: Int?
    /// Storage names from the root (excluded) down to this entry (included).
    public let path: [String]

    /// The name decoded as UTF-16 (lone surrogates become U+FFFD).
    public var name: String { String(decoding: nameUnits, as: UTF16.self) }
}

/// A read-only OLE compound file ([MS-CFB], "Compound File Binary"): the container under MSI, MSP,
/// MST and legacy Office files.
///
/// Opening reads the header, the DIFAT, the FAT, the mini FAT, the directory and the mini stream;
/// stream contents are read on demand through the ``ByteSource``. Every chain is walked with a
/// visited set (a sector reached twice is ``CFBError/chainCycle(_:)``), every reference is range-checked,
/// and a stream whose declared size needs more sectors than the file has is refused before any read.
public struct CompoundFile: Sendable {
    static let signature: [UInt8] = [0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]
    static let freeSect: UInt32 = 0xFFFF_FFFF
    static let endOfChain: UInt32 = 0xFFFF_FFFE
    static let fatSect: UInt32 = 0xFFFF_FFFD
    static let difSect: UInt32 = 0xFFFF_FFFC
    static let maxRegSect: UInt32 = 0xFFFF_FFFA
    static let noStream: UInt32 = 0xFFFF_FFFF

    /// Where the bytes come from.
    public let source: any ByteSource
    /// Major version (3: 512-byte sectors, 4: 4096-byte sectors).
    public let majorVersion: Int
    /// Sector size in bytes.
    public let sectorSize: Int
    /// Mini sector size in bytes (64).
    public let miniSectorSize: Int
    /// Streams smaller than this live in the mini stream (4096).
    public let miniStreamCutoff: Int
    /// Every entry reachable from the root, in tree order (root first, then each storage's children
    /// in name order as the red-black tree stores them).
    public let entries: [CFBEntry]

    let fat: [UInt32]
    let miniFAT: [UInt32]
    let miniStream: [UInt8]
    /// Number of whole or partial sectors after the header.
    let fileSectors: Int

    /// Opens the compound file at `path`.
    public init(path: String, limits: CFBLimits = .default) throws(CFBError) {
        try self.init(source: FileByteSource(path: path), limits: limits)
    }

    /// Reads the compound file held in `bytes`.
    public init(bytes: [UInt8], limits: CFBLimits = .default) throws(CFBError) {
        try self.init(source: MemoryByteSource(bytes), limits: limits)
    }

    /// Reads the structure of the compound file in `source`.
    public init(source: any ByteSource, limits: CFBLimits = .default) throws(CFBError) {
        self.source = source
        guard source.size >= 512 else {
            if source.size >= 8, try source.read(offset: 0, count: 8) != Self.signature { throw .notCompoundFile }
            throw .truncated(offset: 0, needed: 512)
        }
        let header = try source.read(offset: 0, count: 512)
        guard Array(header[0..<8]) == Self.signature else { throw .notCompoundFile }
        let h = ByteReader(header)
        func u16(_ o: Int) -> UInt16 { (try? h.u16le(at: o)) ?? 0 }
        func u32(_ o: Int) -> UInt32 { (try? h.u32le(at: o)) ?? 0 }
        guard u16(0x1C) == 0xFFFE else { throw .malformed("byte order mark is 0x\(hex(u16(0x1C))), not 0xFFFE") }
        let major = Int(u16(0x1A))
        let shift = Int(u16(0x1E))
        guard (major == 3 && shift == 9) || (major == 4 && shift == 12) else {
            throw .malformed("version \(major) with sector shift \(shift) (only 3/9 and 4/12 exist)")
        }
        let miniShift = Int(u16(0x20))
        guard miniShift == 6 else { throw .malformed("mini sector shift \(miniShift), not 6") }
        let cutoff = Int(u32(0x38))
        guard cutoff == 4096 else { throw .malformed("mini stream cutoff \(cutoff), not 4096") }
        majorVersion = major
        sectorSize = 1 << shift
        miniSectorSize = 1 << miniShift
        miniStreamCutoff = cutoff
        fileSectors = (source.size - sectorSize + sectorSize - 1) / sectorSize
        guard source.size > sectorSize else { throw .truncated(offset: sectorSize, needed: sectorSize) }

        let perSector = sectorSize / 4
        // DIFAT: 109 entries in the header, then a chain of DIFAT sectors (last slot = next sector).
        let fatSectorCount = Int(u32(0x2C))
        guard fatSectorCount <= fileSectors else {
            throw .malformed("\(fatSectorCount) FAT sectors declared, the file has \(fileSectors) sectors")
        }
        var fatSectors: [UInt32] = []
        fatSectors.reserveCapacity(fatSectorCount)
        for i in 0..<109 where fatSectors.count < fatSectorCount {
            fatSectors.append(u32(0x4C + 4 * i))
        }
        var difat = u32(0x44)
        let difatCount = Int(u32(0x48))
        var seenDifat = Set<UInt32>()
        var difatRead = 0
        while fatSectors.count < fatSectorCount {
            guard difat <= Self.maxRegSect else {
                throw .malformed("DIFAT ends after \(fatSectors.count) of \(fatSectorCount) FAT sectors")
            }
            guard Int(difat) < fileSectors else { throw .badReference("DIFAT sector \(difat) is past the end of the file") }
            guard seenDifat.insert(difat).inserted else { throw .chainCycle("DIFAT sector \(difat) is reached twice") }
            guard difatRead < max(difatCount, 1) + fileSectors else { throw .limit("DIFAT chain longer than the file") }
            difatRead += 1
            let sector = ByteReader(try Self.readSector(source, difat, sectorSize))
            for i in 0..<(perSector - 1) where fatSectors.count < fatSectorCount {
                fatSectors.append((try? sector.u32le(at: 4 * i)) ?? Self.freeSect)
            }
            difat = (try? sector.u32le(at: sectorSize - 4)) ?? Self.endOfChain
        }
        // FAT.
        var fat: [UInt32] = []
        fat.reserveCapacity(fatSectorCount * perSector)
        for s in fatSectors {
            guard s <= Self.maxRegSect, Int(s) < fileSectors else {
                throw .badReference("FAT sector \(s) is past the end of the file (\(fileSectors) sectors)")
            }
            let sector = try Self.readSector(source, s, sectorSize)
            for i in 0..<perSector {
                let o = 4 * i
                fat.append(UInt32(sector[o]) | UInt32(sector[o + 1]) << 8 | UInt32(sector[o + 2]) << 16 | UInt32(sector[o + 3]) << 24)
            }
        }
        self.fat = fat

        // Directory.
        let dirMaxSectors = (limits.maxDirectoryEntries * 128 + sectorSize - 1) / sectorSize
        let dirChain = try Self.chain(start: u32(0x30), table: fat, bound: fileSectors, what: "directory",
                                      maxLength: dirMaxSectors + 1)
        guard !dirChain.isEmpty else { throw .malformed("the directory chain is empty") }
        guard dirChain.count <= dirMaxSectors else {
            throw .limit("directory longer than \(limits.maxDirectoryEntries) entries")
        }
        var dirBytes: [UInt8] = []
        dirBytes.reserveCapacity(dirChain.count * sectorSize)
        for s in dirChain { dirBytes += try Self.readSector(source, s, sectorSize) }
        let entryCount = min(dirBytes.count / 128, limits.maxDirectoryEntries)

        // Mini FAT.
        var miniFAT: [UInt32] = []
        let miniFATStart = u32(0x3C)
        if miniFATStart != Self.endOfChain && miniFATStart != Self.freeSect {
            let chain = try Self.chain(start: miniFATStart, table: fat, bound: fileSectors, what: "mini FAT",
                                       maxLength: fileSectors)
            for s in chain {
                let sector = ByteReader(try Self.readSector(source, s, sectorSize))
                for i in 0..<perSector { miniFAT.append((try? sector.u32le(at: 4 * i)) ?? Self.freeSect) }
            }
        }
        self.miniFAT = miniFAT

        // Directory tree from the root.
        let dir = ByteReader(dirBytes)
        func raw(_ id: Int) throws(CFBError) -> (units: [UInt16], type: UInt8, left: UInt32, right: UInt32, child: UInt32, start: UInt32, size: UInt64) {
            let o = id * 128
            do {
                let nameLen = Int(try dir.u16le(at: o + 64))
                guard nameLen <= 64, nameLen % 2 == 0 else { throw CFBError.malformed("directory entry \(id): name length \(nameLen)") }
                var units: [UInt16] = []
                for i in 0..<max(0, nameLen / 2 - 1) { units.append(try dir.u16le(at: o + 2 * i)) }
                var size = try dir.u64le(at: o + 120)
                if major == 3 { size &= 0xFFFF_FFFF }
                return (units, try dir.u8(at: o + 66), try dir.u32le(at: o + 68), try dir.u32le(at: o + 72),
                        try dir.u32le(at: o + 76), try dir.u32le(at: o + 116), size)
            } catch let e as CFBError {
                throw e
            } catch {
                throw .truncated(offset: o, needed: 128)
            }
        }
        let root = try raw(0)
        guard root.type == 5 else { throw .malformed("directory entry 0 is type \(root.type), not the root storage") }
        var visited = [Bool](repeating: false, count: entryCount)
        visited[0] = true
        var result: [CFBEntry] = [CFBEntry(id: 0, nameUnits: root.units, kind: .root, size: root.size,
                                           startSector: root.start, parent: nil, path: [])]
        // Storages still to expand: (entry id, child pointer, path, depth).
        var storages: [(id: Int, child: UInt32, path: [String], depth: Int)] = [(0, root.child, [], 0)]
        while let storage = storages.popLast() {
            // In-order walk of the storage's red-black tree, iterative with an explicit stack.
            var stack: [UInt32] = []
            var node = storage.child
            while node != Self.noStream || !stack.isEmpty {
                while node != Self.noStream {
                    guard Int(node) < entryCount else {
                        throw .badReference("directory link \(node) is past the \(entryCount) entries")
                    }
                    guard !visited[Int(node)] else { throw .directoryCycle(id: Int(node)) }
                    visited[Int(node)] = true
                    stack.append(node)
                    node = try raw(Int(node)).left
                }
                let id = Int(stack.removeLast())
                let e = try raw(id)
                guard let kind = CFBEntry.Kind(rawValue: e.type), kind != .root else {
                    throw .malformed("directory entry \(id) of type \(e.type) is linked into the tree")
                }
                let name = String(decoding: e.units, as: UTF16.self)
                let path = storage.path + [name]
                result.append(CFBEntry(id: id, nameUnits: e.units, kind: kind, size: kind == .stream ? e.size : 0,
                                       startSector: e.start, parent: storage.id, path: path))
                if kind == .storage {
                    guard storage.depth + 1 <= limits.maxStorageDepth else {
                        throw .limit("storages nested deeper than \(limits.maxStorageDepth) at entry \(id)")
                    }
                    storages.append((id, e.child, path, storage.depth + 1))
                }
                node = e.right
            }
        }

        // Mini stream: the root entry's chain in regular sectors.
        var mini: [UInt8] = []
        if root.size > 0 && !miniFAT.isEmpty {
            guard root.size <= UInt64(limits.maxMiniStreamBytes) else {
                throw .limit("mini stream of \(root.size) bytes (cap \(limits.maxMiniStreamBytes))")
            }
            mini = try Self.readRegular(source, start: root.start, size: Int(root.size), fat: fat,
                                        sectorSize: sectorSize, fileSectors: fileSectors, what: "mini stream")
        }
        self.miniStream = mini
        self.entries = result
    }

    /// The entries directly inside the storage `id` (0 is the root).
    public func children(of id: Int) -> [CFBEntry] { entries.filter { $0.parent == id } }

    /// The entry at `path` (storage names from the root, then the stream name), if present.
    public func entry(path: [String]) -> CFBEntry? { entries.first { $0.path == path } }

    /// The whole content of stream `entry`. Throws ``CFBError/limit(_:)`` when it is larger than `maxBytes`.
    public func read(_ entry: CFBEntry, maxBytes: Int) throws(CFBError) -> [UInt8] {
        guard entry.kind == .stream, entry.size >= UInt64(miniStreamCutoff), entry.size <= UInt64(maxBytes) else {
            var out: [UInt8] = []
            try forEachChunk(entry, maxBytes: maxBytes) { out += $0 }
            return out
        }
        // A regular stream: its runs are read straight into the result, without intermediate copies.
        let size = Int(entry.size)
        let need = (size + sectorSize - 1) / sectorSize
        guard need <= fileSectors else {
            throw .malformed("stream '\(entry.name)' declares \(size) bytes, more than the file holds (\(source.size))")
        }
        let chain = try Self.chain(start: entry.startSector, table: fat, bound: fileSectors,
                                   what: "stream '\(entry.name)'", maxLength: need)
        guard chain.count >= need else {
            throw .malformed("chain of '\(entry.name)' has \(chain.count) sectors, \(need) needed for \(size) bytes")
        }
        var failure: CFBError?
        let out = [UInt8](unsafeUninitializedCapacity: size) { buffer, initialized in
            let raw = UnsafeMutableRawBufferPointer(buffer)
            var done = 0
            var i = 0
            while i < chain.count && done < size {
                var run = 1
                while i + run < chain.count, chain[i + run] == chain[i] &+ UInt32(run) { run += 1 }
                let n = min(size - done, run * sectorSize)
                do throws(CFBError) {
                    try source.read(offset: (Int(chain[i]) + 1) * sectorSize,
                                    into: UnsafeMutableRawBufferPointer(rebasing: raw[done..<(done + n)]))
                } catch {
                    failure = error
                    break
                }
                done += n
                i += run
            }
            if failure != nil {
                initialized = 0
            } else {
                initialized = done
            }
        }
        if let failure { throw failure }
        return out
    }

    /// Calls `body` with the stream's content in chunks (a run of consecutive sectors up to 1 MiB, or a mini sector), without holding
    /// the whole stream in memory. Throws before the first chunk when the stream is larger than
    /// `maxBytes` or than the file could hold, and when the chain is cut short or loops.
    public func forEachChunk(_ entry: CFBEntry, maxBytes: Int, _ body: ([UInt8]) throws(CFBError) -> Void) throws(CFBError) {
        var chunks = try chunks(of: entry, maxBytes: maxBytes)
        while let chunk = try chunks.next() { try body(chunk) }
    }

    /// The stream's content as chunks taken one at a time (``forEachChunk(_:maxBytes:_:)`` the other
    /// way round, for a consumer that pulls: libarchive reading an embedded cabinet). The sector
    /// chain is followed and checked here, before the first chunk.
    public func chunks(of entry: CFBEntry, maxBytes: Int) throws(CFBError) -> StreamChunks {
        guard entry.kind == .stream else { throw .malformed("entry \(entry.id) is not a stream") }
        guard entry.size <= UInt64(maxBytes) else {
            throw .limit("stream '\(entry.name)' declares \(entry.size) bytes (cap \(maxBytes))")
        }
        let size = Int(entry.size)
        if size == 0 { return StreamChunks(file: self, mini: false, chain: [], size: 0) }
        if size < miniStreamCutoff {
            let need = (size + miniSectorSize - 1) / miniSectorSize
            let chain = try Self.chain(start: entry.startSector, table: miniFAT,
                                       bound: (miniStream.count + miniSectorSize - 1) / miniSectorSize,
                                       what: "mini stream of '\(entry.name)'", maxLength: need)
            guard chain.count >= need else {
                throw .malformed("mini chain of '\(entry.name)' has \(chain.count) sectors, \(need) needed for \(size) bytes")
            }
            return StreamChunks(file: self, mini: true, chain: Array(chain.prefix(need)), size: size)
        }
        let need = (size + sectorSize - 1) / sectorSize
        guard need <= fileSectors else {
            throw .malformed("stream '\(entry.name)' declares \(size) bytes, more than the file holds (\(source.size))")
        }
        let chain = try Self.chain(start: entry.startSector, table: fat, bound: fileSectors,
                                   what: "stream '\(entry.name)'", maxLength: need)
        guard chain.count >= need else {
            throw .malformed("chain of '\(entry.name)' has \(chain.count) sectors, \(need) needed for \(size) bytes")
        }
        return StreamChunks(file: self, mini: false, chain: chain, size: size)
    }

    /// One stream's content, a chunk at a time: a run of consecutive sectors up to 1 MiB (installers
    /// usually store a cabinet in one run, and a read per 512-byte sector would dominate extraction
    /// time), or one mini sector.
    public struct StreamChunks: Sendable {
        let file: CompoundFile
        let mini: Bool
        let chain: [UInt32]
        /// Bytes still to hand out.
        var left: Int
        var index = 0

        init(file: CompoundFile, mini: Bool, chain: [UInt32], size: Int) {
            self.file = file
            self.mini = mini
            self.chain = chain
            self.left = size
        }

        /// The next chunk, or `nil` after the last.
        public mutating func next() throws(CFBError) -> [UInt8]? {
            guard left > 0, index < chain.count else { return nil }
            if mini {
                let o = Int(chain[index]) * file.miniSectorSize
                let n = min(left, file.miniSectorSize)
                guard o + n <= file.miniStream.count else {
                    throw .truncated(offset: o, needed: n)  // offset within the mini stream
                }
                index += 1
                left -= n
                return Array(file.miniStream[o..<(o + n)])
            }
            let maxRun = max(1, (1 << 20) / file.sectorSize)
            var run = 1
            while index + run < chain.count, run < maxRun, chain[index + run] == chain[index] &+ UInt32(run) { run += 1 }
            let n = min(left, run * file.sectorSize)
            let chunk = try file.source.read(offset: (Int(chain[index]) + 1) * file.sectorSize, count: n)
            index += run
            left -= n
            return chunk
        }
    }

    // MARK: - Sector helpers

    static func readSector(_ source: any ByteSource, _ id: UInt32, _ sectorSize: Int) throws(CFBError) -> [UInt8] {
        try source.read(offset: (Int(id) + 1) * sectorSize, count: sectorSize)
    }

    /// Reads `size` bytes from a regular-sector chain.
    static func readRegular(_ source: any ByteSource, start: UInt32, size: Int, fat: [UInt32], sectorSize: Int,
                            fileSectors: Int, what: String) throws(CFBError) -> [UInt8] {
        let need = (size + sectorSize - 1) / sectorSize
        guard need <= fileSectors else { throw .malformed("\(what) declares \(size) bytes, more than the file holds") }
        let chain = try chain(start: start, table: fat, bound: fileSectors, what: what, maxLength: need)
        guard chain.count >= need else { throw .malformed("\(what) chain has \(chain.count) sectors, \(need) needed") }
        var out: [UInt8] = []
        out.reserveCapacity(size)
        var left = size
        for s in chain {
            let n = min(left, sectorSize)
            out += try source.read(offset: (Int(s) + 1) * sectorSize, count: n)
            left -= n
        }
        return out
    }

    /// Follows a chain through `table` from `start` until ENDOFCHAIN or `maxLength` sectors.
    /// Sectors must be below `bound` (sectors in the file, or mini sectors in the mini stream);
    /// a sector reached twice is a cycle.
    static func chain(start: UInt32, table: [UInt32], bound: Int, what: String, maxLength: Int) throws(CFBError) -> [UInt32] {
        var out: [UInt32] = []
        var seen = [UInt64](repeating: 0, count: min(bound, table.count) / 64 + 1)
        var s = start
        while s != endOfChain && out.count < maxLength {
            guard s <= maxRegSect else {
                throw .malformed("\(what): chain holds the special value 0x\(hex(s)) after \(out.count) sectors")
            }
            let i = Int(s)
            guard i < bound, i < table.count else {
                throw .badReference("\(what): sector \(s) is outside the \(min(bound, table.count)) available")
            }
            let bit: UInt64 = 1 << UInt64(i % 64)
            guard seen[i / 64] & bit == 0 else { throw .chainCycle("\(what): sector \(s) is reached twice") }
            seen[i / 64] |= bit
            out.append(s)
            s = table[i]
        }
        return out
    }
}

func hex(_ v: some BinaryInteger) -> String { String(v, radix: 16) }
