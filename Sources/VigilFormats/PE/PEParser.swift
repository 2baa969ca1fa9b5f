import VigilBinary

/// Parses PE/COFF files. Never throws on malformed input: returns what it could read plus
/// ``FormatIssue``s; returns `nil` only when the bytes are not a PE file at all (no `MZ`, or no
/// `PE\0\0` signature where `e_lfanew` points).
public enum PEParser {
    /// Parses `bytes` as a PE file.
    /// - Parameters:
    ///   - bytes: The whole file.
    ///   - options: What to measure beyond the structure (section entropy by default).
    /// - Returns: The parsed file, or `nil` when there is no PE signature.
    public static func parse(_ bytes: [UInt8], options: ParseOptions = .complete) -> PEFile? {
        var context = PEParseContext(reader: ByteReader(bytes), options: options)
        return context.parse()
    }
}

/// The state of one parse: the reader, the sections for RVA mapping and the issues collected.
struct PEParseContext {
    let reader: ByteReader
    let options: ParseOptions
    var issues: [FormatIssue] = []
    var sections: [PESection] = []
    var optional: OptionalHeader?
    var coffMachine: UInt16 = 0

    init(reader: ByteReader, options: ParseOptions = .complete) {
        self.reader = reader
        self.options = options
    }

    mutating func note(_ area: String, _ offset: Int?, _ message: String) {
        issues.append(FormatIssue(area: area, offset: offset, message: message))
    }

    mutating func parse() -> PEFile? {
        guard (try? reader.u16le(at: 0)) == 0x5A4D, let lfanew32 = try? reader.u32le(at: 0x3C) else { return nil }
        let lfanew = Int(lfanew32)
        guard (try? reader.u32le(at: lfanew)) == 0x0000_4550 else { return nil }
        let coffOffset = lfanew + 4
        guard let coff = try? readCOFF(at: coffOffset) else {
            note("coff header", coffOffset, "truncated COFF header")
            let empty = COFFHeader(
                machine: 0, numberOfSections: 0, timeDateStamp: 0, pointerToSymbolTable: 0, numberOfSymbols: 0,
                sizeOfOptionalHeader: 0, characteristics: 0)
            return PEFile(
                fileSize: reader.count, peHeaderOffset: lfanew, coff: empty, optionalHeader: nil, sections: [],
                imports: [], exports: nil, versionInfo: nil,
                checksum: PEChecksum(stored: 0, computed: PEChecksumCalculator.compute(reader.bytes, checksumOffset: nil)),
                overlay: nil, certificateTable: nil, issues: issues)
        }
        coffMachine = coff.machine
        let optionalOffset = coffOffset + 20
        optional = readOptionalHeader(at: optionalOffset, declaredSize: Int(coff.sizeOfOptionalHeader))
        let sectionTable = optionalOffset + Int(coff.sizeOfOptionalHeader)
        sections = readSections(at: sectionTable, count: Int(coff.numberOfSections))

        var imports = readImports()
        imports += readDelayImports()
        let exports = readExports()
        let versionInfo = readVersionInfo()
        let certificateTable = readCertificateTable()
        let checksum = PEChecksum(
            stored: optional?.checkSum ?? 0,
            computed: PEChecksumCalculator.compute(reader.bytes, checksumOffset: optional?.checksumOffset))
        let overlay = computeOverlay(coff: coff, optionalOffset: optionalOffset, certificateTable: certificateTable)

        return PEFile(
            fileSize: reader.count, peHeaderOffset: lfanew, coff: coff, optionalHeader: optional, sections: sections,
            imports: imports, exports: exports, versionInfo: versionInfo, checksum: checksum, overlay: overlay,
            certificateTable: certificateTable, issues: issues)
    }

    // MARK: Headers

    func readCOFF(at o: Int) throws(BinaryReadError) -> COFFHeader {
        COFFHeader(
            machine: try reader.u16le(at: o), numberOfSections: try reader.u16le(at: o + 2),
            timeDateStamp: try reader.u32le(at: o + 4), pointerToSymbolTable: try reader.u32le(at: o + 8),
            numberOfSymbols: try reader.u32le(at: o + 12), sizeOfOptionalHeader: try reader.u16le(at: o + 16),
            characteristics: try reader.u16le(at: o + 18))
    }

    mutating func readOptionalHeader(at o: Int, declaredSize: Int) -> OptionalHeader? {
        guard declaredSize > 0 else {
            note("optional header", o, "no optional header (SizeOfOptionalHeader is 0)")
            return nil
        }
        do {
            let magic = try reader.u16le(at: o)
            guard magic == 0x10b || magic == 0x20b else {
                note("optional header", o, "unknown optional-header magic 0x\(String(magic, radix: 16))")
                return nil
            }
            let plus = magic == 0x20b
            let imageBase = plus ? try reader.u64le(at: o + 24) : UInt64(try reader.u32le(at: o + 28))
            let rvaCountOffset = o + (plus ? 108 : 92)
            let declaredCount = try reader.u32le(at: rvaCountOffset)
            let directoriesOffset = rvaCountOffset + 4
            var directories: [DataDirectory] = []
            let wanted = min(Int(declaredCount), 16)
            if declaredCount > 16 {
                note("optional header", rvaCountOffset, "NumberOfRvaAndSizes is \(declaredCount); reading 16")
            }
            for i in 0..<wanted {
                let d = directoriesOffset + 8 * i
                guard let va = try? reader.u32le(at: d), let size = try? reader.u32le(at: d + 4) else {
                    note("data directories", d, "data directory \(i) is truncated")
                    break
                }
                directories.append(DataDirectory(index: i, virtualAddress: va, size: size))
            }
            return OptionalHeader(
                offset: o, magic: magic, majorLinkerVersion: try reader.u8(at: o + 2),
                minorLinkerVersion: try reader.u8(at: o + 3), sizeOfCode: try reader.u32le(at: o + 4),
                addressOfEntryPoint: try reader.u32le(at: o + 16), imageBase: imageBase,
                sectionAlignment: try reader.u32le(at: o + 32), fileAlignment: try reader.u32le(at: o + 36),
                majorOperatingSystemVersion: try reader.u16le(at: o + 40),
                minorOperatingSystemVersion: try reader.u16le(at: o + 42),
                majorSubsystemVersion: try reader.u16le(at: o + 48), minorSubsystemVersion: try reader.u16le(at: o + 50),
                sizeOfImage: try reader.u32le(at: o + 56), sizeOfHeaders: try reader.u32le(at: o + 60),
                checkSum: try reader.u32le(at: o + 64), subsystem: try reader.u16le(at: o + 68),
                dllCharacteristics: try reader.u16le(at: o + 70), numberOfRvaAndSizes: declaredCount,
                dataDirectories: directories)
        } catch {
            note("optional header", o, "optional header is truncated (\(error))")
            return nil
        }
    }

    mutating func readSections(at table: Int, count: Int) -> [PESection] {
        if count > PELimits.maxSections {
            note("sections", table, "NumberOfSections is \(count); reading the first \(PELimits.maxSections)")
        }
        var result: [PESection] = []
        for i in 0..<min(count, PELimits.maxSections) {
            let o = table + 40 * i
            do {
                let rawSize = try reader.u32le(at: o + 16)
                let rawPointer = try reader.u32le(at: o + 20)
                let entropy =
                    options.measuresSectionEntropy
                    ? MeasuredRegion.measure(reader.bytes, offset: Int(rawPointer), size: Int(rawSize)).entropy : nil
                if !reader.contains(offset: Int(rawPointer), length: Int(rawSize)) {
                    note("sections", o, "section \(i) raw data [\(rawPointer), +\(rawSize)) extends past end of file")
                }
                result.append(
                    PESection(
                        name: try reader.fixedString(at: o, length: 8), virtualSize: try reader.u32le(at: o + 8),
                        virtualAddress: try reader.u32le(at: o + 12), sizeOfRawData: rawSize,
                        pointerToRawData: rawPointer, characteristics: try reader.u32le(at: o + 36), entropy: entropy))
            } catch {
                note("sections", o, "section header \(i) is truncated")
                break
            }
        }
        return result
    }

    // MARK: RVA mapping

    /// Maps an RVA to a file offset through the section table; RVAs inside the headers map to
    /// themselves. Returns `nil` when the RVA is not backed by file data.
    func offset(forRVA rva: UInt32) -> Int? {
        let rva = Int(rva)
        for s in sections {
            let va = Int(s.virtualAddress)
            let span = max(Int(s.virtualSize), Int(s.sizeOfRawData))
            guard rva >= va, let end = va.adding(span), rva < end else { continue }
            let delta = rva - va
            guard delta < Int(s.sizeOfRawData) else { return nil }
            let off = Int(s.pointerToRawData) + delta
            return off < reader.count ? off : nil
        }
        let headersEnd = Int(optional?.sizeOfHeaders ?? 0)
        let firstSection = sections.map { Int($0.virtualAddress) }.min() ?? Int.max
        if rva < max(headersEnd, 1), rva < firstSection, rva < reader.count { return rva }
        return nil
    }

    /// A NUL-terminated ASCII name at `rva`, capped in length.
    func name(atRVA rva: UInt32) -> String? {
        guard let o = offset(forRVA: rva) else { return nil }
        return try? reader.cString(at: o, maxLength: PELimits.maxNameLength)
    }
}
