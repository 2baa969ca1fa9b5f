import VigilFormats

#if canImport(Glibc)
@preconcurrency import Glibc
#elseif canImport(Musl)
@preconcurrency import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The values of the YARA external variables Loki and THOR define per file, with their semantics
/// (Loki v1 and THOR Lite documentation; table in docs/scan.md): `filename` = base name, `filepath` = folder without trailing separator,
/// `extension` = lower case with the dot (`.exe`, empty when none), `filetype` = a Loki-style type
/// label from the magic bytes, `owner` = the owning user's name.
struct LokiExternals: Equatable {
    var filename: String
    var filepath: String
    var `extension`: String
    var filetype: String
    var owner: String

    init(absolutePath: String, format: FileFormat, owner: String) {
        let slash = absolutePath.lastIndex(of: "/")
        let name = slash.map { String(absolutePath[absolutePath.index(after: $0)...]) } ?? absolutePath
        var folder = slash.map { String(absolutePath[..<$0]) } ?? ""
        if folder.isEmpty, slash != nil { folder = "/" }
        self.filename = name
        self.filepath = folder
        self.extension = Self.extensionOf(name)
        self.filetype = Self.label(format)
        self.owner = owner
    }

    var pairs: [(String, String)] {
        [("filename", filename), ("filepath", filepath), ("extension", `extension`), ("filetype", filetype), ("owner", owner)]
    }

    /// Python's `os.path.splitext(name)[1].lower()`: leading dots do not start an extension.
    static func extensionOf(_ name: String) -> String {
        let trimmed = name.drop { $0 == "." }
        guard let dot = trimmed.lastIndex(of: ".") else { return "" }
        return String(trimmed[dot...]).lowercased()
    }

    /// Loki's labels (signature-base `misc/file-type-signatures.txt`) where one exists.
    static func label(_ format: FileFormat) -> String {
        switch format {
        case .pe, .mz: "EXE"
        case .elf: "ELF"
        case .macho, .machoFat: "MACHO"
        case .zip: "ZIP"
        case .gzip: "GZIP"
        case .tar: "TAR"
        case .png: "PNG"
        case .ico: "ICO"
        case .unknown: "UNKNOWN"
        }
    }
}

/// Caches user names by uid (one per worker thread).
struct OwnerNames {
    private var cache: [UInt32: String] = [:]

    mutating func name(for uid: UInt32) -> String {
        if let cached = cache[uid] { return cached }
        var entry = passwd()
        var result: UnsafeMutablePointer<passwd>?
        var buffer = [CChar](repeating: 0, count: 4096)
        var name = String(uid)
        if getpwuid_r(uid_t(uid), &entry, &buffer, buffer.count, &result) == 0, result != nil, let n = entry.pw_name {
            name = String(cString: n)
        }
        cache[uid] = name
        return name
    }
}
