/// A Mach-O file: one thin image, or a fat (universal) file holding one slice per architecture.
///
/// Built by ``MachOFile/parse(_:)``, which never throws: whatever could not be read is listed in
/// ``problems`` (file level) and in each slice's problems, with offsets.
public struct MachOFile: Codable, Hashable, Sendable {
    /// Size of the whole file in bytes.
    public var fileSize: Int
    /// The fat header, or `nil` for a thin file.
    public var fat: FatHeader?
    /// The slices: one for a thin file, one per readable fat architecture otherwise.
    public var slices: [MachOSlice]
    /// Problems found outside any slice (fat header, overlapping slices, unknown magic).
    public var problems: [FormatIssue]
    /// Fat files only: bytes after the end of the furthest slice (nothing loads them).
    public var trailing: TrailingData?

    public init(fileSize: Int, fat: FatHeader?, slices: [MachOSlice], problems: [FormatIssue], trailing: TrailingData? = nil) {
        self.fileSize = fileSize
        self.fat = fat
        self.slices = slices
        self.problems = problems
        self.trailing = trailing
    }

    /// Every problem of the file and its slices.
    public var allProblems: [FormatIssue] { problems + slices.flatMap(\.problems) }
}

/// A fat (universal) header: `0xCAFEBABE` with 20-byte `fat_arch` or `0xCAFEBABF` with 32-byte `fat_arch_64`.
public struct FatHeader: Codable, Hashable, Sendable {
    /// `true` for `0xCAFEBABF` (64-bit offsets and sizes).
    public var is64Bit: Bool
    /// `nfat_arch` as stored (may exceed the number read when capped or truncated).
    public var declaredArchitectureCount: UInt32
    public var architectures: [FatArchitecture]

    public init(is64Bit: Bool, declaredArchitectureCount: UInt32, architectures: [FatArchitecture]) {
        self.is64Bit = is64Bit
        self.declaredArchitectureCount = declaredArchitectureCount
        self.architectures = architectures
    }
}

/// One `fat_arch` entry.
public struct FatArchitecture: Codable, Hashable, Sendable {
    public var cpuType: UInt32
    public var cpuSubtype: UInt32
    /// Readable architecture name (`x86_64`, `arm64`…).
    public var name: String
    /// Offset of the slice in the file.
    public var offset: UInt64
    public var size: UInt64
    /// Alignment as a power of two.
    public var align: UInt32

    public init(cpuType: UInt32, cpuSubtype: UInt32, name: String, offset: UInt64, size: UInt64, align: UInt32) {
        self.cpuType = cpuType
        self.cpuSubtype = cpuSubtype
        self.name = name
        self.offset = offset
        self.size = size
        self.align = align
    }
}

/// The `mach_header` / `mach_header_64` of a slice.
public struct MachOHeader: Codable, Hashable, Sendable {
    public var magic: UInt32
    public var is64Bit: Bool
    public var isBigEndian: Bool
    public var cpuType: UInt32
    public var cpuSubtype: UInt32
    public var architecture: String
    public var fileType: UInt32
    public var fileTypeName: String
    public var numberOfCommands: UInt32
    public var sizeOfCommands: UInt32
    public var flags: UInt32

    public init(
        magic: UInt32, is64Bit: Bool, isBigEndian: Bool, cpuType: UInt32, cpuSubtype: UInt32, fileType: UInt32,
        numberOfCommands: UInt32, sizeOfCommands: UInt32, flags: UInt32
    ) {
        self.magic = magic
        self.is64Bit = is64Bit
        self.isBigEndian = isBigEndian
        self.cpuType = cpuType
        self.cpuSubtype = cpuSubtype
        self.architecture = MachOConstants.cpuName(type: cpuType, subtype: cpuSubtype)
        self.fileType = fileType
        self.fileTypeName = MachOConstants.fileTypeName(fileType)
        self.numberOfCommands = numberOfCommands
        self.sizeOfCommands = sizeOfCommands
        self.flags = flags
    }
}

/// One load command as found: number, name, size and where it is.
public struct LoadCommand: Codable, Hashable, Sendable {
    public var command: UInt32
    public var name: String
    public var size: UInt32
    /// Absolute file offset of the command.
    public var offset: Int

    public init(command: UInt32, size: UInt32, offset: Int) {
        self.command = command
        self.name = MachOConstants.loadCommandName(command)
        self.size = size
        self.offset = offset
    }
}

/// How a dylib is referenced by a load command.
public enum DylibKind: String, Codable, Hashable, Sendable, CaseIterable {
    /// `LC_ID_DYLIB`: the library's own install name.
    case id
    /// `LC_LOAD_DYLIB`.
    case load
    /// `LC_LOAD_WEAK_DYLIB`: loading continues if the library is missing (weak-dylib hijack surface).
    case weak
    /// `LC_REEXPORT_DYLIB`.
    case reexport
    /// `LC_LOAD_UPWARD_DYLIB`.
    case upward
    /// `LC_LAZY_LOAD_DYLIB`.
    case lazy

    public var commandName: String {
        switch self {
        case .id: "LC_ID_DYLIB"
        case .load: "LC_LOAD_DYLIB"
        case .weak: "LC_LOAD_WEAK_DYLIB"
        case .reexport: "LC_REEXPORT_DYLIB"
        case .upward: "LC_LOAD_UPWARD_DYLIB"
        case .lazy: "LC_LAZY_LOAD_DYLIB"
        }
    }
}

/// A `dylib_command`: a library name with its versions.
public struct DylibReference: Codable, Hashable, Sendable {
    public var kind: DylibKind
    /// The install name, e.g. `@rpath/libffmpeg.dylib`.
    public var name: String
    public var timestamp: UInt32
    public var currentVersion: String
    public var compatibilityVersion: String
    /// Absolute file offset of the load command.
    public var commandOffset: Int

    public init(
        kind: DylibKind, name: String, timestamp: UInt32, currentVersion: String, compatibilityVersion: String,
        commandOffset: Int
    ) {
        self.kind = kind
        self.name = name
        self.timestamp = timestamp
        self.currentVersion = currentVersion
        self.compatibilityVersion = compatibilityVersion
        self.commandOffset = commandOffset
    }
}

/// `LC_BUILD_VERSION` or one of the older `LC_VERSION_MIN_*` commands.
public struct BuildVersion: Codable, Hashable, Sendable {
    /// The command that carried it.
    public var command: String
    /// Platform name (`macos`, `ios`…).
    public var platform: String
    public var minimumOS: String
    public var sdk: String

    public init(command: String, platform: String, minimumOS: String, sdk: String) {
        self.command = command
        self.platform = platform
        self.minimumOS = minimumOS
        self.sdk = sdk
    }
}

/// A segment (`LC_SEGMENT` / `LC_SEGMENT_64`) with its file range and the entropy of that range.
public struct MachOSegment: Codable, Hashable, Sendable {
    public var name: String
    public var vmAddress: UInt64
    public var vmSize: UInt64
    /// Offset of the segment relative to the start of its slice, as stored.
    public var fileOffset: UInt64
    public var fileSize: UInt64
    public var maxProtection: UInt32
    public var initialProtection: UInt32
    public var flags: UInt32
    /// Shannon entropy (bits per byte) of the segment's bytes in the file; `nil` if the range is outside it.
    public var entropy: Double?
    public var sections: [MachOSection]

    public init(
        name: String, vmAddress: UInt64, vmSize: UInt64, fileOffset: UInt64, fileSize: UInt64, maxProtection: UInt32,
        initialProtection: UInt32, flags: UInt32, entropy: Double?, sections: [MachOSection]
    ) {
        self.name = name
        self.vmAddress = vmAddress
        self.vmSize = vmSize
        self.fileOffset = fileOffset
        self.fileSize = fileSize
        self.maxProtection = maxProtection
        self.initialProtection = initialProtection
        self.flags = flags
        self.entropy = entropy
        self.sections = sections
    }
}

/// A section inside a segment.
public struct MachOSection: Codable, Hashable, Sendable {
    public var name: String
    public var segmentName: String
    public var address: UInt64
    public var size: UInt64
    /// Offset relative to the start of the slice (0 for zero-fill sections).
    public var fileOffset: UInt32
    public var flags: UInt32
    /// `true` for zero-fill sections, which occupy no file bytes.
    public var isZeroFill: Bool
    /// Entropy of the section's file bytes; `nil` for zero-fill or out-of-range sections.
    public var entropy: Double?

    public init(
        name: String, segmentName: String, address: UInt64, size: UInt64, fileOffset: UInt32, flags: UInt32,
        isZeroFill: Bool, entropy: Double?
    ) {
        self.name = name
        self.segmentName = segmentName
        self.address = address
        self.size = size
        self.fileOffset = fileOffset
        self.flags = flags
        self.isZeroFill = isZeroFill
        self.entropy = entropy
    }
}

/// One architecture image: header, load commands and what they describe, and its code signature.
public struct MachOSlice: Codable, Hashable, Sendable {
    /// Absolute offset of the slice in the file (0 for a thin file).
    public var offset: Int
    /// Size of the slice in bytes.
    public var size: Int
    public var header: MachOHeader?
    public var loadCommands: [LoadCommand]
    public var segments: [MachOSegment]
    /// Every dylib reference except `LC_ID_DYLIB`, in load-command order.
    public var dylibs: [DylibReference]
    /// The `LC_ID_DYLIB` install name of a dylib.
    public var installName: DylibReference?
    /// `LC_RPATH` search paths in order.
    public var rpaths: [String]
    /// `LC_DYLD_ENVIRONMENT` strings (an injection vector worth seeing).
    public var dyldEnvironment: [String]
    public var buildVersion: BuildVersion?
    /// `LC_UUID` as an uppercase hyphenated UUID string.
    public var uuid: String?
    /// The `LC_CODE_SIGNATURE` range (slice-relative), if present.
    public var codeSignatureRange: LinkeditRange?
    /// The parsed signature, if `LC_CODE_SIGNATURE` is present and readable.
    public var codeSignature: CodeSignature?
    /// Bytes of the slice after the end of the furthest segment and of the code signature: data no
    /// load command maps (the Mach-O analogue of a PE overlay), outside the signed range.
    public var trailing: TrailingData?
    public var problems: [FormatIssue]

    public init(offset: Int, size: Int) {
        self.offset = offset
        self.size = size
        self.header = nil
        self.loadCommands = []
        self.segments = []
        self.dylibs = []
        self.installName = nil
        self.rpaths = []
        self.dyldEnvironment = []
        self.buildVersion = nil
        self.uuid = nil
        self.codeSignatureRange = nil
        self.codeSignature = nil
        self.trailing = nil
        self.problems = []
    }

    /// The signature class: unsigned without `LC_CODE_SIGNATURE`, otherwise what the signature says.
    public var signatureClass: SignatureClass { codeSignature?.signatureClass ?? .unsigned }
}

/// A `linkedit_data_command` range: offset (relative to the slice) and size.
public struct LinkeditRange: Codable, Hashable, Sendable {
    public var dataOffset: UInt32
    public var dataSize: UInt32

    public init(dataOffset: UInt32, dataSize: UInt32) {
        self.dataOffset = dataOffset
        self.dataSize = dataSize
    }
}
