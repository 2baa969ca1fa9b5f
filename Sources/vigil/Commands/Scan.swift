import ArgumentParser
import Foundation
import VigilContainers
import VigilCore
import VigilDetections
import VigilFeeds
import VigilOutput
import VigilScan
import VigilScanCache

/// `vigil scan`: sweeps files and folders for known-bad hashes, file names and YARA rule matches.
struct Scan: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scan",
        abstract: "Sweep files and folders for indicator hashes, file names, YARA rules and supply-chain anomalies.",
        discussion: """
            Every file is read once (up to --max-file-size) and its SHA-256 is matched against the loaded \
            hash indicators, with MD5 and SHA-1 too where an indicator needs them (a hit gets all three); \
            every path is matched against the file name indicators (regular expressions, \
            case-insensitive; a Loki false-positive regex in the third column sets a match aside, \
            counted in the summary); every file is scanned with the YARA rules, with the \
            Loki/THOR external variables filename, filepath, extension, filetype and owner set per file, \
            so rule sets such as signature-base load as they are. The built-in 3CX indicators and YARA \
            rules are included unless --no-default-indicators is given; the indicators of every feed \
            stored with 'vigil feed add' are always included.

            With --cache FILE, results are kept per file in an SQLite database keyed on device, inode, \
            size, modification and change times and a digest of the loaded rules and indicators (and the \
            Vigil version): a file unchanged since the last sweep with the same rules is not read again, \
            and its digests and findings are reported from the cache. 'vigil agent' uses the same cache.

            Containers are opened unless --no-archives is given: ZIP, tar (gzip, bzip2, xz, zstd), CAB, \
            7z, xar (macOS .pkg, with its Payload), cpio, ISO 9660 and RAR, nested up to --archive-depth. \
            Each member is extracted into a private temporary folder (mode 0700, removed on exit and on \
            SIGINT/SIGTERM), scanned like a file and reported by its chain path, outer.zip!/dir/ffmpeg.dll. \
            Every cap hit, unreadable member and hostile name (../, /abs, links leaving the container) is \
            reported. The container itself is hashed and scanned too; a tar or ZIP read in full is \
            searched with YARA without its members' data, which their own scans searched (docs/scan.md).

            Unreadable, special, vanished, changed and oversized files are reported as counted \
            problems; the sweep goes on.

            Exit status: 0 nothing found, 1 findings, 2 usage or fatal error.

            Examples:
              vigil scan /opt/3CXDesktopApp
              vigil scan --rules sigbase/yara --iocs sigbase/iocs/hash-iocs.txt /srv
              vigil scan --iocs sigbase/iocs/filename-iocs.txt --follow-symlinks /home
              vigil scan --format jsonl --max-file-size 64M ~/Downloads > hits.jsonl
              vigil scan --no-default-indicators --rules my-rules/ --format json .
              vigil scan --format sarif --store ./feeds /srv/releases > scan.sarif
              vigil scan --cache /var/cache/vigil/scan.sqlite /srv
            """
    )

    @Argument(help: "Files and folders to scan.")
    var paths: [String]

    @Option(name: .customLong("rules"), help: ArgumentHelp("A YARA rule file, or a folder searched for .yar/.yara files (repeatable).", valueName: "file|dir"))
    var rulePaths: [String] = []

    @Option(name: .customLong("iocs"), help: ArgumentHelp("An indicator file: a plain list (hashes, domains, path regexes; # comments) or Loki hash-iocs.txt / filename-iocs.txt (repeatable).", valueName: "file"))
    var indicatorFiles: [String] = []

    @Flag(help: "Do not use the built-in 3CX indicators and YARA rules.")
    var noDefaultIndicators = false

    @Flag(help: "Follow symbolic links inside folders (loops are detected and reported).")
    var followSymlinks = false

    @Option(help: ArgumentHelp("Skip (and report) files larger than this; accepts K, M and G suffixes.", valueName: "size"))
    var maxFileSize: String = "256M"

    @Option(help: "Worker threads (default: one per core, at most 32).")
    var threads: Int?

    @Option(name: .customLong("timeout"), help: ArgumentHelp("YARA time limit per file in seconds (0 = none).", valueName: "seconds"))
    var yaraTimeout: Int = 60

    @Option(help: "Output format: text, json, jsonl or sarif.")
    var format: OutputFormatArgument = .text

    @Option(name: .customLong("hijacklibs"), help: ArgumentHelp(
        "HijackLibs data (its yml/ folder or a JSON conversion) for known vulnerable program and DLL pairs found outside their expected folders.",
        valueName: "path"))
    var hijackLibsPath: String?

    @Option(help: ArgumentHelp("Keep per-file results in this SQLite file and skip files unchanged since the last sweep.", valueName: "file"))
    var cache: String?

    @OptionGroup var storeOptions: StoreOptions

    @OptionGroup(title: "Containers") var archiveOptions: ArchiveOptions

    func validate() throws {
        try archiveOptions.validate()
        guard !paths.isEmpty else { throw ValidationError("give at least one file or folder to scan") }
        guard parseSize(maxFileSize) != nil else { throw ValidationError("--max-file-size: not a size: \(maxFileSize)") }
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1") }
        guard yaraTimeout >= 0 else { throw ValidationError("--timeout must not be negative") }
        for path in paths where !FileManager.default.fileExists(atPath: path) {
            throw ValidationError("no such file or folder: \(path)")
        }
    }

    func run() throws {
        var options = ScanOptions(
            followSymlinks: followSymlinks, maxFileSize: parseSize(maxFileSize) ?? ScanOptions.defaultMaxFileSize,
            threads: threads, yaraTimeoutSeconds: yaraTimeout)
        options.containers = archiveOptions.limits(defaultMemberBytes: Int64(options.maxFileSize))
        var configuration: ScanConfiguration
        do {
            configuration = try ScanSetup.prepare(
                rulePaths: rulePaths,
                indicators: IndicatorSources(builtIn: !noDefaultIndicators, store: storeOptions.feedStore, files: indicatorFiles),
                options: options)
        } catch let error as ScanSetupError {
            throw ValidationError(error.message)
        }
        if let hijackLibsPath {
            do {
                let loaded = try DetectionOptions.loading(hijackLibsPath: hijackLibsPath)
                configuration.detections = DetectionEngine(options: loaded.options)
                configuration.setupDiagnostics += loaded.diagnostics
            } catch {
                throw ValidationError("--hijacklibs: \(error)")
            }
        }
        if let cache {
            do {
                configuration.cache = try SQLiteScanCache(path: cache, vigilVersion: Vigil.configuration.version)
            } catch {
                throw ValidationError("--cache: \(error)")
            }
        }
        let engine = ScanEngine(configuration: configuration)
        let showProgress = standardErrorIsTerminal
        let result = engine.scan(paths, progress: showProgress ? { printProgress($0) } : nil)
        if showProgress { writeStandardError("\r\u{1B}[K") }

        switch format.value {
        case .text:
            let text = TextRenderer(colour: standardOutputIsTerminal)
                .render(findings: result.findings, diagnostics: result.diagnostics, summary: summary(result))
            writeStandardOutput(Array(text.utf8))
        case .json:
            let document = ReportDocument(
                version: Vigil.configuration.version, command: "scan", findings: result.findings,
                diagnostics: result.diagnostics, statistics: result.statistics)
            writeStandardOutput(try JSONRenderer.render(document))
        case .jsonl:
            var writer = JSONLinesWriter()
            for f in result.findings { writer.append(f) }
            writeStandardOutput(writer.bytes)
            for line in summary(result) { writeStandardError(line + "\n") }
        case .sarif:
            let log = try SARIFRenderer(toolVersion: Vigil.configuration.version).render(result.findings)
            writeStandardOutput(Array(log.utf8))
            for line in summary(result) { writeStandardError(line + "\n") }
        }
        if !result.findings.isEmpty { throw VigilExitCode.findings }
    }

    private func summary(_ result: ScanResult) -> [String] {
        let s = result.statistics
        let seconds = max(s.durationSeconds, 0.001)
        let rate = Double(s.bytesScanned) / 1_048_576 / seconds
        var lines = [
            "Scanned \(s.filesScanned) files (\(megabytes(s.bytesScanned))) in \(s.directoriesScanned) folders in "
                + "\(decimal(seconds)) s (\(decimal(rate)) MiB/s, \(s.threads) threads)"
                + (s.filesFromCache > 0 ? "; \(s.filesFromCache) unchanged files taken from the cache." : "."),
        ]
        if s.containersOpened > 0 {
            lines.append("Looked inside \(s.containersOpened) \(s.containersOpened == 1 ? "container" : "containers"): \(s.membersScanned) members (\(megabytes(s.memberBytesScanned))) scanned.")
        }
        lines += [
            "Checked against \(s.indicators["sha256", default: 0] + s.indicators["sha1", default: 0] + s.indicators["md5", default: 0]) hash and "
                + "\(s.indicators["filename", default: 0]) file name indicators and \(s.yaraRules) YARA rules from \(s.yaraRuleSources) rule sources.",
        ]
        let problems = s.diagnosticsByKind.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }.joined(separator: ", ")
        lines.append(
            "\(s.findings) findings in \(s.filesWithFindings) files; \(s.diagnostics) \(s.diagnostics == 1 ? "problem" : "problems")" + (problems.isEmpty ? "" : " (\(problems))")
                + (s.symlinksNotFollowed > 0 ? "; \(s.symlinksNotFollowed) symbolic links not followed (--follow-symlinks)" : "")
                + (s.filenameHitsSuppressed > 0
                    ? "; \(s.filenameHitsSuppressed) file name matches not reported: their indicator's false-positive regex matched too" : "")
                + ".")
        return lines
    }
}

/// `--format` values for scan.
struct OutputFormatArgument: ExpressibleByArgument {
    var value: OutputFormat
    init?(argument: String) {
        guard let v = OutputFormat(rawValue: argument) else { return nil }
        value = v
    }
    static let text = OutputFormatArgument(argument: "text")!
    static var allValueStrings: [String] { OutputFormat.allCases.map(\.rawValue) }
    var defaultValueDescription: String { value.rawValue }
}

/// Parses `1048576`, `64K`, `256M`, `1G` (binary units).
func parseSize(_ text: String) -> Int? {
    let t = text.trimmingCharacters(in: .whitespaces).uppercased()
    let multipliers: [Character: Int] = ["K": 1 << 10, "M": 1 << 20, "G": 1 << 30]
    var digits = Substring(t)
    var multiplier = 1
    if digits.hasSuffix("IB") { digits = digits.dropLast(2) } else if digits.hasSuffix("B") { digits = digits.dropLast() }
    if let last = digits.last, let m = multipliers[last] {
        multiplier = m
        digits = digits.dropLast()
    }
    guard let n = Int(digits), n >= 0 else { return nil }
    let (value, overflow) = n.multipliedReportingOverflow(by: multiplier)
    return overflow ? nil : value
}

private func megabytes(_ bytes: Int) -> String {
    bytes < 1_048_576 ? decimal(Double(bytes) / 1024) + " KiB" : decimal(Double(bytes) / 1_048_576) + " MiB"
}

private func decimal(_ v: Double) -> String {
    let tenths = (v * 10).rounded()
    return String(Int(tenths) / 10) + "." + String(Int(tenths) % 10)
}

private func printProgress(_ p: ScanProgress) {
    let rate = p.elapsedSeconds > 0 ? Double(p.bytes) / 1_048_576 / p.elapsedSeconds : 0
    writeStandardError(
        "\r\u{1B}[Kscanning: \(p.files) files, \(megabytes(p.bytes)), \(decimal(rate)) MiB/s, \(p.findings) findings, \(p.diagnostics) problems")
}

private func writeStandardOutput(_ bytes: [UInt8]) {
    FileHandle.standardOutput.write(Data(bytes))
}

private func writeStandardError(_ text: String) {
    FileHandle.standardError.write(Data(text.utf8))
}

/// The container options of `vigil scan`.
struct ArchiveOptions: ParsableArguments {
    @Flag(name: .customLong("no-archives"), help: "Do not look inside containers (ZIP, tar, CAB, 7z, .pkg, cpio, ISO, RAR…).")
    var noArchives = false

    @Option(name: .customLong("archive-depth"), help: ArgumentHelp("How deep containers nest before they are scanned only as files (default 4; 1 opens only the files found).", valueName: "n"))
    var depth: Int = ContainerLimits.standard.maxDepth

    @Option(name: .customLong("archive-max-members"), help: ArgumentHelp("Members one container may hold, nested ones included (default 100000).", valueName: "n"))
    var maxMembers: Int = ContainerLimits.standard.maxMembers

    @Option(name: .customLong("archive-max-total"), help: ArgumentHelp("Bytes all members of one container may expand to (default 4G; K, M, G suffixes).", valueName: "size"))
    var maxTotal: String = "4G"

    @Option(name: .customLong("archive-max-ratio"), help: ArgumentHelp("Highest expansion ratio of a container once past 8 MiB (default 200).", valueName: "n"))
    var maxRatio: Int = Int(ContainerLimits.standard.maxExpansionRatio)

    @Option(name: .customLong("archive-max-member"), help: ArgumentHelp("Bytes of one member (default: --max-file-size).", valueName: "size"))
    var maxMember: String?

    func validate() throws {
        guard depth >= 1 else { throw ValidationError("--archive-depth must be at least 1 (use --no-archives to open none)") }
        guard maxMembers >= 1 else { throw ValidationError("--archive-max-members must be at least 1") }
        guard maxRatio >= 1 else { throw ValidationError("--archive-max-ratio must be at least 1") }
        guard parseSize(maxTotal) != nil else { throw ValidationError("--archive-max-total: not a size: \(maxTotal)") }
        if let maxMember, parseSize(maxMember) == nil { throw ValidationError("--archive-max-member: not a size: \(maxMember)") }
    }

    /// The limits asked for, or `nil` with `--no-archives`.
    func limits(defaultMemberBytes: Int64) -> ContainerLimits? {
        guard !noArchives else { return nil }
        return ContainerLimits(
            maxMembers: maxMembers, maxDepth: depth, maxTotalBytes: Int64(parseSize(maxTotal) ?? (4 << 30)),
            maxExpansionRatio: Int64(maxRatio),
            maxMemberBytes: maxMember.flatMap(parseSize).map(Int64.init) ?? defaultMemberBytes)
    }
}
