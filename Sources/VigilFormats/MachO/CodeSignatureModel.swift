/// How a Mach-O slice is signed (classes described in docs/formats-macho.md).
public enum SignatureClass: String, Codable, Hashable, Sendable {
    /// No `LC_CODE_SIGNATURE`.
    case unsigned
    /// A CodeDirectory with `CS_ADHOC` and no (or an empty) CMS blob.
    case adhoc
    /// Ad-hoc and `CS_LINKER_SIGNED`: the signature ld64/lld writes by default on arm64.
    case linkerSigned = "linker-signed"
    /// A non-empty CMS signature blob over the CodeDirectory.
    case certificateSigned = "certificate-signed"
    /// `LC_CODE_SIGNATURE` is present but no CodeDirectory could be read.
    case malformed
}

/// The embedded code signature of one slice: the SuperBlob index and the blobs Vigil understands.
public struct CodeSignature: Codable, Hashable, Sendable {
    /// Absolute file offset of the SuperBlob.
    public var offset: Int
    /// The SuperBlob `length` field.
    public var length: UInt32
    /// Every index entry: slot type, blob magic and where the blob is.
    public var blobs: [SignatureBlob]
    /// The primary CodeDirectory (slot 0) followed by alternates (slots 0x1000…0x1004).
    public var codeDirectories: [CodeDirectory]
    /// Size of the CMS BlobWrapper payload (slot 0x10000); `nil` without the slot, 0 when empty.
    public var cmsSize: Int?
    /// Absolute offset of the CMS DER payload, when non-empty.
    public var cmsOffset: Int?
    /// The CMS signer (first SignerInfo), when the CMS blob could be parsed.
    public var cmsSigner: CMSSignerSummary?
    /// Whether an XML entitlements blob (0xFADE7171) is present, and the keys it declares.
    public var hasEntitlements: Bool
    public var entitlementKeys: [String]
    /// Whether a DER entitlements blob (0xFADE7172) is present.
    public var hasDEREntitlements: Bool
    public var hasRequirements: Bool
    public var signatureClass: SignatureClass

    public init(offset: Int, length: UInt32) {
        self.offset = offset
        self.length = length
        self.blobs = []
        self.codeDirectories = []
        self.cmsSize = nil
        self.cmsOffset = nil
        self.cmsSigner = nil
        self.hasEntitlements = false
        self.entitlementKeys = []
        self.hasDEREntitlements = false
        self.hasRequirements = false
        self.signatureClass = .malformed
    }

    /// The primary CodeDirectory (slot 0), if readable.
    public var primary: CodeDirectory? { codeDirectories.first { $0.slot == 0 } ?? codeDirectories.first }

    /// `true` when every CodeDirectory's page hashes (and embedded special slots) verify.
    public var pageHashesValid: Bool {
        !codeDirectories.isEmpty && codeDirectories.allSatisfy { $0.verification?.isValid == true }
    }
}

/// Who signed a Mach-O CMS blob, read with the Authenticode module's ``SignedData`` parser.
public struct CMSSignerSummary: Codable, Hashable, Sendable {
    /// The signer certificate's subject, e.g. `CN=Developer ID Application: 3CX (33CF4654HL),…`.
    public var subject: String
    public var issuer: String?
    /// Serial number in hex.
    public var serialNumber: String?
    /// The `signingTime` signed attribute, `YYYY-MM-DDTHH:MM:SSZ`.
    public var signingTime: String?
    /// Whether the CMS `messageDigest` equals the hash of the primary CodeDirectory (what the CMS signs).
    public var digestMatchesCodeDirectory: Bool?
    /// Whether the signature over the signed attributes verifies with the signer's public key
    /// (says nothing about trust in the certificate).
    public var signatureValid: Bool?
    /// Number of certificates carried in the CMS.
    public var certificateCount: Int

    public init(
        subject: String, issuer: String?, serialNumber: String?, signingTime: String?,
        digestMatchesCodeDirectory: Bool?, signatureValid: Bool?, certificateCount: Int
    ) {
        self.subject = subject
        self.issuer = issuer
        self.serialNumber = serialNumber
        self.signingTime = signingTime
        self.digestMatchesCodeDirectory = digestMatchesCodeDirectory
        self.signatureValid = signatureValid
        self.certificateCount = certificateCount
    }
}

/// One SuperBlob index entry.
public struct SignatureBlob: Codable, Hashable, Sendable {
    /// Slot type (0 CodeDirectory, 2 Requirements, 5 Entitlements, 7 DER entitlements, 0x10000 CMS…).
    public var slot: UInt32
    public var slotName: String
    /// Blob magic read at the blob's offset, if inside the signature.
    public var magic: UInt32?
    /// Absolute file offset of the blob.
    public var offset: Int
    /// Blob `length` field.
    public var length: UInt32?

    public init(slot: UInt32, magic: UInt32?, offset: Int, length: UInt32?) {
        self.slot = slot
        self.slotName = SignatureBlob.name(ofSlot: slot)
        self.magic = magic
        self.offset = offset
        self.length = length
    }

    /// The `cs_blobs.h` name of a slot type.
    public static func name(ofSlot slot: UInt32) -> String {
        switch slot {
        case 0: "CodeDirectory"
        case 1: "InfoSlot"
        case 2: "Requirements"
        case 3: "ResourceDir"
        case 4: "Application"
        case 5: "Entitlements"
        case 6: "RepSpecific"
        case 7: "EntitlementsDER"
        case 8: "LaunchConstraintSelf"
        case 9: "LaunchConstraintParent"
        case 10: "LaunchConstraintResponsible"
        case 11: "LibraryConstraint"
        case 0x1000...0x1004: "AlternateCodeDirectory\(slot - 0x1000)"
        case 0x10000: "CMSSignature"
        case 0x10001: "IdentificationSlot"
        case 0x10002: "TicketSlot"
        default: "slot-0x" + String(slot, radix: 16)
        }
    }
}

/// The hash algorithm of a CodeDirectory (`CS_HASHTYPE_*`).
public enum CodeHashType: String, Codable, Hashable, Sendable {
    case sha1
    case sha256
    case sha256Truncated = "sha256-truncated"
    case sha384
    case unknown

    public init(rawType: UInt8) {
        switch rawType {
        case 1: self = .sha1
        case 2: self = .sha256
        case 3: self = .sha256Truncated
        case 4: self = .sha384
        default: self = .unknown
        }
    }
}

/// A CodeDirectory blob (0xFADE0C02).
public struct CodeDirectory: Codable, Hashable, Sendable {
    /// The SuperBlob slot it came from (0 or 0x1000…0x1004).
    public var slot: UInt32
    /// Absolute file offset of the blob.
    public var offset: Int
    public var length: UInt32
    /// Version, e.g. `0x20400`.
    public var version: UInt32
    public var flags: UInt32
    /// Readable `CS_*` flag names.
    public var flagNames: [String]
    public var identifier: String
    /// Team identifier (version ≥ 0x20200 with a non-zero team offset).
    public var teamIdentifier: String?
    public var hashType: CodeHashType
    public var rawHashType: UInt8
    public var hashSize: UInt8
    public var platform: UInt8
    /// Page size in bytes (0 means the whole signed range is one page).
    public var pageSize: Int
    public var specialSlotCount: UInt32
    public var codeSlotCount: UInt32
    /// Offset of code slot 0 from the start of the blob (special slots lie just before it).
    public var hashOffset: UInt32
    /// End of the signed range, relative to the slice (codeLimit64 when set).
    public var codeLimit: UInt64
    public var execSegmentBase: UInt64?
    public var execSegmentLimit: UInt64?
    public var execSegmentFlags: UInt64?
    public var runtimeVersion: String?
    /// The cdhash: the CodeDirectory's hash truncated to 20 bytes, lowercase hex.
    public var cdhash: String?
    /// Result of re-hashing the signed pages and embedded special slots.
    public var verification: PageHashVerification?

    public init(slot: UInt32, offset: Int, length: UInt32) {
        self.slot = slot
        self.offset = offset
        self.length = length
        self.version = 0
        self.flags = 0
        self.flagNames = []
        self.identifier = ""
        self.teamIdentifier = nil
        self.hashType = .unknown
        self.rawHashType = 0
        self.hashSize = 0
        self.platform = 0
        self.pageSize = 0
        self.specialSlotCount = 0
        self.codeSlotCount = 0
        self.hashOffset = 0
        self.codeLimit = 0
        self.execSegmentBase = nil
        self.execSegmentLimit = nil
        self.execSegmentFlags = nil
        self.runtimeVersion = nil
        self.cdhash = nil
        self.verification = nil
    }

    public var isAdhoc: Bool { flags & 0x2 != 0 }
    public var isLinkerSigned: Bool { flags & 0x20000 != 0 }
    public var hasHardenedRuntime: Bool { flags & 0x10000 != 0 }

    /// `CS_*` flag names from `cs_blobs.h`.
    static func names(ofFlags flags: UInt32) -> [String] {
        let known: [(UInt32, String)] = [
            (0x1, "VALID"), (0x2, "ADHOC"), (0x4, "GET_TASK_ALLOW"), (0x8, "INSTALLER"),
            (0x10, "FORCED_LV"), (0x20, "INVALID_ALLOWED"), (0x100, "HARD"), (0x200, "KILL"),
            (0x400, "CHECK_EXPIRATION"), (0x800, "RESTRICT"), (0x1000, "ENFORCEMENT"), (0x2000, "REQUIRE_LV"),
            (0x4000, "ENTITLEMENTS_VALIDATED"), (0x8000, "NVRAM_UNRESTRICTED"), (0x10000, "RUNTIME"),
            (0x20000, "LINKER_SIGNED"),
        ]
        var names = known.filter { flags & $0.0 != 0 }.map(\.1)
        let rest = known.reduce(flags) { $0 & ~$1.0 }
        if rest != 0 { names.append("0x" + String(rest, radix: 16)) }
        return names
    }
}

/// The outcome of re-hashing a CodeDirectory's pages and special slots.
public struct PageHashVerification: Codable, Hashable, Sendable {
    /// Number of code pages checked.
    public var pagesChecked: Int
    /// Indexes of pages whose hash does not match (listed up to ``maxListedPages``).
    public var badPages: [Int]
    /// Total number of bad pages (may exceed `badPages.count`).
    public var badPageCount: Int
    /// Special slots (Requirements 2, Entitlements 5, DER entitlements 7) whose embedded blob was
    /// re-hashed and did not match.
    public var badSpecialSlots: [Int]
    /// Special slots re-hashed and matching.
    public var goodSpecialSlots: [Int]
    /// Why verification could not complete, if it could not.
    public var incompleteReason: String?

    public static let maxListedPages = 256

    public init(
        pagesChecked: Int, badPages: [Int], badPageCount: Int, badSpecialSlots: [Int], goodSpecialSlots: [Int],
        incompleteReason: String?
    ) {
        self.pagesChecked = pagesChecked
        self.badPages = badPages
        self.badPageCount = badPageCount
        self.badSpecialSlots = badSpecialSlots
        self.goodSpecialSlots = goodSpecialSlots
        self.incompleteReason = incompleteReason
    }

    /// `true` when every page and embedded special slot matched and nothing was left unchecked.
    public var isValid: Bool { badPageCount == 0 && badSpecialSlots.isEmpty && incompleteReason == nil }
}
