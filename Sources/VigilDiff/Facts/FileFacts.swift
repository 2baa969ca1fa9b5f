import VigilFormats

/// What Vigil knows about one release member: enough to compare it with its counterpart and to
/// explain a change, small enough to keep for every file of a large release (no file contents).
public struct FileFacts: Sendable, Codable, Hashable {
    /// Relative path inside the release (`outer.zip!/inner` for nested archive members).
    public var path: String
    public var size: Int
    public var sha256: String
    /// Format by magic bytes (`FileFormat.identify`).
    public var format: FileFormat
    /// False when the file was larger than the analysis cap and only its prefix was analysed.
    public var complete: Bool
    /// The target when the member is a symbolic link (then `size` is 0 and `sha256` hashes the target).
    public var linkTarget: String?
    /// PE or Mach-O structure.
    public var executable: ExecutableFacts?
    /// Version resource (PE) or Info.plist versions (bundles).
    public var version: VersionFacts?
    /// Code signature (Authenticode or Mach-O).
    public var signature: SignatureFacts?
    /// URLs, domains and IP endpoints found in the file's printable strings (sorted, unique).
    public var networkIndicators: [String]
    /// Bytes after the end of the image data in ICO and PNG files.
    public var imageTrailer: TrailerFacts?
    /// Names of other modules (`*.dll`, `*.exe`, `*.dylib`, `*.so`) written in the file as data,
    /// lower-cased: a library that names a sibling may open it.
    public var moduleNames: [String]

    public init(path: String, size: Int, sha256: String, format: FileFormat, complete: Bool = true) {
        self.path = path
        self.size = size
        self.sha256 = sha256
        self.format = format
        self.complete = complete
        self.networkIndicators = []
        self.moduleNames = []
    }

    /// The file name (last path component, nested archive members included).
    public var name: String {
        String(path.split(separator: "/").last ?? Substring(path))
    }

    /// The folder part of the path ("" at the top).
    public var folder: String {
        guard let slash = path.lastIndex(of: "/") else { return "" }
        return String(path[..<slash])
    }

    /// Whether this is a PE, Mach-O or ELF file.
    public var isExecutableFormat: Bool {
        switch format {
        case .pe, .macho, .machoFat, .elf: true
        default: false
        }
    }
}

/// Structure of a PE or Mach-O file that a release diff compares.
public struct ExecutableFacts: Sendable, Codable, Hashable {
    /// `pe` or `macho`.
    public var kind: String
    /// DLL or dylib rather than a main executable.
    public var isLibrary: Bool
    /// Machine or architectures (`x64`, `arm64`, `x86_64+arm64`).
    public var machine: String
    /// Imported functions as `library!function` (PE, library lower-cased; ordinals as `#n`), and
    /// for Mach-O the loaded dylibs as `dylib:<install name>`.
    public var imports: [String]
    /// Exported symbol names.
    public var exports: [String]
    public var sections: [SectionFacts]
    /// Sum of the raw sizes of executable sections.
    public var codeSize: Int
    /// PE link time (seconds since 1970), when set.
    public var linkTime: UInt32?
    /// SHA-256 over the file without the checksum, the certificate-table directory entry and the
    /// certificate table (the Authenticode image digest, computed whether or not the file is
    /// signed): equal on both sides means only signature-area bytes changed.
    public var imageDigest: String?

    public init(kind: String, isLibrary: Bool, machine: String, imports: [String] = [], exports: [String] = [],
                sections: [SectionFacts] = [], codeSize: Int = 0, linkTime: UInt32? = nil) {
        self.kind = kind
        self.isLibrary = isLibrary
        self.machine = machine
        self.imports = imports
        self.exports = exports
        self.sections = sections
        self.codeSize = codeSize
        self.linkTime = linkTime
    }
}

/// One section (PE) or section of a segment (Mach-O, `__TEXT,__text`).
public struct SectionFacts: Sendable, Codable, Hashable {
    public var name: String
    public var size: Int
    public var entropy: Double
    public var executable: Bool
    /// SHA-256 of the section's raw bytes, to tell which sections changed.
    public var sha256: String

    public init(name: String, size: Int, entropy: Double, executable: Bool, sha256: String) {
        self.name = name
        self.size = size
        self.entropy = entropy
        self.executable = executable
        self.sha256 = sha256
    }
}

/// Version fields as the vendor stamped them.
public struct VersionFacts: Sendable, Codable, Hashable {
    public var fileVersion: String?
    public var productVersion: String?
    public var productName: String?
    public var companyName: String?
    public var originalFilename: String?

    public init(fileVersion: String? = nil, productVersion: String? = nil, productName: String? = nil,
                companyName: String? = nil, originalFilename: String? = nil) {
        self.fileVersion = fileVersion
        self.productVersion = productVersion
        self.productName = productName
        self.companyName = companyName
        self.originalFilename = originalFilename
    }

    /// "FileVersion 1.2 / ProductVersion 1.2" style summary of the version numbers.
    public var summary: String {
        [fileVersion.map { "file \($0)" }, productVersion.map { "product \($0)" }].compactMap { $0 }.joined(separator: ", ")
    }

    /// Whether any version number is present.
    public var hasVersion: Bool { fileVersion != nil || productVersion != nil }
}

/// A code signature as far as a diff needs it.
public struct SignatureFacts: Sendable, Codable, Hashable {
    /// `unsigned`, `signed` (certificate), `adhoc` (Mach-O), `malformed`.
    public var status: String
    /// Signer subject (leaf certificate), team id for Mach-O when known.
    public var signer: String?
    public var issuer: String?
    public var serial: String?
    public var thumbprint: String?
    public var teamID: String?
    /// The image digest the signature vouches for (Authenticode) or the cdhash (Mach-O).
    public var signedDigest: String?
    /// Whether the file's computed digest equals the signed one (page hashes for Mach-O).
    public var digestMatches: Bool?
    /// Bytes inside the certificate table after the signature (PE), zero-padding included.
    public var slackBytes: Int?
    /// Whether any slack or alignment byte is non-zero.
    public var slackNonZero: Bool?
    public var slackEntropy: Double?
    /// Bytes after the certificate table (outside the signature), when any.
    public var bytesAfterTable: Int?

    public init(status: String) { self.status = status }

    /// Whether the certificate table holds more than the normal 0–7 zero bytes of padding.
    public var hasAnomalousSlack: Bool {
        (slackBytes ?? 0) > 7 || slackNonZero == true
    }
}

/// Bytes after the last image (ICO) or after IEND (PNG).
public struct TrailerFacts: Sendable, Codable, Hashable {
    public var offset: Int
    public var size: Int
    public var entropy: Double
    /// `base64-after-dollar`, `base64`, `text`, `binary`.
    public var encoding: String

    public init(offset: Int, size: Int, entropy: Double, encoding: String) {
        self.offset = offset
        self.size = size
        self.entropy = entropy
        self.encoding = encoding
    }
}
