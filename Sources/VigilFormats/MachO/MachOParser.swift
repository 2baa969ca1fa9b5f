import VigilBinary

extension MachOFile {
    /// Parses a thin or fat Mach-O file. Never throws: unreadable parts become ``FormatIssue``s.
    /// - Parameters:
    ///   - bytes: The whole file.
    ///   - options: What to measure beyond the structure (segment and section entropy by default).
    public static func parse(_ bytes: [UInt8], options: ParseOptions = .complete) -> MachOFile {
        let reader = ByteReader(bytes)
        var file = MachOFile(fileSize: bytes.count, fat: nil, slices: [], problems: [])
        guard let magic = try? reader.u32be(at: 0) else {
            file.problems.append(FormatIssue(area: "mach-o", offset: 0, message: "file shorter than a Mach-O magic (4 bytes)"))
            return file
        }
        if magic == MachOConstants.fatMagic || magic == MachOConstants.fatMagic64 {
            parseFat(reader, is64Bit: magic == MachOConstants.fatMagic64, options: options, into: &file)
        } else {
            file.slices.append(MachOSliceParser.parse(reader, offset: 0, size: bytes.count, options: options))
        }
        return file
    }

    /// Reads the fat header and each architecture's slice; checks slice bounds and overlaps.
    private static func parseFat(_ reader: ByteReader, is64Bit: Bool, options: ParseOptions, into file: inout MachOFile) {
        guard let declared = try? reader.u32be(at: 4) else {
            file.problems.append(FormatIssue(area: "mach-o", offset: 4, message: "fat header truncated before nfat_arch"))
            return
        }
        var header = FatHeader(is64Bit: is64Bit, declaredArchitectureCount: declared, architectures: [])
        let entrySize = is64Bit ? 32 : 20
        var count = Int(declared)
        if count > MachOConstants.maxFatArchitectures {
            file.problems.append(
                FormatIssue(area: "mach-o", offset: 4,
                    message: "nfat_arch \(declared) exceeds the cap of \(MachOConstants.maxFatArchitectures); reading that many"))
            count = MachOConstants.maxFatArchitectures
        }
        for index in 0..<count {
            let at = 8 + index * entrySize
            do throws(BinaryReadError) {
                let cpuType = try reader.u32be(at: at)
                let cpuSubtype = try reader.u32be(at: at + 4)
                let offset: UInt64, size: UInt64, align: UInt32
                if is64Bit {
                    offset = try reader.u64be(at: at + 8)
                    size = try reader.u64be(at: at + 16)
                    align = try reader.u32be(at: at + 24)
                } else {
                    offset = UInt64(try reader.u32be(at: at + 8))
                    size = UInt64(try reader.u32be(at: at + 12))
                    align = try reader.u32be(at: at + 16)
                }
                header.architectures.append(
                    FatArchitecture(
                        cpuType: cpuType, cpuSubtype: cpuSubtype,
                        name: MachOConstants.cpuName(type: cpuType, subtype: cpuSubtype),
                        offset: offset, size: size, align: align))
            } catch {
                file.problems.append(FormatIssue(area: "mach-o", offset: at, message: "fat_arch \(index) truncated (\(error))"))
                break
            }
        }
        file.fat = header
        let headerEnd = 8 + header.architectures.count * entrySize
        var accepted: [(range: Range<Int>, index: Int)] = []
        for (index, arch) in header.architectures.enumerated() {
            let entryOffset = 8 + index * entrySize
            guard let start = Int(exactly: arch.offset), let size = Int(exactly: arch.size),
                reader.contains(offset: start, length: size), size > 0
            else {
                file.problems.append(
                    FormatIssue(area: "mach-o", offset: entryOffset,
                        message: "slice \(index) (\(arch.name)) offset \(arch.offset) size \(arch.size) lies outside the file of \(reader.count) bytes"))
                continue
            }
            if start < headerEnd {
                file.problems.append(
                    FormatIssue(area: "mach-o", offset: entryOffset, message: "slice \(index) (\(arch.name)) overlaps the fat header"))
                continue
            }
            let range = start..<(start + size)
            if let other = accepted.first(where: { $0.range.overlaps(range) }) {
                file.problems.append(
                    FormatIssue(area: "mach-o", offset: entryOffset,
                        message: "slice \(index) (\(arch.name)) at \(start)..<\(start + size) overlaps slice \(other.index)"))
                continue
            }
            if arch.align < 64, start % (1 << Int(arch.align)) != 0 {
                file.problems.append(
                    FormatIssue(area: "mach-o", offset: entryOffset, message: "slice \(index) offset \(start) is not aligned to 2^\(arch.align)"))
            }
            accepted.append((range, index))
            var slice = MachOSliceParser.parse(reader, offset: start, size: size, options: options)
            if let h = slice.header, h.cpuType != arch.cpuType {
                slice.problems.append(
                    FormatIssue(area: "mach-o", offset: start,
                        message: "fat entry says \(arch.name) but the slice header says \(h.architecture)"))
            }
            file.slices.append(slice)
        }
        let furthest = accepted.map(\.range.upperBound).max() ?? headerEnd
        if furthest < reader.count, let rest = try? reader.slice(at: furthest, length: reader.count - furthest) {
            file.trailing = TrailingData(offset: furthest, bytes: rest)
        }
    }
}
