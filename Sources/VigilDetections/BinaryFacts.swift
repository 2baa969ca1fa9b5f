import VigilFormats

/// The facts about an executable file that folder-level checks use. Kept small on purpose: the scanner
/// holds one per executable until its folder is done (a few names and strings, never file contents).
public struct BinaryFacts: Sendable, Hashable, Codable {
    public var format: FileFormat
    /// PE facts, for `.pe` files.
    public var pe: PEFacts?
    /// Mach-O facts, for thin and fat Mach-O files.
    public var macho: MachOFacts?
    /// Check ids of this file's own findings at `medium` or above (tampering the folder checks reuse,
    /// e.g. a side-loaded DLL that also hides data in its signature).
    public var tamperChecks: [String]

    public init(format: FileFormat, pe: PEFacts? = nil, macho: MachOFacts? = nil, tamperChecks: [String] = []) {
        self.format = format
        self.pe = pe
        self.macho = macho
        self.tamperChecks = tamperChecks
    }
}

/// What the side-loading checks need to know about a PE file.
public struct PEFacts: Sendable, Hashable, Codable {
    /// IMAGE_FILE_DLL is set.
    public var isDLL: Bool
    /// Imported DLL names, lower case, regular and delay-load, without duplicates (capped).
    public var imports: [String]
    /// The Authenticode signer, `nil` when the file carries no readable signature.
    public var signer: SignerFacts?
    /// Whether the signed image digest matches the file (`nil` when unsigned or not computed).
    public var digestMatches: Bool?

    /// At most this many imported names are kept.
    public static let maxImports = 512

    public init(isDLL: Bool, imports: [String], signer: SignerFacts?, digestMatches: Bool?) {
        self.isDLL = isDLL
        self.imports = imports
        self.signer = signer
        self.digestMatches = digestMatches
    }

    /// Signed with a digest that matches the file.
    public var isValidlySigned: Bool { signer != nil && digestMatches == true }
}

/// A code signer's identity as the checks compare it.
public struct SignerFacts: Sendable, Hashable, Codable {
    /// The signer certificate's subject, e.g. `CN=3CX Ltd, O=3CX Ltd, C=GB`.
    public var subject: String
    /// The certificate's SHA-1 thumbprint (hex), when known.
    public var thumbprint: String?

    public init(subject: String, thumbprint: String? = nil) {
        self.subject = subject
        self.thumbprint = thumbprint
    }

    /// The organisation the checks compare: `O=` if present, else `CN=`, else the whole subject,
    /// lower-cased. Certificates are renewed (new thumbprint, same organisation), so comparing
    /// organisations avoids flagging a vendor's own renewal.
    public var organization: String {
        let parts = DistinguishedName.attributes(subject)
        return (parts["o"] ?? parts["cn"] ?? subject).lowercased()
    }

    /// Whether this signer is Microsoft (whose redistributable DLLs many applications ship).
    public var isMicrosoft: Bool { organization == "microsoft corporation" }
}

/// What the dylib checks need to know about a Mach-O file (all slices merged).
public struct MachOFacts: Sendable, Hashable, Codable {
    /// `MH_EXECUTE` (2), `MH_DYLIB` (6), `MH_BUNDLE` (8)… of the first slice.
    public var fileType: UInt32
    /// `LC_ID_DYLIB` install name.
    public var installName: String?
    /// Dependencies (`LC_LOAD_DYLIB`, weak, re-export…), without duplicates across slices.
    public var dylibs: [DylibFact]
    /// `LC_RPATH` entries in load order, without duplicates across slices.
    public var rpaths: [String]
    /// `unsigned`, `adhoc`, `linker-signed`, `certificate-signed` or `malformed` (weakest slice).
    public var signatureClass: String
    /// The CodeDirectory team identifier, when signed with one.
    public var teamID: String?
    /// The CodeDirectory identifier.
    public var identifier: String?

    public init(
        fileType: UInt32, installName: String?, dylibs: [DylibFact], rpaths: [String], signatureClass: String,
        teamID: String?, identifier: String?
    ) {
        self.fileType = fileType
        self.installName = installName
        self.dylibs = dylibs
        self.rpaths = rpaths
        self.signatureClass = signatureClass
        self.teamID = teamID
        self.identifier = identifier
    }

    public var isExecutable: Bool { fileType == 2 }
    public var isCertificateSigned: Bool { signatureClass == SignatureClass.certificateSigned.rawValue }
}

/// One Mach-O dependency.
public struct DylibFact: Sendable, Hashable, Codable {
    /// `load`, `weak`, `reexport`, `upward`, `lazy`.
    public var kind: String
    /// The install name as written, e.g. `@rpath/libffmpeg.dylib`.
    public var name: String

    public init(kind: String, name: String) {
        self.kind = kind
        self.name = name
    }
}

/// Splits RFC 4514-style distinguished names (`CN=x, O="a, b", C=US`) into attributes.
enum DistinguishedName {
    static func attributes(_ dn: String) -> [String: String] {
        var result: [String: String] = [:]
        var current = ""
        var inQuotes = false
        var parts: [String] = []
        var escaped = false
        for ch in dn {
            if escaped { current.append(ch); escaped = false; continue }
            if ch == "\\" { escaped = true; continue }
            if ch == "\"" { inQuotes.toggle(); continue }
            if (ch == "," || ch == ";" || ch == "/") && !inQuotes {
                parts.append(current)
                current = ""
            } else {
                current.append(ch)
            }
        }
        parts.append(current)
        for part in parts {
            guard let eq = part.firstIndex(of: "=") else { continue }
            let key = String(part[..<eq]).trimmingSpaces().lowercased()
            let value = String(part[part.index(after: eq)...]).trimmingSpaces()
            if result[key] == nil, !value.isEmpty { result[key] = value }
        }
        return result
    }
}
