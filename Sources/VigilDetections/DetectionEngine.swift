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
    /// Parse problems met while checking the file (the file was still checked as far as it could be read).
    public var diagnostics: [Diagnostic]

    public init(path: String, findings: [Finding] = [], facts: BinaryFacts? = nil, diagnostics: [Diagnostic] = []) {
        self.path = path
        self.findings = findings
        self.facts = facts
        self.diagnostics = diagnostics
    }
}

/// Runs Vigil's structural supply-chain checks: per file, then per folder. Every check and its
/// evidence fields are described in `docs/detections.md`.
///
/// Thread-safe: the scanner calls ``analyze(_:)`` from many threads at once, then
/// ``analyzeFolder(_:files:)`` once per folder with the analyses of the files in it.
///
/// One engine per tree: the engine remembers the Mach-O facts of the files it analysed (by path) so
/// that the dylib checks of an executable's folder can see the libraries in other folders of its
/// bundle. Paths that exist on disk are also resolved there; paths that do not (members of a release
/// archive) are resolved only against what the engine analysed. Use a fresh engine for each tree whose
/// paths could collide with another's (the two sides of a release diff).
public struct DetectionEngine: Sendable {
    public let options: DetectionOptions
    private let machOCache = MachOFactsCache()

    /// The defaults `vigil scan` uses (no HijackLibs data).
    public init() { self.init(options: DetectionOptions()) }

    public init(options: DetectionOptions) {
        self.options = options
    }

    /// Runs the per-file checks.
    public func analyze(_ file: ScannedFile) -> FileAnalysis {
        switch file.format {
        case .pe:
            let result = PEAnalyzer.analyze(file)
            return FileAnalysis(path: file.path, findings: result.findings, facts: result.facts, diagnostics: result.diagnostics)
        case .macho, .machoFat:
            let result = MachOAnalyzer.analyze(file)
            if let facts = result.facts.macho { machOCache.insert(facts, for: DylibPaths.absolute(file.path)) }
            return FileAnalysis(path: file.path, findings: result.findings, facts: result.facts, diagnostics: result.diagnostics)
        case .ico, .png:
            let result = ImagePayloadCheck.run(file)
            return FileAnalysis(path: file.path, findings: result.findings, diagnostics: result.diagnostics)
        default:
            return FileAnalysis(path: file.path)
        }
    }

    /// Takes in the facts of a file analysed in an earlier sweep (a scan-cache hit), as ``analyze(_:)``
    /// would have, so the folder checks of this sweep see it.
    public func remember(_ analysis: FileAnalysis) {
        if let facts = analysis.facts?.macho { machOCache.insert(facts, for: DylibPaths.absolute(analysis.path)) }
    }

    /// Runs the checks that need a file's neighbours (files of one folder, non-recursive).
    public func analyzeFolder(_ folder: String, files: [FileAnalysis]) -> [Finding] {
        var findings = SideloadingCheck(options: options).run(folder: folder, files: files)
        findings += DylibHijackCheck(options: options, cache: machOCache).run(folder: folder, files: files)
        return findings
    }
}
