import VigilCore
import VigilFormats

/// A file as the scanner hands it to the structural checks: read once, size-capped.
public struct ScannedFile: Sendable {
    /// The path as the user will see it.
    public var path: String
    /// The file's contents (the scanner's single capped read).
    public var bytes: [UInt8]
    /// The format identified by magic bytes.
    public var format: FileFormat

    public init(path: String, bytes: [UInt8], format: FileFormat) {
        self.path = path
        self.bytes = bytes
        self.format = format
    }
}

/// What the per-file checks concluded about one file, and the small facts that folder-level checks
/// (sideloading, dylib hijacking) need about it later, so the scanner never keeps file contents.
public struct FileAnalysis: Sendable {
    public var path: String
    public var findings: [Finding]
    /// Facts for folder-level checks; `nil` for files those checks do not care about.
    public var facts: BinaryFacts?

    public init(path: String, findings: [Finding] = [], facts: BinaryFacts? = nil) {
        self.path = path
        self.findings = findings
        self.facts = facts
    }
}

/// The facts about an executable file that folder-level checks use.
public struct BinaryFacts: Sendable, Hashable, Codable {
    public var format: FileFormat
    public init(format: FileFormat) { self.format = format }
}

/// Runs Vigil's structural supply-chain checks: per file, then per folder.
///
/// Thread-safe: the scanner calls ``analyze(_:)`` from many threads at once, then
/// ``analyzeFolder(_:files:)`` once per folder with the analyses of the files in it.
public struct DetectionEngine: Sendable {
    public init() {}

    /// Runs the per-file checks.
    public func analyze(_ file: ScannedFile) -> FileAnalysis {
        FileAnalysis(path: file.path)
    }

    /// Runs the checks that need a file's neighbours (files of one folder, non-recursive).
    public func analyzeFolder(_ folder: String, files: [FileAnalysis]) -> [Finding] {
        []
    }
}
