/// A minimal compound-file writer for tests (version 3, 512-byte sectors, every stream under the
/// root, streams under 4096 bytes in the mini stream). It is written from [MS-CFB] independently of
/// the reader so tests can build well-formed files and then break them in known places.
struct CFBWriter {
    struct Layout {
        var bytes: [UInt8]
        /// File offset of the first FAT sector.
        var fatOffset: Int
        /// File offset of the first directory sector.
        var directoryOffset: Int
        /// First sector of each stream by index (regular or mini sector), and whether it is mini.
        var starts: [(sector: UInt32, mini: Bool)]
    }

    var streams: [(name: [UInt16], data: [UInt8])] = []

    mutating func add(_ name: [UInt16], _ data: [UInt8]) { streams.append((name, data)) }

    func write() -> Layout {
        let ss = 512
        func sectors(_ n: Int, _ size: Int) -> Int { (n + size - 1) / size }
        // Mini stream.
        var mini: [UInt8] = []
        var miniFAT: [UInt32] = []
        var starts: [(UInt32, Bool)] = []
        var bigs: [Int] = []
        for (i, s) in streams.enumerated() {
            if s.data.count < 4096 {
                if s.data.isEmpty { starts.append((0xFFFF_FFFE, true)); continue }
                let first = UInt32(mini.count / 64)
                let n = sectors(s.data.count, 64)
                for k in 0..<n { miniFAT.append(k == n - 1 ? 0xFFFF_FFFE : first + UInt32(k) + 1) }
                mini += s.data + [UInt8](repeating: 0, count: n * 64 - s.data.count)
                starts.append((first, true))
            } else {
                starts.append((0, false))
                bigs.append(i)
            }
        }
        let dirEntries = streams.count + 1
        let dirSectors = sectors(dirEntries * 128, ss)
        let miniFATSectors = sectors(miniFAT.count * 4, ss)
        let miniSectors = sectors(mini.count, ss)
        let bigSectors = bigs.map { sectors(streams[$0].data.count, ss) }
        let payload = dirSectors + miniFATSectors + miniSectors + bigSectors.reduce(0, +)
        var fatSectors = 1
        while fatSectors * 128 < payload + fatSectors { fatSectors += 1 }
        precondition(fatSectors <= 109)
        let total = fatSectors + payload
        var fat = [UInt32](repeating: 0xFFFF_FFFF, count: fatSectors * 128)
        var next = 0
        func run(_ count: Int) -> UInt32 {
            guard count > 0 else { return 0xFFFF_FFFE }
            let first = next
            for k in 0..<count { fat[first + k] = k == count - 1 ? 0xFFFF_FFFE : UInt32(first + k + 1) }
            next += count
            return UInt32(first)
        }
        for k in 0..<fatSectors { fat[k] = 0xFFFF_FFFD }
        next = fatSectors
        let dirStart = run(dirSectors)
        let miniFATStart = run(miniFATSectors)
        let miniStart = run(miniSectors)
        var bigStarts: [Int: UInt32] = [:]
        for (j, i) in bigs.enumerated() { bigStarts[i] = run(bigSectors[j]) }
        for (i, start) in bigStarts { starts[i] = (start, false) }

        var out = [UInt8](repeating: 0, count: ss * (total + 1))
        func put16(_ o: Int, _ v: UInt16) { out[o] = UInt8(v & 0xFF); out[o + 1] = UInt8(v >> 8) }
        func put32(_ o: Int, _ v: UInt32) { for k in 0..<4 { out[o + k] = UInt8((v >> (8 * UInt32(k))) & 0xFF) } }
        func sectorOffset(_ s: Int) -> Int { (s + 1) * ss }
        // Header.
        let sig: [UInt8] = [0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]
        for k in 0..<8 { out[k] = sig[k] }
        put16(0x18, 0x3E); put16(0x1A, 3); put16(0x1C, 0xFFFE); put16(0x1E, 9); put16(0x20, 6)
        put32(0x2C, UInt32(fatSectors)); put32(0x30, dirStart); put32(0x38, 4096)
        put32(0x3C, miniFATSectors > 0 ? miniFATStart : 0xFFFF_FFFE); put32(0x40, UInt32(miniFATSectors))
        put32(0x44, 0xFFFF_FFFE); put32(0x48, 0)
        for k in 0..<109 { put32(0x4C + 4 * k, k < fatSectors ? UInt32(k) : 0xFFFF_FFFF) }
        // FAT.
        for (k, v) in fat.enumerated() { put32(sectorOffset(0) + 4 * k, v) }
        // Directory: root, then each stream linked as the right sibling of the one before.
        func entry(_ id: Int, _ name: [UInt16], type: UInt8, child: UInt32, right: UInt32, start: UInt32, size: Int) {
            let o = sectorOffset(Int(dirStart)) + 128 * id
            for (k, u) in name.prefix(31).enumerated() { put16(o + 2 * k, u) }
            put16(o + 64, UInt16((min(name.count, 31) + 1) * 2))
            out[o + 66] = type
            out[o + 67] = 1
            put32(o + 68, 0xFFFF_FFFF); put32(o + 72, right); put32(o + 76, child)
            put32(o + 116, start); put32(o + 120, UInt32(size))
        }
        entry(0, Array("Root Entry".utf16), type: 5, child: streams.isEmpty ? 0xFFFF_FFFF : 1, right: 0xFFFF_FFFF,
              start: miniSectors > 0 ? miniStart : 0xFFFF_FFFE, size: mini.count)
        for (i, s) in streams.enumerated() {
            entry(i + 1, s.name, type: 2, child: 0xFFFF_FFFF, right: i + 1 < streams.count ? UInt32(i + 2) : 0xFFFF_FFFF,
                  start: starts[i].0, size: s.data.count)
        }
        for k in (dirEntries)..<(dirSectors * 4) {  // unused entries: no siblings, no child
            let o = sectorOffset(Int(dirStart)) + 128 * k
            put32(o + 68, 0xFFFF_FFFF); put32(o + 72, 0xFFFF_FFFF); put32(o + 76, 0xFFFF_FFFF)
        }
        for (k, v) in miniFAT.enumerated() { put32(sectorOffset(Int(miniFATStart)) + 4 * k, v) }
        for k in miniFAT.count..<(miniFATSectors * 128) { put32(sectorOffset(Int(miniFATStart)) + 4 * k, 0xFFFF_FFFF) }
        for (k, b) in mini.enumerated() { out[sectorOffset(Int(miniStart)) + k] = b }
        for (i, start) in bigStarts {
            for (k, b) in streams[i].data.enumerated() { out[sectorOffset(Int(start)) + k] = b }
        }
        return Layout(bytes: out, fatOffset: sectorOffset(0), directoryOffset: sectorOffset(Int(dirStart)),
                      starts: starts.map { (sector: $0.0, mini: $0.1) })
    }
}

/// Builds MSI databases for tests: string pool, `_Tables`, `_Columns` and column-major tables,
/// following the layout Windows Installer documents, independently of the reader.
struct MSIBuilder {
    enum Cell { case null, int(Int), str(String) }
    struct Column { var name: String; var type: Int }
    struct Table { var name: String; var columns: [Column]; var rows: [[Cell]] }

    var tables: [Table] = []
    var longReferences = false
    var codepage = 65001
    var extraStreams: [(String, [UInt8])] = []

    static let s72 = 0x0948, s72Key = 0x2948, s72Null = 0x1948, l255 = 0x0BFF, i2 = 0x0102, i2Key = 0x2102,
               i4 = 0x0104, i2Null = 0x1102, s255Null = 0x19FF

    func build() -> CFBWriter.Layout {
        var ids: [String: Int] = [:]
        var order: [String] = []
        var refs: [String: Int] = [:]
        func id(_ s: String) -> Int {
            if s.isEmpty { return 0 }
            refs[s, default: 0] += 1
            if let i = ids[s] { return i }
            order.append(s)
            ids[s] = order.count
            return order.count
        }
        let rw = longReferences ? 3 : 2
        func le(_ v: Int, _ n: Int) -> [UInt8] { (0..<n).map { UInt8((v >> (8 * $0)) & 0xFF) } }
        func tableBytes(_ cols: [Column], _ rows: [[Cell]]) -> [UInt8] {
            var out: [UInt8] = []
            for (c, col) in cols.enumerated() {
                let isString = col.type & 0x0800 != 0
                let w = isString ? rw : (col.type & 0xFF <= 2 ? 2 : 4)
                for row in rows {
                    switch row[c] {
                    case .null: out += le(0, w)
                    case .str(let s): out += le(id(s), w)
                    case .int(let v): out += w == 2 ? le(v + 0x8000, 2) : le(Int(UInt32(bitPattern: Int32(v)) ^ 0x8000_0000), 4)
                    }
                }
            }
            return out
        }
        var streams: [(String, [UInt8])] = []
        let all = tables
        streams.append(("!_Tables", tableBytes([Column(name: "Name", type: Self.s72Key)], all.map { [.str($0.name)] })))
        var colRows: [[Cell]] = []
        for t in all { for (n, c) in t.columns.enumerated() { colRows.append([.str(t.name), .int(n + 1), .str(c.name), .int(c.type)]) } }
        streams.append(("!_Columns", tableBytes([Column(name: "Table", type: Self.s72Key), Column(name: "Number", type: Self.i2Key),
                                                 Column(name: "Name", type: Self.s72), Column(name: "Type", type: Self.i2)], colRows)))
        for t in all where !t.rows.isEmpty { streams.append(("!" + t.name, tableBytes(t.columns, t.rows))) }
        var pool: [UInt8] = le(codepage & 0xFFFF, 2) + le((codepage >> 16) | (longReferences ? 0x8000 : 0), 2)
        var data: [UInt8] = []
        for s in order {
            let b = Array(s.utf8)
            if b.count > 0xFFFF {
                pool += le(0, 2) + le(refs[s] ?? 1, 2) + le(b.count & 0xFFFF, 2) + le(b.count >> 16, 2)
            } else {
                pool += le(b.count, 2) + le(refs[s] ?? 1, 2)
            }
            data += b
        }
        var w = CFBWriter()
        w.add(encode("!_StringPool"), pool)
        w.add(encode("!_StringData"), data)
        for (n, b) in streams { w.add(encode(n), b) }
        for (n, b) in extraStreams { w.add(encode(n), b) }
        return w.write()
    }

    /// Windows Installer's stream-name compression, written here from its description.
    func encode(_ name: String) -> [UInt16] {
        let alphabet = Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz._")
        var chars = Array(name)
        var out: [UInt16] = []
        if chars.first == "!" { out.append(0x4840); chars.removeFirst() }
        var i = 0
        while i < chars.count {
            if let a = alphabet.firstIndex(of: chars[i]) {
                if i + 1 < chars.count, let b = alphabet.firstIndex(of: chars[i + 1]) {
                    out.append(UInt16(0x3800 + a + 64 * b)); i += 2
                } else {
                    out.append(UInt16(0x4800 + a)); i += 1
                }
            } else {
                out += Array(String(chars[i]).utf16); i += 1
            }
        }
        return out
    }
}
