import VigilBinary

/// Walks a slice's load commands and decodes the ones Vigil reports.
struct LoadCommandContext {
    let reader: EndianReader
    let sliceBase: Int
    let sliceSize: Int
    let is64: Bool
    private var sectionCount = 0
    /// Bytes left for entropy measurement in this slice. Segments and sections may overlap (hostile
    /// files can point thousands of them at the whole slice), so the total is bounded: normal files
    /// read each byte about twice (segment, then section).
    private var entropyBudget: Int
    private var entropyBudgetReported = false
    /// ``ParseOptions/measuresSectionEntropy``.
    private let measuresEntropy: Bool

    init(reader: EndianReader, sliceBase: Int, sliceSize: Int, is64: Bool, options: ParseOptions) {
        self.reader = reader
        self.sliceBase = sliceBase
        self.sliceSize = sliceSize
        self.is64 = is64
        self.measuresEntropy = options.measuresSectionEntropy
        self.entropyBudget = sliceSize.multiplying(4).flatMap { $0.adding(1 << 20) } ?? Int.max
    }

    private var bytes: ByteReader { reader.reader }

    /// Reads up to `count` commands (capped) inside `totalSize` bytes starting at absolute `start`.
    mutating func readCommands(from start: Int, count: UInt32, totalSize: UInt32, into slice: inout MachOSlice) {
        let limit = min(start + Int(totalSize), sliceBase + sliceSize)
        if start + Int(totalSize) > sliceBase + sliceSize {
            slice.problems.append(
                FormatIssue(area: "mach-o", offset: sliceBase + 20, message: "sizeofcmds \(totalSize) runs past the end of the slice"))
        }
        var n = Int(count)
        if n > MachOConstants.maxLoadCommands {
            slice.problems.append(
                FormatIssue(area: "mach-o", offset: sliceBase + 16,
                    message: "ncmds \(count) exceeds the cap of \(MachOConstants.maxLoadCommands); reading that many"))
            n = MachOConstants.maxLoadCommands
        }
        var at = start
        for index in 0..<n {
            guard at + 8 <= limit, let cmd = try? reader.u32(at), let cmdsize = try? reader.u32(at + 4) else {
                slice.problems.append(
                    FormatIssue(area: "mach-o", offset: at, message: "load command \(index) of \(count) starts outside sizeofcmds"))
                return
            }
            guard cmdsize >= 8 else {
                slice.problems.append(
                    FormatIssue(area: "mach-o", offset: at, message: "load command \(index) has cmdsize \(cmdsize) (< 8); stopping"))
                return
            }
            guard at + Int(cmdsize) <= limit else {
                slice.problems.append(
                    FormatIssue(area: "mach-o", offset: at, message: "load command \(index) (cmdsize \(cmdsize)) runs past sizeofcmds"))
                return
            }
            if cmdsize % (is64 ? 8 : 4) != 0 {
                slice.problems.append(
                    FormatIssue(area: "mach-o", offset: at, message: "load command \(index) cmdsize \(cmdsize) is not a multiple of \(is64 ? 8 : 4)"))
            }
            slice.loadCommands.append(LoadCommand(command: cmd, size: cmdsize, offset: at))
            do throws(BinaryReadError) {
                try decode(cmd, at: at, size: Int(cmdsize), into: &slice)
            } catch {
                slice.problems.append(
                    FormatIssue(area: "mach-o", offset: at, message: "\(MachOConstants.loadCommandName(cmd)) unreadable: \(error)"))
            }
            at += Int(cmdsize)
        }
        if n == Int(count), at != start + Int(totalSize), at <= limit {
            slice.problems.append(
                FormatIssue(area: "mach-o", offset: at, message: "load commands end at \(at - start) bytes but sizeofcmds is \(totalSize)"))
        }
    }

    /// A NUL-terminated string stored inside a command at `stringOffset` from its start.
    private func string(in commandAt: Int, size: Int, stringOffset: UInt32) throws(BinaryReadError) -> String {
        guard stringOffset < size else {
            throw .outOfRange(offset: commandAt, what: "string offset \(stringOffset) outside cmdsize \(size)")
        }
        return try bytes.cString(at: commandAt + Int(stringOffset), maxLength: size - Int(stringOffset))
    }

    private mutating func decode(_ cmd: UInt32, at: Int, size: Int, into slice: inout MachOSlice) throws(BinaryReadError) {
        switch cmd {
        case MachOConstants.lcSegment, MachOConstants.lcSegment64:
            try readSegment(at: at, size: size, is64: cmd == MachOConstants.lcSegment64, into: &slice)
        case MachOConstants.lcLoadDylib, MachOConstants.lcIdDylib, MachOConstants.lcLoadWeakDylib,
            MachOConstants.lcReexportDylib, MachOConstants.lcLoadUpwardDylib, MachOConstants.lcLazyLoadDylib:
            guard size >= 24 else { throw .outOfRange(offset: at, what: "dylib_command shorter than 24 bytes") }
            let kind: DylibKind =
                switch cmd {
                case MachOConstants.lcIdDylib: .id
                case MachOConstants.lcLoadWeakDylib: .weak
                case MachOConstants.lcReexportDylib: .reexport
                case MachOConstants.lcLoadUpwardDylib: .upward
                case MachOConstants.lcLazyLoadDylib: .lazy
                default: .load
                }
            let reference = DylibReference(
                kind: kind, name: try string(in: at, size: size, stringOffset: try reader.u32(at + 8)),
                timestamp: try reader.u32(at + 12),
                currentVersion: MachOConstants.dylibVersion(try reader.u32(at + 16)),
                compatibilityVersion: MachOConstants.dylibVersion(try reader.u32(at + 20)), commandOffset: at)
            if kind == .id {
                if slice.installName != nil {
                    slice.problems.append(FormatIssue(area: "mach-o", offset: at, message: "more than one LC_ID_DYLIB"))
                }
                slice.installName = reference
            } else {
                slice.dylibs.append(reference)
            }
        case MachOConstants.lcRpath:
            slice.rpaths.append(try string(in: at, size: size, stringOffset: try reader.u32(at + 8)))
        case MachOConstants.lcDyldEnvironment:
            slice.dyldEnvironment.append(try string(in: at, size: size, stringOffset: try reader.u32(at + 8)))
        case MachOConstants.lcUUID:
            guard size >= 24 else { throw .outOfRange(offset: at, what: "LC_UUID shorter than 24 bytes") }
            slice.uuid = Self.uuidString(try bytes.slice(at: at + 8, length: 16))
        case MachOConstants.lcCodeSignature:
            guard size >= 16 else { throw .outOfRange(offset: at, what: "LC_CODE_SIGNATURE shorter than 16 bytes") }
            if slice.codeSignatureRange != nil {
                slice.problems.append(FormatIssue(area: "mach-o", offset: at, message: "more than one LC_CODE_SIGNATURE; using the first"))
            } else {
                slice.codeSignatureRange = LinkeditRange(dataOffset: try reader.u32(at + 8), dataSize: try reader.u32(at + 12))
            }
        case MachOConstants.lcBuildVersion:
            guard size >= 24 else { throw .outOfRange(offset: at, what: "LC_BUILD_VERSION shorter than 24 bytes") }
            slice.buildVersion = BuildVersion(
                command: "LC_BUILD_VERSION", platform: MachOConstants.platformName(try reader.u32(at + 8)),
                minimumOS: MachOConstants.osVersion(try reader.u32(at + 12)),
                sdk: MachOConstants.osVersion(try reader.u32(at + 16)))
        case MachOConstants.lcVersionMinMacOSX, MachOConstants.lcVersionMinIPhoneOS, MachOConstants.lcVersionMinTvOS,
            MachOConstants.lcVersionMinWatchOS:
            guard size >= 16 else { throw .outOfRange(offset: at, what: "version_min_command shorter than 16 bytes") }
            let platform =
                switch cmd {
                case MachOConstants.lcVersionMinMacOSX: "macos"
                case MachOConstants.lcVersionMinIPhoneOS: "ios"
                case MachOConstants.lcVersionMinTvOS: "tvos"
                default: "watchos"
                }
            if slice.buildVersion == nil {
                slice.buildVersion = BuildVersion(
                    command: MachOConstants.loadCommandName(cmd), platform: platform,
                    minimumOS: MachOConstants.osVersion(try reader.u32(at + 8)),
                    sdk: MachOConstants.osVersion(try reader.u32(at + 12)))
            }
        default:
            break
        }
    }

    private mutating func readSegment(at: Int, size: Int, is64: Bool, into slice: inout MachOSlice) throws(BinaryReadError) {
        let headerSize = is64 ? 72 : 56
        let sectionSize = is64 ? 80 : 68
        guard size >= headerSize else { throw .outOfRange(offset: at, what: "segment command shorter than \(headerSize) bytes") }
        let name = try bytes.fixedString(at: at + 8, length: 16)
        let vmAddress, vmSize, fileOffset, fileSize: UInt64
        let p: Int
        if is64 {
            vmAddress = try reader.u64(at + 24)
            vmSize = try reader.u64(at + 32)
            fileOffset = try reader.u64(at + 40)
            fileSize = try reader.u64(at + 48)
            p = at + 56
        } else {
            vmAddress = UInt64(try reader.u32(at + 24))
            vmSize = UInt64(try reader.u32(at + 28))
            fileOffset = UInt64(try reader.u32(at + 32))
            fileSize = UInt64(try reader.u32(at + 36))
            p = at + 40
        }
        let maxProt = try reader.u32(p)
        let initProt = try reader.u32(p + 4)
        let nsects = try reader.u32(p + 8)
        let flags = try reader.u32(p + 12)
        var segment = MachOSegment(
            name: name, vmAddress: vmAddress, vmSize: vmSize, fileOffset: fileOffset, fileSize: fileSize,
            maxProtection: maxProt, initialProtection: initProt, flags: flags,
            entropy: entropy(sliceOffset: fileOffset, size: fileSize, at: at, problems: &slice.problems), sections: [])
        if fileSize > 0, !sliceContains(offset: fileOffset, size: fileSize) {
            slice.problems.append(
                FormatIssue(area: "mach-o", offset: at, message: "segment \(name) file range \(fileOffset)+\(fileSize) lies outside the slice"))
        }
        let fitting = (size - headerSize) / sectionSize
        if Int(nsects) > fitting {
            slice.problems.append(
                FormatIssue(area: "mach-o", offset: at, message: "segment \(name) declares \(nsects) sections but cmdsize holds \(fitting)"))
        }
        for index in 0..<min(Int(nsects), fitting) {
            guard sectionCount < MachOConstants.maxSections else {
                slice.problems.append(
                    FormatIssue(area: "mach-o", offset: at, message: "more than \(MachOConstants.maxSections) sections; the rest are not read"))
                break
            }
            sectionCount += 1
            let s = at + headerSize + index * sectionSize
            let sectName = try bytes.fixedString(at: s, length: 16)
            let segName = try bytes.fixedString(at: s + 16, length: 16)
            let address, sectSize: UInt64
            let q: Int
            if is64 {
                address = try reader.u64(s + 32)
                sectSize = try reader.u64(s + 40)
                q = s + 48
            } else {
                address = UInt64(try reader.u32(s + 32))
                sectSize = UInt64(try reader.u32(s + 36))
                q = s + 40
            }
            let offset = try reader.u32(q)
            let sectFlags = try reader.u32(q + 16)
            let type = sectFlags & 0xFF
            let zeroFill = type == 0x1 || type == 0xC || type == 0x12
            var sectEntropy: Double? = nil
            if !zeroFill, sectSize > 0 {
                sectEntropy = entropy(sliceOffset: UInt64(offset), size: sectSize, at: s, problems: &slice.problems)
                if !sliceContains(offset: UInt64(offset), size: sectSize) {
                    slice.problems.append(
                        FormatIssue(area: "mach-o", offset: s, message: "section \(segName),\(sectName) range \(offset)+\(sectSize) lies outside the slice"))
                }
            }
            segment.sections.append(
                MachOSection(
                    name: sectName, segmentName: segName, address: address, size: sectSize, fileOffset: offset,
                    flags: sectFlags, isZeroFill: zeroFill, entropy: sectEntropy))
        }
        slice.segments.append(segment)
    }

    /// Whether a slice-relative range lies inside the slice and the file.
    private func sliceContains(offset: UInt64, size: UInt64) -> Bool {
        guard let off = Int(exactly: offset), let len = Int(exactly: size), off <= sliceSize, len <= sliceSize - off else {
            return false
        }
        return bytes.contains(offset: sliceBase + off, length: len)
    }

    /// Entropy of a slice-relative range, or `nil` if it is not inside the slice, the budget is spent
    /// or the parse does not measure entropy.
    private mutating func entropy(sliceOffset: UInt64, size: UInt64, at: Int, problems: inout [FormatIssue]) -> Double? {
        guard measuresEntropy, let off = Int(exactly: sliceOffset), let len = Int(exactly: size), off <= sliceSize, len <= sliceSize - off,
            let bytes = try? bytes.slice(at: sliceBase + off, length: len)
        else { return nil }
        guard len <= entropyBudget else {
            if !entropyBudgetReported {
                problems.append(
                    FormatIssue(
                        area: "mach-o", offset: at,
                        message: "segments and sections overlap so much that entropy is no longer measured from here on"))
                entropyBudgetReported = true
            }
            return nil
        }
        entropyBudget -= len
        return shannonEntropy(bytes)
    }

    static func uuidString(_ b: ArraySlice<UInt8>) -> String {
        let hex = Hex.string(b).uppercased()
        let c = Array(hex)
        guard c.count == 32 else { return hex }
        return String(c[0..<8]) + "-" + String(c[8..<12]) + "-" + String(c[12..<16]) + "-" + String(c[16..<20]) + "-"
            + String(c[20..<32])
    }
}
