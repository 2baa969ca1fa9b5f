import Crypto
import VigilBinary

/// Decodes a CodeDirectory blob (0xFADE0C02). Version-dependent fields are read only when the
/// version says they exist and they fit inside the blob.
enum CodeDirectoryParser {
    static func parse(_ reader: ByteReader, slot: UInt32, blob: Range<Int>, problems: inout [FormatIssue]) -> CodeDirectory {
        var cd = CodeDirectory(slot: slot, offset: blob.lowerBound, length: UInt32(blob.count))
        let b = blob.lowerBound
        func u32(_ o: Int) -> UInt32? { o + 4 <= blob.count ? try? reader.u32be(at: b + o) : nil }
        func u64(_ o: Int) -> UInt64? { o + 8 <= blob.count ? try? reader.u64be(at: b + o) : nil }
        func u8(_ o: Int) -> UInt8? { o + 1 <= blob.count ? try? reader.u8(at: b + o) : nil }
        guard let version = u32(8), let flags = u32(12), let hashOffset = u32(16), let identOffset = u32(20),
            let nSpecial = u32(24), let nCode = u32(28), let codeLimit = u32(32), let hashSize = u8(36),
            let hashType = u8(37), let platform = u8(38), let pageShift = u8(39)
        else {
            problems.append(FormatIssue(area: "mach-o", offset: b, message: "CodeDirectory shorter than its 44-byte fixed part"))
            return cd
        }
        cd.version = version
        cd.flags = flags
        cd.flagNames = CodeDirectory.names(ofFlags: flags)
        cd.specialSlotCount = nSpecial
        cd.codeSlotCount = nCode
        cd.hashOffset = hashOffset
        cd.codeLimit = UInt64(codeLimit)
        cd.hashSize = hashSize
        cd.rawHashType = hashType
        cd.hashType = CodeHashType(rawType: hashType)
        cd.platform = platform
        if pageShift >= 31 {
            problems.append(FormatIssue(area: "mach-o", offset: b + 39, message: "CodeDirectory page shift \(pageShift) is too large"))
        } else {
            cd.pageSize = pageShift == 0 ? 0 : 1 << Int(pageShift)
        }
        cd.identifier = string(reader, blob: blob, at: identOffset, what: "identifier", problems: &problems) ?? ""
        if version >= 0x20200, let teamOffset = u32(48), teamOffset != 0 {
            cd.teamIdentifier = string(reader, blob: blob, at: teamOffset, what: "team identifier", problems: &problems)
        }
        if version >= 0x20300, let limit64 = u64(56), limit64 != 0 { cd.codeLimit = limit64 }
        if version >= 0x20400 {
            cd.execSegmentBase = u64(64)
            cd.execSegmentLimit = u64(72)
            cd.execSegmentFlags = u64(80)
        }
        if version >= 0x20500, let runtime = u32(88) { cd.runtimeVersion = MachOConstants.osVersion(runtime) }
        if let whole = try? reader.slice(at: b, length: blob.count), let digest = PageHasher.hash(whole, type: cd.hashType) {
            cd.cdhash = Hex.string(digest.prefix(20))
        }
        if Int(hashOffset) > blob.count {
            problems.append(FormatIssue(area: "mach-o", offset: b + 16, message: "CodeDirectory hashOffset \(hashOffset) outside the blob"))
        }
        return cd
    }

    private static func string(
        _ reader: ByteReader, blob: Range<Int>, at offset: UInt32, what: String, problems: inout [FormatIssue]
    ) -> String? {
        guard Int(offset) < blob.count, let s = try? reader.cString(at: blob.lowerBound + Int(offset), maxLength: blob.count - Int(offset))
        else {
            problems.append(FormatIssue(area: "mach-o", offset: blob.lowerBound, message: "CodeDirectory \(what) offset \(offset) outside the blob"))
            return nil
        }
        return s
    }
}

/// Hashes with a CodeDirectory's hash type (swift-crypto).
enum PageHasher {
    static func hash(_ bytes: ArraySlice<UInt8>, type: CodeHashType) -> [UInt8]? {
        switch type {
        case .sha1: Array(Insecure.SHA1.hash(data: bytes))
        case .sha256, .sha256Truncated: Array(SHA256.hash(data: bytes))
        case .sha384: Array(SHA384.hash(data: bytes))
        case .unknown: nil
        }
    }
}
