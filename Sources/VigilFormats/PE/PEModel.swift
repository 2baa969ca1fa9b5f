/// A parsed PE/COFF file (PE32 or PE32+). Every field is a value read from the file or computed
/// from it; offsets are file offsets. Anything that could not be read is missing and explained in
/// ``issues``.
public struct PEFile: Codable, Sendable, Hashable {
    /// File size in bytes.
    public var fileSize: Int
    /// `e_lfanew`: file offset of the `PE\0\0` signature.
    public var peHeaderOffset: Int
    /// The COFF file header.
    public var coff: COFFHeader
    /// The optional header; `nil` when it is missing or truncated.
    public var optionalHeader: OptionalHeader?
    /// Section table entries, in file order (capped at ``PELimits/maxSections``).
    public var sections: [PESection]
    /// Imported libraries, regular imports first, then delay-load imports.
    public var imports: [PEImport]
    /// The export directory, if any.
    public var exports: PEExports?
    /// The VS_VERSIONINFO resource, if any.
    public var versionInfo: PEVersionInfo?
    /// Stored and computed PE checksum.
    public var checksum: PEChecksum
    /// Bytes after the end of the last section's raw data (or headers), broken down by content.
    public var overlay: PEOverlay?
    /// The security directory (certificate table) and every WIN_CERTIFICATE entry in it.
    public var certificateTable: PECertificateTable?
    /// What could not be read or looked wrong, with offsets.
    public var issues: [FormatIssue]

    /// Creates a PE description (used by the parser and tests).
    public init(
        fileSize: Int, peHeaderOffset: Int, coff: COFFHeader, optionalHeader: OptionalHeader?,
        sections: [PESection], imports: [PEImport], exports: PEExports?, versionInfo: PEVersionInfo?,
        checksum: PEChecksum, overlay: PEOverlay?, certificateTable: PECertificateTable?, issues: [FormatIssue]
    ) {
        self.fileSize = fileSize
        self.peHeaderOffset = peHeaderOffset
        self.coff = coff
        self.optionalHeader = optionalHeader
        self.sections = sections
        self.imports = imports
        self.exports = exports
        self.versionInfo = versionInfo
        self.checksum = checksum
        self.overlay = overlay
        self.certificateTable = certificateTable
        self.issues = issues
    }
}

/// The 20-byte COFF file header that follows `PE\0\0`.
public struct COFFHeader: Codable, Sendable, Hashable {
    /// Target machine, e.g. 0x8664 (x64), 0x14c (i386), 0xaa64 (ARM64).
    public var machine: UInt16
    /// Number of section headers declared (may exceed what was parsed).
    public var numberOfSections: UInt16
    /// Link time (seconds since 1970), often zero or a hash in reproducible builds.
    public var timeDateStamp: UInt32
    /// File offset of the COFF symbol table, 0 when stripped.
    public var pointerToSymbolTable: UInt32
    /// Number of COFF symbol records.
    public var numberOfSymbols: UInt32
    /// Declared size of the optional header.
    public var sizeOfOptionalHeader: UInt16
    /// IMAGE_FILE_* flags (0x2000 = DLL).
    public var characteristics: UInt16

    /// Creates a header value.
    public init(
        machine: UInt16, numberOfSections: UInt16, timeDateStamp: UInt32, pointerToSymbolTable: UInt32,
        numberOfSymbols: UInt32, sizeOfOptionalHeader: UInt16, characteristics: UInt16
    ) {
        self.machine = machine
        self.numberOfSections = numberOfSections
        self.timeDateStamp = timeDateStamp
        self.pointerToSymbolTable = pointerToSymbolTable
        self.numberOfSymbols = numberOfSymbols
        self.sizeOfOptionalHeader = sizeOfOptionalHeader
        self.characteristics = characteristics
    }

    /// Whether IMAGE_FILE_DLL is set.
    public var isDLL: Bool { characteristics & 0x2000 != 0 }

    /// A short machine name (`x64`, `i386`, `arm64`, …) or the hex value.
    public var machineName: String {
        switch machine {
        case 0x14c: "i386"
        case 0x8664: "x64"
        case 0xaa64: "arm64"
        case 0x1c0: "arm"
        case 0x1c4: "armnt"
        case 0x200: "ia64"
        case 0xebc: "efi-bytecode"
        default: "0x" + String(machine, radix: 16)
        }
    }
}

/// The fields of the optional header that matter for analysis, for PE32 and PE32+.
public struct OptionalHeader: Codable, Sendable, Hashable {
    /// File offset of the optional header.
    public var offset: Int
    /// 0x10b (PE32) or 0x20b (PE32+).
    public var magic: UInt16
    public var majorLinkerVersion: UInt8
    public var minorLinkerVersion: UInt8
    public var sizeOfCode: UInt32
    public var addressOfEntryPoint: UInt32
    public var imageBase: UInt64
    public var sectionAlignment: UInt32
    public var fileAlignment: UInt32
    public var majorOperatingSystemVersion: UInt16
    public var minorOperatingSystemVersion: UInt16
    public var majorSubsystemVersion: UInt16
    public var minorSubsystemVersion: UInt16
    public var sizeOfImage: UInt32
    public var sizeOfHeaders: UInt32
    /// The stored checksum (file offset ``checksumOffset``).
    public var checkSum: UInt32
    public var subsystem: UInt16
    public var dllCharacteristics: UInt16
    /// Declared number of data directories (only the first 16 are read).
    public var numberOfRvaAndSizes: UInt32
    /// Data directories actually present in the file.
    public var dataDirectories: [DataDirectory]

    /// Creates an optional header value.
    public init(
        offset: Int, magic: UInt16, majorLinkerVersion: UInt8, minorLinkerVersion: UInt8, sizeOfCode: UInt32,
        addressOfEntryPoint: UInt32, imageBase: UInt64, sectionAlignment: UInt32, fileAlignment: UInt32,
        majorOperatingSystemVersion: UInt16, minorOperatingSystemVersion: UInt16, majorSubsystemVersion: UInt16,
        minorSubsystemVersion: UInt16, sizeOfImage: UInt32, sizeOfHeaders: UInt32, checkSum: UInt32,
        subsystem: UInt16, dllCharacteristics: UInt16, numberOfRvaAndSizes: UInt32, dataDirectories: [DataDirectory]
    ) {
        self.offset = offset
        self.magic = magic
        self.majorLinkerVersion = majorLinkerVersion
        self.minorLinkerVersion = minorLinkerVersion
        self.sizeOfCode = sizeOfCode
        self.addressOfEntryPoint = addressOfEntryPoint
        self.imageBase = imageBase
        self.sectionAlignment = sectionAlignment
        self.fileAlignment = fileAlignment
        self.majorOperatingSystemVersion = majorOperatingSystemVersion
        self.minorOperatingSystemVersion = minorOperatingSystemVersion
        self.majorSubsystemVersion = majorSubsystemVersion
        self.minorSubsystemVersion = minorSubsystemVersion
        self.sizeOfImage = sizeOfImage
        self.sizeOfHeaders = sizeOfHeaders
        self.checkSum = checkSum
        self.subsystem = subsystem
        self.dllCharacteristics = dllCharacteristics
        self.numberOfRvaAndSizes = numberOfRvaAndSizes
        self.dataDirectories = dataDirectories
    }

    /// Whether this is a PE32+ (64-bit) header.
    public var isPE32Plus: Bool { magic == 0x20b }
    /// File offset of the 4-byte checksum field.
    public var checksumOffset: Int { offset + 64 }
    /// File offset of the 8-byte security-directory entry (data directory 4).
    public var securityDirectoryEntryOffset: Int { offset + (isPE32Plus ? 112 : 96) + 4 * 8 }

    /// The data directory at `index`, if present.
    public func directory(_ index: Int) -> DataDirectory? {
        index < dataDirectories.count ? dataDirectories[index] : nil
    }
}

/// One entry of the data directory table.
public struct DataDirectory: Codable, Sendable, Hashable {
    /// Index in the table (0 export, 1 import, 2 resource, 4 security, 13 delay import…).
    public var index: Int
    /// An RVA, except for the security directory (index 4) where it is a file offset.
    public var virtualAddress: UInt32
    public var size: UInt32

    /// Creates a directory entry.
    public init(index: Int, virtualAddress: UInt32, size: UInt32) {
        self.index = index
        self.virtualAddress = virtualAddress
        self.size = size
    }

    /// The conventional name of directory `index`.
    public var name: String {
        let names = [
            "export", "import", "resource", "exception", "security", "basereloc", "debug", "architecture",
            "globalptr", "tls", "load_config", "bound_import", "iat", "delay_import", "clr_runtime", "reserved",
        ]
        return index < names.count ? names[index] : "directory\(index)"
    }
}

/// A section header plus the entropy of its raw data.
public struct PESection: Codable, Sendable, Hashable {
    /// Name as stored (up to 8 bytes, NUL-padded), decoded as UTF-8.
    public var name: String
    public var virtualSize: UInt32
    public var virtualAddress: UInt32
    public var sizeOfRawData: UInt32
    public var pointerToRawData: UInt32
    /// IMAGE_SCN_* flags (0x20000000 execute, 0x80000000 write…).
    public var characteristics: UInt32
    /// Shannon entropy (bits per byte) of the raw data present in the file; `nil` when the parse did
    /// not measure it (``ParseOptions/structure``).
    public var entropy: Double?

    /// Creates a section value.
    public init(
        name: String, virtualSize: UInt32, virtualAddress: UInt32, sizeOfRawData: UInt32, pointerToRawData: UInt32,
        characteristics: UInt32, entropy: Double?
    ) {
        self.name = name
        self.virtualSize = virtualSize
        self.virtualAddress = virtualAddress
        self.sizeOfRawData = sizeOfRawData
        self.pointerToRawData = pointerToRawData
        self.characteristics = characteristics
        self.entropy = entropy
    }

    /// Whether the section is executable (IMAGE_SCN_MEM_EXECUTE).
    public var isExecutable: Bool { characteristics & 0x2000_0000 != 0 }
    /// Whether the section is writable (IMAGE_SCN_MEM_WRITE).
    public var isWritable: Bool { characteristics & 0x8000_0000 != 0 }
}

/// One imported DLL and the functions taken from it.
public struct PEImport: Codable, Sendable, Hashable {
    /// The DLL name as written in the file (case preserved).
    public var dll: String
    /// Whether this comes from the delay-load import directory.
    public var delayLoad: Bool
    /// Imported functions, by name or ordinal.
    public var functions: [PEImportedFunction]

    /// Creates an import value.
    public init(dll: String, delayLoad: Bool, functions: [PEImportedFunction]) {
        self.dll = dll
        self.delayLoad = delayLoad
        self.functions = functions
    }
}

/// One imported function: by name (with its hint) or by ordinal.
public struct PEImportedFunction: Codable, Sendable, Hashable {
    /// The function name, when imported by name.
    public var name: String?
    /// The ordinal, when imported by ordinal.
    public var ordinal: UInt16?
    /// The hint (index into the exporter's name table), when imported by name.
    public var hint: UInt16?

    /// Creates an imported function value.
    public init(name: String? = nil, ordinal: UInt16? = nil, hint: UInt16? = nil) {
        self.name = name
        self.ordinal = ordinal
        self.hint = hint
    }
}

/// The export directory.
public struct PEExports: Codable, Sendable, Hashable {
    /// The DLL's own name as stored in the export directory.
    public var dllName: String?
    /// The ordinal base.
    public var ordinalBase: UInt32
    /// Exported symbols: named ones in name-table order, then unnamed ones by ordinal.
    public var symbols: [PEExport]

    /// Creates an export directory value.
    public init(dllName: String?, ordinalBase: UInt32, symbols: [PEExport]) {
        self.dllName = dllName
        self.ordinalBase = ordinalBase
        self.symbols = symbols
    }
}

/// One exported symbol.
public struct PEExport: Codable, Sendable, Hashable {
    public var ordinal: UInt32
    /// The name, or `nil` when exported by ordinal only.
    public var name: String?
    /// RVA of the function (or of the forwarder string).
    public var rva: UInt32
    /// `"OTHER.Function"` when the export is forwarded to another DLL.
    public var forwarder: String?

    /// Creates an export value.
    public init(ordinal: UInt32, name: String?, rva: UInt32, forwarder: String?) {
        self.ordinal = ordinal
        self.name = name
        self.rva = rva
        self.forwarder = forwarder
    }
}

/// The VS_VERSIONINFO resource: the fixed versions and the string table chosen (English first).
public struct PEVersionInfo: Codable, Sendable, Hashable {
    /// `a.b.c.d` from VS_FIXEDFILEINFO FileVersionMS/LS.
    public var fixedFileVersion: String?
    /// `a.b.c.d` from VS_FIXEDFILEINFO ProductVersionMS/LS.
    public var fixedProductVersion: String?
    /// The StringTable key chosen, e.g. `040904b0`.
    public var stringTable: String?
    /// Strings of the chosen table, in file order (CompanyName, ProductName, FileVersion…).
    public var strings: [PEVersionString]
    /// File offset of the resource data.
    public var offset: Int

    /// Creates a version-info value.
    public init(
        fixedFileVersion: String?, fixedProductVersion: String?, stringTable: String?, strings: [PEVersionString],
        offset: Int
    ) {
        self.fixedFileVersion = fixedFileVersion
        self.fixedProductVersion = fixedProductVersion
        self.stringTable = stringTable
        self.strings = strings
        self.offset = offset
    }

    /// The value of `key` (e.g. `"CompanyName"`), if present.
    public subscript(key: String) -> String? { strings.first { $0.key == key }?.value }
}

/// A key/value pair from a StringFileInfo table.
public struct PEVersionString: Codable, Sendable, Hashable {
    public var key: String
    public var value: String

    /// Creates a pair.
    public init(key: String, value: String) {
        self.key = key
        self.value = value
    }
}

/// The PE checksum as stored in the optional header and as computed with the
/// `CheckSumMappedFile` algorithm.
public struct PEChecksum: Codable, Sendable, Hashable {
    public var stored: UInt32
    public var computed: UInt32
    /// Whether stored equals computed (a zero stored checksum never matches).
    public var matches: Bool { stored == computed }

    /// Creates a checksum value.
    public init(stored: UInt32, computed: UInt32) {
        self.stored = stored
        self.computed = computed
    }

    enum CodingKeys: String, CodingKey { case stored, computed, matches }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        stored = try c.decode(UInt32.self, forKey: .stored)
        computed = try c.decode(UInt32.self, forKey: .computed)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(stored, forKey: .stored)
        try c.encode(computed, forKey: .computed)
        try c.encode(matches, forKey: .matches)
    }
}

/// Bytes after the mapped image, split by what they are.
public struct PEOverlay: Codable, Sendable, Hashable {
    /// First byte after the headers, sections and data directories (pefile's definition).
    public var offset: Int
    /// Number of bytes from ``offset`` to end of file.
    public var size: Int
    /// Entropy of the whole overlay.
    public var entropy: Double
    /// The part holding the COFF symbol and string tables, if `PointerToSymbolTable` points there.
    public var symbolTable: Range<Int>?
    /// The part holding the certificate table, if it lies in the overlay.
    public var certificateTable: Range<Int>?
    /// Bytes after the certificate table (always suspicious: not covered by the signature).
    public var afterCertificateTable: MeasuredRegion?
    /// Bytes not explained by the parts above (appended archives, installers, payloads).
    public var otherBytes: Int

    /// Creates an overlay value.
    public init(
        offset: Int, size: Int, entropy: Double, symbolTable: Range<Int>?, certificateTable: Range<Int>?,
        afterCertificateTable: MeasuredRegion?, otherBytes: Int
    ) {
        self.offset = offset
        self.size = size
        self.entropy = entropy
        self.symbolTable = symbolTable
        self.certificateTable = certificateTable
        self.afterCertificateTable = afterCertificateTable
        self.otherBytes = otherBytes
    }
}

/// The certificate table named by the security directory (data directory 4).
public struct PECertificateTable: Codable, Sendable, Hashable {
    /// File offset from the directory (a file offset, not an RVA).
    public var offset: Int
    /// Size from the directory.
    public var size: Int
    /// Whether the table ends exactly at end of file.
    public var atEndOfFile: Bool
    /// Bytes between the end of the table and end of file (0 when at end of file).
    public var bytesAfter: Int
    /// Sum of the 8-aligned `dwLength`s; equals ``size`` in a well-formed table.
    public var sumOfAlignedLengths: Int
    /// Every WIN_CERTIFICATE entry, in order (capped at ``PELimits/maxCertificates``).
    public var entries: [WinCertificate]
    /// File offsets of the `FE ED FA CE FE ED FA CE` egg (SigFlip / 3CX marker) anywhere in the table.
    public var markerOffsets: [Int]

    /// Creates a certificate-table value.
    public init(
        offset: Int, size: Int, atEndOfFile: Bool, bytesAfter: Int, sumOfAlignedLengths: Int,
        entries: [WinCertificate], markerOffsets: [Int]
    ) {
        self.offset = offset
        self.size = size
        self.atEndOfFile = atEndOfFile
        self.bytesAfter = bytesAfter
        self.sumOfAlignedLengths = sumOfAlignedLengths
        self.entries = entries
        self.markerOffsets = markerOffsets
    }
}

/// One WIN_CERTIFICATE entry and the slack around its DER blob.
public struct WinCertificate: Codable, Sendable, Hashable {
    /// File offset of the 8-byte header.
    public var offset: Int
    /// `dwLength` (includes the 8-byte header).
    public var length: UInt32
    /// `wRevision` (0x0200 for Authenticode).
    public var revision: UInt16
    /// `wCertificateType` (2 = PKCS_SIGNED_DATA).
    public var certificateType: UInt16
    /// File offset of `bCertificate`.
    public var contentOffset: Int
    /// Length of the first DER TLV in `bCertificate`, when it parses.
    public var derLength: Int?
    /// Bytes after the DER blob but inside `dwLength`: normal signers leave 0–7 zero bytes.
    public var slack: MeasuredRegion?
    /// Alignment bytes after `dwLength` up to the next 8-byte boundary (inside the table).
    public var alignmentPadding: MeasuredRegion?

    /// Creates an entry value.
    public init(
        offset: Int, length: UInt32, revision: UInt16, certificateType: UInt16, contentOffset: Int, derLength: Int?,
        slack: MeasuredRegion?, alignmentPadding: MeasuredRegion?
    ) {
        self.offset = offset
        self.length = length
        self.revision = revision
        self.certificateType = certificateType
        self.contentOffset = contentOffset
        self.derLength = derLength
        self.slack = slack
        self.alignmentPadding = alignmentPadding
    }

    /// Whether the slack or padding holds anything unusual: more than 7 bytes, or any non-zero byte
    /// (the CVE-2013-3900 / 3CX technique).
    public var slackIsAnomalous: Bool {
        if let slack, slack.size > 7 || !slack.allZero { return true }
        if let alignmentPadding, !alignmentPadding.allZero { return true }
        return false
    }
}

/// Caps on counts read from PE files: a hostile file cannot make the parser loop or allocate more.
public enum PELimits {
    /// Sections parsed (yara-x uses the same cap).
    public static let maxSections = 96
    /// Imported functions in total, across DLLs.
    public static let maxImportedFunctions = 16_384
    /// Import descriptors (DLLs).
    public static let maxImportedLibraries = 1_024
    /// Exported symbols.
    public static let maxExports = 65_536
    /// Resource directory entries visited in total.
    public static let maxResourceEntries = 65_536
    /// Resource directory nesting.
    public static let maxResourceDepth = 3
    /// WIN_CERTIFICATE entries.
    public static let maxCertificates = 16
    /// Version-info blocks visited.
    public static let maxVersionBlocks = 1_024
    /// Length of names (DLLs, functions) read.
    public static let maxNameLength = 1_024
}
