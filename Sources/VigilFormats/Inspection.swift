import Crypto
import Foundation
import VigilBinary
import X509

/// Everything Vigil's format parsers read from one file: the format identified by magic and the
/// parsed structure for that format. Produced by ``Inspection/inspect(_:path:)``; the CLI prints it
/// as text or JSON.
public struct InspectionResult: Codable, Sendable, Hashable {
    /// The path given by the caller.
    public var path: String
    /// File size in bytes.
    public var size: Int
    /// SHA-256 of the whole file (hex).
    public var sha256: String
    /// The format identified from the leading bytes (never from the extension).
    public var format: FileFormat
    /// The PE structure, for `pe` files.
    public var pe: PEFile?
    /// The Authenticode signatures of a PE file, if it has a certificate table.
    public var authenticode: AuthenticodeReport?
    /// The Mach-O structure, for `macho` and `macho-fat` files.
    public var macho: MachOFile?
    /// The icon directory, for `ico` files.
    public var ico: ICOFile?
    /// The PNG chunks, for `png` files.
    public var png: PNGImage?
    /// Problems that are not specific to one parser (e.g. no parser for the format).
    public var issues: [FormatIssue]

    /// Creates a result.
    public init(
        path: String, size: Int, sha256: String, format: FileFormat, pe: PEFile? = nil,
        authenticode: AuthenticodeReport? = nil, issues: [FormatIssue] = []
    ) {
        self.path = path
        self.size = size
        self.sha256 = sha256
        self.format = format
        self.pe = pe
        self.authenticode = authenticode
        self.issues = issues
    }

    /// Every issue from every parser, in order.
    public var allIssues: [FormatIssue] {
        issues + (pe?.issues ?? []) + (authenticode?.issues ?? []) + (macho?.allProblems ?? []) + (ico?.problems ?? [])
            + (png?.problems ?? [])
    }
}

/// Format dispatch: identify a file by magic, run the matching parser, return a Codable result.
///
/// Parsers for other formats plug in with one `case` in ``inspect(_:path:)`` and one optional field in
/// ``InspectionResult``.
///
/// ```swift
/// let result = try Inspection.inspect(fileAt: "ffmpeg.dll")
/// print(result.authenticode?.summary ?? "not signed")
/// ```
public enum Inspection {
    /// Files larger than this are not read (512 MiB).
    public static let defaultMaximumSize = 512 * 1024 * 1024

    /// Identifies and parses `bytes`. Never throws: malformed input gives a partial result with issues.
    /// - Parameters:
    ///   - bytes: The whole file.
    ///   - path: The path to report.
    /// - Returns: The result.
    public static func inspect(_ bytes: [UInt8], path: String) -> InspectionResult {
        let format = FileFormat.identify(bytes)
        var result = InspectionResult(
            path: path, size: bytes.count, sha256: Hex.string(SHA256.hash(data: bytes)), format: format)
        switch format {
        case .pe:
            result.pe = PEParser.parse(bytes)
            if let pe = result.pe { result.authenticode = Authenticode.analyze(bytes, pe: pe) }
        case .macho, .machoFat: result.macho = MachOFile.parse(bytes)
        case .ico: result.ico = ICOFile.parse(bytes)
        case .png: result.png = PNGImage.parse(bytes)
        default:
            break
        }
        return result
    }

    /// Reads and inspects the file at `path`.
    /// - Parameters:
    ///   - path: The file.
    ///   - maximumSize: Larger files are refused.
    /// - Returns: The result.
    /// - Throws: ``InspectionError`` when the file cannot be read or is too large.
    public static func inspect(fileAt path: String, maximumSize: Int = defaultMaximumSize) throws -> InspectionResult {
        inspect(try readFile(path, maximumSize: maximumSize), path: path)
    }

    /// Reads a whole file into memory, refusing files larger than `maximumSize`.
    /// - Throws: ``InspectionError``.
    public static func readFile(_ path: String, maximumSize: Int = defaultMaximumSize) throws -> [UInt8] {
        // Opened as `scan` opens files (``QuietFile``): no access-time update where permitted, never a
        // blocking FIFO or device.
        do { return try QuietFile.readRegularFile(atPath: path, maximumSize: maximumSize) } catch {
            throw InspectionError(path: path, message: error.description)
        }
    }

    /// Adds chain validation against `roots` to every Authenticode signature of `result`.
    /// - Parameters:
    ///   - result: A result from ``inspect(_:path:)``.
    ///   - bytes: The same file's bytes.
    ///   - roots: Trusted root certificates (e.g. loaded with ``TrustStore/load(pemFile:)``).
    public static func validateTrust(_ result: inout InspectionResult, bytes: [UInt8], roots: [Certificate]) async {
        guard let pe = result.pe, let report = result.authenticode else { return }
        result.authenticode = await AuthenticodeTrust.validate(report, bytes: bytes, pe: pe, roots: roots)
    }
}

/// A file that could not be inspected at all.
public struct InspectionError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The path.
    public var path: String
    /// Why.
    public var message: String
    /// Creates an error.
    public init(path: String, message: String) {
        self.path = path
        self.message = message
    }
    public var description: String { "\(path): \(message)" }
}
