import VigilBinary

/// Reads integers of one byte order from a ``ByteReader`` (Mach-O slices may be either order).
struct EndianReader {
    let reader: ByteReader
    let bigEndian: Bool

    func u32(_ at: Int) throws(BinaryReadError) -> UInt32 {
        bigEndian ? try reader.u32be(at: at) : try reader.u32le(at: at)
    }

    func u64(_ at: Int) throws(BinaryReadError) -> UInt64 {
        bigEndian ? try reader.u64be(at: at) : try reader.u64le(at: at)
    }
}

/// Parses one thin Mach-O image located at `offset ..< offset + size` of the file.
enum MachOSliceParser {
    static func parse(_ reader: ByteReader, offset base: Int, size: Int, options: ParseOptions = .complete) -> MachOSlice {
        var slice = MachOSlice(offset: base, size: size)
        guard let magicLE = try? reader.u32le(at: base) else {
            slice.problems.append(FormatIssue(area: "mach-o", offset: base, message: "slice shorter than a Mach-O magic"))
            return slice
        }
        let bigEndian: Bool
        let is64: Bool
        switch magicLE {
        case MachOConstants.magic32: (bigEndian, is64) = (false, false)
        case MachOConstants.magic64: (bigEndian, is64) = (false, true)
        case MachOConstants.magic32.byteSwapped: (bigEndian, is64) = (true, false)
        case MachOConstants.magic64.byteSwapped: (bigEndian, is64) = (true, true)
        default:
            slice.problems.append(
                FormatIssue(area: "mach-o", offset: base, message: "not a Mach-O magic: 0x\(String(magicLE, radix: 16)) (little-endian read)"))
            return slice
        }
        let r = EndianReader(reader: reader, bigEndian: bigEndian)
        let headerSize = is64 ? 32 : 28
        guard size >= headerSize,
            let cpuType = try? r.u32(base + 4), let cpuSubtype = try? r.u32(base + 8),
            let fileType = try? r.u32(base + 12), let ncmds = try? r.u32(base + 16),
            let sizeofcmds = try? r.u32(base + 20), let flags = try? r.u32(base + 24)
        else {
            slice.problems.append(FormatIssue(area: "mach-o", offset: base, message: "Mach-O header truncated (\(headerSize) bytes needed)"))
            return slice
        }
        slice.header = MachOHeader(
            magic: bigEndian ? magicLE.byteSwapped : magicLE, is64Bit: is64, isBigEndian: bigEndian, cpuType: cpuType,
            cpuSubtype: cpuSubtype, fileType: fileType, numberOfCommands: ncmds, sizeOfCommands: sizeofcmds,
            flags: flags)
        var context = LoadCommandContext(reader: r, sliceBase: base, sliceSize: size, is64: is64, options: options)
        context.readCommands(from: base + headerSize, count: ncmds, totalSize: sizeofcmds, into: &slice)
        CodeSignatureParser.attach(to: &slice, reader: reader)
        slice.trailing = trailingData(of: slice, reader: reader, headerEnd: headerSize + Int(sizeofcmds))
        return slice
    }

    /// The bytes after everything the load commands describe (segments' file ranges, the signature).
    static func trailingData(of slice: MachOSlice, reader: ByteReader, headerEnd: Int) -> TrailingData? {
        var end = min(headerEnd, slice.size)
        for segment in slice.segments {
            let (segmentEnd, overflow) = segment.fileOffset.addingReportingOverflow(segment.fileSize)
            if !overflow, segmentEnd <= UInt64(slice.size) { end = max(end, Int(segmentEnd)) }
        }
        if let range = slice.codeSignatureRange {
            let signatureEnd = Int(range.dataOffset) + Int(range.dataSize)
            if signatureEnd <= slice.size { end = max(end, signatureEnd) }
        }
        guard end < slice.size, let bytes = try? reader.slice(at: slice.offset + end, length: slice.size - end) else { return nil }
        return TrailingData(offset: slice.offset + end, bytes: bytes)
    }
}
