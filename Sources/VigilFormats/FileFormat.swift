/// A file format recognised by its magic bytes (never by its extension).
public enum FileFormat: String, Codable, Sendable, CaseIterable {
    /// MZ header followed by a valid `PE\0\0` signature.
    case pe
    /// MZ header without a reachable PE signature (DOS executable or damaged PE).
    case mz
    /// A thin Mach-O file, 32 or 64 bit, either byte order.
    case macho
    /// A fat (universal) Mach-O file holding several architectures.
    case machoFat = "macho-fat"
    case elf
    case ico
    case png
    case zip
    case gzip
    case tar
    case unknown

    /// Identifies the format of `bytes` from their leading magic.
    public static func identify(_ bytes: some RandomAccessCollection<UInt8>) -> FileFormat {
        let b = Array(bytes.prefix(512))
        func u32be(_ o: Int) -> UInt32? {
            guard b.count >= o + 4 else { return nil }
            return UInt32(b[o]) << 24 | UInt32(b[o + 1]) << 16 | UInt32(b[o + 2]) << 8 | UInt32(b[o + 3])
        }
        if b.count >= 2, b[0] == 0x4D, b[1] == 0x5A {
            // e_lfanew at 0x3C must point at "PE\0\0" inside the file.
            let all = Array(bytes)
            if all.count >= 0x40 {
                let lfanew = Int(all[0x3C]) | Int(all[0x3D]) << 8 | Int(all[0x3E]) << 16 | Int(all[0x3F]) << 24
                if lfanew >= 0, lfanew <= all.count - 4, all[lfanew] == 0x50, all[lfanew + 1] == 0x45,
                    all[lfanew + 2] == 0, all[lfanew + 3] == 0
                {
                    return .pe
                }
            }
            return .mz
        }
        if let magic = u32be(0) {
            switch magic {
            case 0xFEED_FACE, 0xFEED_FACF, 0xCEFA_EDFE, 0xCFFA_EDFE: return .macho
            case 0xCAFE_BABE, 0xCAFE_BABF:
                // Java class files share 0xCAFEBABE, followed by minor and major version (major >= 45),
                // so the same word reads 45 or more; a fat header counts a few architectures (as file(1)
                // decides: fewer than 20).
                if let n = u32be(4), n > 0, n < 20 { return .machoFat }
            case 0x7F45_4C46: return .elf
            case 0x8950_4E47: if u32be(4) == 0x0D0A_1A0A { return .png }
            // ICO (type 1) and CUR (type 2) share one layout; both need at least one image.
            case 0x0000_0100, 0x0000_0200: if b.count >= 6, b[4] != 0 || b[5] != 0 { return .ico }
            case 0x504B_0304, 0x504B_0506: return .zip
            default: break
            }
        }
        if b.count >= 2, b[0] == 0x1F, b[1] == 0x8B { return .gzip }
        if b.count >= 262, b[257..<262].elementsEqual("ustar".utf8) { return .tar }
        return .unknown
    }
}
