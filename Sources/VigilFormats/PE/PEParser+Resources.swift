import VigilBinary

extension PEParseContext {
    /// One entry of an IMAGE_RESOURCE_DIRECTORY.
    struct ResourceEntry {
        var id: UInt32?
        var isDirectory: Bool
        /// Offset relative to the start of the resource section.
        var target: Int
    }

    /// Reads the entries of the resource directory at `relative` (offset from the resource root).
    mutating func resourceEntries(root: Int, relative: Int, budget: inout Int) -> [ResourceEntry] {
        let o = root + relative
        guard let named = try? reader.u16le(at: o + 12), let ids = try? reader.u16le(at: o + 14) else {
            note("resources", o, "resource directory is truncated")
            return []
        }
        var entries: [ResourceEntry] = []
        for i in 0..<(Int(named) + Int(ids)) {
            guard budget > 0 else {
                note("resources", o, "more than \(PELimits.maxResourceEntries) resource entries; the rest were not read")
                break
            }
            budget -= 1
            let e = o + 16 + 8 * i
            guard let nameField = try? reader.u32le(at: e), let dataField = try? reader.u32le(at: e + 4) else {
                note("resources", e, "resource directory entry is truncated")
                break
            }
            entries.append(
                ResourceEntry(
                    id: nameField & 0x8000_0000 == 0 ? nameField : nil,
                    isDirectory: dataField & 0x8000_0000 != 0,
                    target: Int(dataField & 0x7FFF_FFFF)))
        }
        return entries
    }

    /// Finds RT_VERSION (16) → first name → preferred language (0x409, then neutral, then first) and
    /// parses its VS_VERSIONINFO.
    mutating func readVersionInfo() -> PEVersionInfo? {
        guard let dir = optional?.directory(2), dir.virtualAddress != 0 else { return nil }
        guard let root = offset(forRVA: dir.virtualAddress) else {
            note("resources", nil, "resource directory RVA 0x\(String(dir.virtualAddress, radix: 16)) is not in the file")
            return nil
        }
        var budget = PELimits.maxResourceEntries
        let types = resourceEntries(root: root, relative: 0, budget: &budget)
        guard let versionType = types.first(where: { $0.id == 16 && $0.isDirectory }) else { return nil }
        let names = resourceEntries(root: root, relative: versionType.target, budget: &budget)
        guard let firstName = names.first(where: { $0.isDirectory }), firstName.target != versionType.target else {
            return nil
        }
        let languages = resourceEntries(root: root, relative: firstName.target, budget: &budget)
        let leaves = languages.filter { !$0.isDirectory }
        guard let leaf = leaves.first(where: { $0.id == 0x409 }) ?? leaves.first(where: { $0.id == 0 }) ?? leaves.first
        else { return nil }
        let entry = root + leaf.target
        guard let dataRVA = try? reader.u32le(at: entry), let size = try? reader.u32le(at: entry + 4) else {
            note("version info", entry, "resource data entry is truncated")
            return nil
        }
        guard let data = offset(forRVA: dataRVA) else {
            note("version info", entry, "version resource RVA 0x\(String(dataRVA, radix: 16)) is not in the file")
            return nil
        }
        let end = min(reader.count, data.adding(Int(size)) ?? reader.count)
        var parser = VersionInfoParser(reader: reader, base: data)
        let info = parser.parse(end: end)
        issues += parser.issues
        return info
    }
}

/// Walks VS_VERSIONINFO blocks (`wLength, wValueLength, wType, szKey, pad, Value, pad, children`).
struct VersionInfoParser {
    let reader: ByteReader
    /// Start of the resource data; 32-bit alignment is relative to it.
    let base: Int
    var issues: [FormatIssue] = []
    var blocksVisited = 0

    struct Block {
        var start: Int
        var end: Int
        var key: String
        var valueOffset: Int
        var valueLength: Int
        var type: UInt16
        var childrenStart: Int
    }

    func align4(_ o: Int) -> Int { base + ((o - base + 3) & ~3) }

    /// UTF-16LE text from `o` up to a NUL or `end`, at most 1,024 characters.
    func utf16(at o: Int, end: Int) -> (String, Int) {
        var units: [UInt16] = []
        var p = o
        while p + 1 < end, units.count < 1024, let u = try? reader.u16le(at: p) {
            p += 2
            if u == 0 { break }
            units.append(u)
        }
        return (String(decoding: units, as: UTF16.self), p)
    }

    mutating func block(at o: Int, limit: Int) -> Block? {
        blocksVisited += 1
        guard blocksVisited <= PELimits.maxVersionBlocks else { return nil }
        guard let length = try? reader.u16le(at: o), let valueLength = try? reader.u16le(at: o + 2),
            let type = try? reader.u16le(at: o + 4), length >= 6
        else { return nil }
        let end = min(limit, o + Int(length))
        let (key, afterKey) = utf16(at: o + 6, end: end)
        let valueOffset = align4(afterKey)
        let valueBytes = type == 1 ? Int(valueLength) * 2 : Int(valueLength)
        let children = align4(valueOffset + valueBytes)
        return Block(
            start: o, end: end, key: key, valueOffset: valueOffset, valueLength: valueBytes, type: type,
            childrenStart: children)
    }

    mutating func children(of b: Block) -> [Block] {
        var result: [Block] = []
        var o = b.childrenStart
        while o + 6 <= b.end, let child = block(at: o, limit: b.end) {
            result.append(child)
            let next = align4(child.end)
            guard next > o else { break }
            o = next
        }
        return result
    }

    func version(_ ms: UInt32, _ ls: UInt32) -> String { "\(ms >> 16).\(ms & 0xFFFF).\(ls >> 16).\(ls & 0xFFFF)" }

    mutating func parse(end: Int) -> PEVersionInfo? {
        guard let root = block(at: base, limit: end), root.key == "VS_VERSION_INFO" else {
            issues.append(FormatIssue(area: "version info", offset: base, message: "no VS_VERSION_INFO block"))
            return nil
        }
        var fileVersion: String?
        var productVersion: String?
        if root.valueLength >= 52, (try? reader.u32le(at: root.valueOffset)) == 0xFEEF_04BD,
            let fms = try? reader.u32le(at: root.valueOffset + 8), let fls = try? reader.u32le(at: root.valueOffset + 12),
            let pms = try? reader.u32le(at: root.valueOffset + 16), let pls = try? reader.u32le(at: root.valueOffset + 20)
        {
            fileVersion = version(fms, fls)
            productVersion = version(pms, pls)
        }
        // The value of VS_VERSION_INFO is binary (wType 0); children start after it.
        var rootBlock = root
        rootBlock.childrenStart = align4(root.valueOffset + Int(root.valueLength))
        var tableKey: String?
        var strings: [PEVersionString] = []
        for child in children(of: rootBlock) where child.key == "StringFileInfo" {
            var holder = child
            holder.childrenStart = align4(child.valueOffset)
            let tables = children(of: holder)
            guard let table = tables.first(where: { $0.key.lowercased().hasPrefix("0409") }) ?? tables.first else {
                continue
            }
            tableKey = table.key
            var tableHolder = table
            tableHolder.childrenStart = align4(table.valueOffset)
            for entry in children(of: tableHolder) {
                let (value, _) = utf16(at: entry.valueOffset, end: entry.end)
                strings.append(PEVersionString(key: entry.key, value: entry.valueLength == 0 ? "" : value))
            }
            break
        }
        if blocksVisited > PELimits.maxVersionBlocks {
            issues.append(FormatIssue(area: "version info", offset: base, message: "too many version blocks; stopped"))
        }
        return PEVersionInfo(
            fixedFileVersion: fileVersion, fixedProductVersion: productVersion, stringTable: tableKey, strings: strings,
            offset: base)
    }
}
