/// Numeric constants of the Mach-O format, from Apple's `<mach-o/loader.h>`, `<mach-o/fat.h>` and
/// `<mach/machine.h>` (apple-oss-distributions/xnu and cctools), with readable names for reports.
public enum MachOConstants {
    public static let magic32: UInt32 = 0xFEED_FACE
    public static let magic64: UInt32 = 0xFEED_FACF
    public static let fatMagic: UInt32 = 0xCAFE_BABE
    public static let fatMagic64: UInt32 = 0xCAFE_BABF

    /// The most architectures Vigil reads from a fat header (real files have 1 to 4).
    public static let maxFatArchitectures = 64
    /// The most load commands read per slice (real binaries have tens; dyld itself rejects huge counts).
    public static let maxLoadCommands = 4096
    /// The most sections read per slice.
    public static let maxSections = 2048

    // Load command numbers.
    public static let lcReqDyld: UInt32 = 0x8000_0000
    public static let lcSegment: UInt32 = 0x1
    public static let lcSymtab: UInt32 = 0x2
    public static let lcLoadDylib: UInt32 = 0xC
    public static let lcIdDylib: UInt32 = 0xD
    public static let lcLoadDylinker: UInt32 = 0xE
    public static let lcIdDylinker: UInt32 = 0xF
    public static let lcSegment64: UInt32 = 0x19
    public static let lcUUID: UInt32 = 0x1B
    public static let lcCodeSignature: UInt32 = 0x1D
    public static let lcLazyLoadDylib: UInt32 = 0x20
    public static let lcEncryptionInfo: UInt32 = 0x21
    public static let lcVersionMinMacOSX: UInt32 = 0x24
    public static let lcVersionMinIPhoneOS: UInt32 = 0x25
    public static let lcDyldEnvironment: UInt32 = 0x27
    public static let lcEncryptionInfo64: UInt32 = 0x2C
    public static let lcVersionMinTvOS: UInt32 = 0x2F
    public static let lcVersionMinWatchOS: UInt32 = 0x30
    public static let lcBuildVersion: UInt32 = 0x32
    public static let lcLoadWeakDylib: UInt32 = 0x8000_0018
    public static let lcRpath: UInt32 = 0x8000_001C
    public static let lcReexportDylib: UInt32 = 0x8000_001F
    public static let lcLoadUpwardDylib: UInt32 = 0x8000_0023
    public static let lcMain: UInt32 = 0x8000_0028

    /// The `<mach-o/loader.h>` name of a load command, or its number in hex.
    public static func loadCommandName(_ cmd: UInt32) -> String {
        let names: [UInt32: String] = [
            0x1: "LC_SEGMENT", 0x2: "LC_SYMTAB", 0x3: "LC_SYMSEG", 0x4: "LC_THREAD", 0x5: "LC_UNIXTHREAD",
            0x6: "LC_LOADFVMLIB", 0x7: "LC_IDFVMLIB", 0x8: "LC_IDENT", 0x9: "LC_FVMFILE", 0xA: "LC_PREPAGE",
            0xB: "LC_DYSYMTAB", 0xC: "LC_LOAD_DYLIB", 0xD: "LC_ID_DYLIB", 0xE: "LC_LOAD_DYLINKER",
            0xF: "LC_ID_DYLINKER", 0x10: "LC_PREBOUND_DYLIB", 0x11: "LC_ROUTINES", 0x12: "LC_SUB_FRAMEWORK",
            0x13: "LC_SUB_UMBRELLA", 0x14: "LC_SUB_CLIENT", 0x15: "LC_SUB_LIBRARY", 0x16: "LC_TWOLEVEL_HINTS",
            0x17: "LC_PREBIND_CKSUM", 0x8000_0018: "LC_LOAD_WEAK_DYLIB", 0x19: "LC_SEGMENT_64",
            0x1A: "LC_ROUTINES_64", 0x1B: "LC_UUID", 0x8000_001C: "LC_RPATH", 0x1D: "LC_CODE_SIGNATURE",
            0x1E: "LC_SEGMENT_SPLIT_INFO", 0x8000_001F: "LC_REEXPORT_DYLIB", 0x20: "LC_LAZY_LOAD_DYLIB",
            0x21: "LC_ENCRYPTION_INFO", 0x22: "LC_DYLD_INFO", 0x8000_0022: "LC_DYLD_INFO_ONLY",
            0x8000_0023: "LC_LOAD_UPWARD_DYLIB", 0x24: "LC_VERSION_MIN_MACOSX", 0x25: "LC_VERSION_MIN_IPHONEOS",
            0x26: "LC_FUNCTION_STARTS", 0x27: "LC_DYLD_ENVIRONMENT", 0x8000_0028: "LC_MAIN",
            0x29: "LC_DATA_IN_CODE", 0x2A: "LC_SOURCE_VERSION", 0x2B: "LC_DYLIB_CODE_SIGN_DRS",
            0x2C: "LC_ENCRYPTION_INFO_64", 0x2D: "LC_LINKER_OPTION", 0x2E: "LC_LINKER_OPTIMIZATION_HINT",
            0x2F: "LC_VERSION_MIN_TVOS", 0x30: "LC_VERSION_MIN_WATCHOS", 0x31: "LC_NOTE", 0x32: "LC_BUILD_VERSION",
            0x8000_0033: "LC_DYLD_EXPORTS_TRIE", 0x8000_0034: "LC_DYLD_CHAINED_FIXUPS",
            0x8000_0035: "LC_FILESET_ENTRY", 0x36: "LC_ATOM_INFO",
        ]
        return names[cmd] ?? "LC_0x" + String(cmd, radix: 16)
    }

    /// The name of a CPU type (`cputype`), as llvm-objdump prints it, or its number.
    public static func cpuName(type: UInt32, subtype: UInt32) -> String {
        let sub = subtype & 0x00FF_FFFF
        switch type {
        case 7: return "i386"
        case 0x0100_0007: return sub == 8 ? "x86_64h" : "x86_64"
        case 12: return sub == 9 ? "armv7" : (sub == 11 ? "armv7s" : "arm")
        case 0x0100_000C: return sub == 2 ? "arm64e" : "arm64"
        case 0x0200_000C: return "arm64_32"
        case 18: return "ppc"
        case 0x0100_0012: return "ppc64"
        default: return "cpu-\(type)"
        }
    }

    /// The `MH_*` file type name.
    public static func fileTypeName(_ type: UInt32) -> String {
        let names: [UInt32: String] = [
            1: "OBJECT", 2: "EXECUTE", 3: "FVMLIB", 4: "CORE", 5: "PRELOAD", 6: "DYLIB", 7: "DYLINKER",
            8: "BUNDLE", 9: "DYLIB_STUB", 10: "DSYM", 11: "KEXT_BUNDLE", 12: "FILESET",
        ]
        return names[type] ?? "filetype-\(type)"
    }

    /// The `PLATFORM_*` name used in `LC_BUILD_VERSION`.
    public static func platformName(_ platform: UInt32) -> String {
        let names: [UInt32: String] = [
            1: "macos", 2: "ios", 3: "tvos", 4: "watchos", 5: "bridgeos", 6: "maccatalyst",
            7: "iossimulator", 8: "tvossimulator", 9: "watchossimulator", 10: "driverkit", 11: "visionos",
            12: "visionossimulator",
        ]
        return names[platform] ?? "platform-\(platform)"
    }

    /// A packed `xxxx.yy.zz` version (dylib versions) as text, e.g. `1.2.3`.
    public static func dylibVersion(_ v: UInt32) -> String { "\(v >> 16).\((v >> 8) & 0xFF).\(v & 0xFF)" }

    /// A packed `xxxx.yy.zz` version as used by `LC_BUILD_VERSION` (`11.0`, `11.0.1`).
    public static func osVersion(_ v: UInt32) -> String {
        let patch = v & 0xFF
        return patch == 0 ? "\(v >> 16).\((v >> 8) & 0xFF)" : "\(v >> 16).\((v >> 8) & 0xFF).\(patch)"
    }
}
