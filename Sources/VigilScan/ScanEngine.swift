import Foundation
import Synchronization
import VigilContainers
import VigilCore
import VigilDetections
import VigilFormats
import VigilIndicators
import YaraKit

/// The file sweep behind `vigil scan`: walks paths, reads each file once (capped), hashes it, and
/// matches hash, filename and YARA indicators plus the structural checks, on all cores.
///
/// CPU-bound and blocking (libyara, `pread`): ``scan(_:progress:)`` runs on its own threads and
/// blocks the caller until done. Memory stays bounded: a fixed-size work queue between the walker
/// and the workers, files above ``ScanOptions/maxFileSize`` are never read, and only one worker at a
/// time holds a file above 32 MiB.
public final class ScanEngine: Sendable {
    public let configuration: ScanConfiguration
    let filenames: FilenameMatcher
    /// ``ScanConfiguration/cacheDigest``, computed once (empty without a cache).
    let cacheDigest: String
    let throttle: ReadThrottle?
    /// The private temporary folder for container members, created on first use; `failed` once
    /// creating it failed (reported once).
    private let workspace = Mutex<(PrivateWorkspace?, failed: Bool)>((nil, false))
    /// Container members up to this size are scanned from memory, never written to the private
    /// folder (``ContainerWalker/memberBytesInMemory``; 0: every member goes through a file). Those
    /// waiting to be scanned take at most about ``queuedMemberBytesBudget`` plus one member per
    /// worker (see `Worker.expand`).
    let memberBytesInMemory: Int

    public convenience init(configuration: ScanConfiguration) {
        self.init(configuration: configuration, memberBytesInMemory: ScanEngine.defaultMemberBytesInMemory)
    }

    /// 16 MiB: most installer members fit, and writing larger ones to the private folder and reading
    /// them back costs little beside scanning them. Members waiting in memory are bounded in bytes
    /// (``queuedMemberBytesBudget``), so this does not multiply with the thread count.
    static let defaultMemberBytesInMemory = 16 << 20
    /// Past this many bytes of members waiting in memory, an extracting worker scans members
    /// itself before extracting more: 64 MiB.
    static let queuedMemberBytesBudget = 64 << 20

    init(configuration: ScanConfiguration, memberBytesInMemory: Int) {
        self.memberBytesInMemory = min(max(0, memberBytesInMemory), LargeFileGate.threshold)
        self.configuration = configuration
        self.filenames = FilenameMatcher(indicators: configuration.indicators.filenamePatterns)
        self.cacheDigest = configuration.cache == nil ? "" : configuration.cacheDigest
        self.throttle = configuration.options.maxReadBytesPerSecond.map { ReadThrottle(bytesPerSecond: $0) }
    }

    /// A container walker over the sweep's private temporary folder, or `nil` when containers are
    /// not opened (`--no-archives`) or the folder cannot be created (reported through `report`, once).
    func containerWalker(report: (Diagnostic) -> Void) -> ContainerWalker? {
        guard let limits = configuration.options.containers else { return nil }
        var problem: String?
        let ws: PrivateWorkspace? = workspace.withLock { state in
            if let w = state.0 { return w }
            if state.failed { return nil }
            do {
                let w = try PrivateWorkspace.create()  // its own: removed when this sweep ends, whatever else runs
                state.0 = w
                return w
            } catch {
                state.failed = true
                problem = "\(error)"
                return nil
            }
        }
        if let problem { report(Diagnostic(kind: "container-unreadable", path: PrivateWorkspace.temporaryBase, message: "containers not opened: \(problem)")) }
        return ws.map { ContainerWalker(limits: limits, workspace: $0) }
    }

    /// Worker threads for this machine: one per active core, at most libyara's 32 per rule set.
    public var threadCount: Int {
        let wanted = configuration.options.threads ?? ProcessInfo.processInfo.activeProcessorCount
        return min(max(1, wanted), CompiledRules.maximumConcurrentScanners)
    }

    /// Sweeps `paths` (files or folders) and returns every finding, diagnostic and count.
    /// - Parameters:
    ///   - paths: files and folders; a missing one becomes a diagnostic.
    ///   - progress: called about twice a second on the calling thread while the sweep runs.
    public func scan(_ paths: [String], progress: ((ScanProgress) -> Void)? = nil) -> ScanResult {
        let started = ContinuousClock.now
        let queue = BoundedQueue<WorkItem>(capacity: 512)
        let counters = Counters()
        let outputs = Mutex<[WorkerOutput]>([])
        let walkerOutput = Mutex(WalkerOutput())
        let gate = LargeFileGate()
        let cwd = currentDirectory()
        let group = DispatchGroup()
        let options = configuration.options

        group.enter()
        let walkerThread = Thread {
            var diagnostics: [Diagnostic] = []
            var walker = FileWalker(
                followSymlinks: options.followSymlinks,
                emit: { queue.push($0) },
                report: { diagnostics.append($0); counters.diagnostics.add(1, ordering: .relaxed) })
            for path in paths { walker.walk(path) }
            queue.close()
            let result = WalkerOutput(diagnostics: diagnostics, directories: walker.directories, symlinksNotFollowed: walker.symlinksNotFollowed)
            walkerOutput.withLock { $0 = result }
            group.leave()
        }
        walkerThread.name = "vigil-walk"
        walkerThread.start()

        let workers = threadCount
        for index in 0..<workers {
            group.enter()
            let thread = Thread { [self] in
                let worker = Worker(engine: self, cwd: cwd, counters: counters, gate: gate, queue: queue)
                while let item = queue.pop() {
                    worker.process(item)
                    queue.finished()
                }
                let output = worker.output
                outputs.withLock { $0.append(output) }
                group.leave()
            }
            thread.name = "vigil-scan-\(index)"
            thread.stackSize = 8 << 20  // libyara's regex engine recurses
            thread.start()
        }

        while group.wait(timeout: .now() + .milliseconds(500)) == .timedOut {
            progress?(counters.snapshot(since: started))
        }

        // Every member file was deleted after its scan; this sweep's own folder goes now (never the
        // shared one, which a diff in the same process may be using).
        workspace.withLock { state in
            state.0?.remove()
            state.0 = nil
        }
        return assemble(
            outputs: outputs.withLock { $0 }, walker: walkerOutput.withLock { $0 }, workers: workers,
            duration: started.duration(to: .now))
    }

    private func assemble(outputs: [WorkerOutput], walker: WalkerOutput, workers: Int, duration: Duration) -> ScanResult {
        var findings: [Finding] = []
        var diagnostics = configuration.setupDiagnostics + walker.diagnostics
        if let cache = configuration.cache, let problem = cache.flush() { diagnostics.append(problem) }
        for rejected in filenames.rejected {
            let p = rejected.indicator.provenance.first
            diagnostics.append(Diagnostic(kind: "rejected-row", path: p?.file ?? p?.feed ?? "indicators", line: p?.line, message: rejected.reason))
        }
        var stats = ScanStatistics()
        var inventory: [InventoryRecord] = []
        var analysesByFolder: [String: [FileAnalysis]] = [:]
        for o in outputs {
            findings += o.findings
            diagnostics += o.diagnostics
            stats.filesScanned += o.files
            stats.filesFromCache += o.filesFromCache
            inventory += o.inventory
            stats.bytesScanned += o.bytes
            stats.filesSkippedForSize += o.skippedForSize
            stats.filenameHitsSuppressed += o.filenameHitsSuppressed
            stats.containersOpened += o.containers
            stats.membersScanned += o.memberFiles
            stats.memberBytesScanned += o.memberBytes
            stats.containerDataBytesLeftToMembers += o.containerDataBytesLeftToMembers
            for a in o.analyses { analysesByFolder[folder(of: a.path), default: []].append(a) }
        }
        // Folder-level checks, once per folder walked (and per folder of a file given directly).
        var folders = walker.directories
        let walked = Set(folders)
        folders += analysesByFolder.keys.filter { !walked.contains($0) }.sorted()
        for f in folders {
            findings += configuration.detections.analyzeFolder(f, files: analysesByFolder[f] ?? [])
        }
        findings.sort { a, b in
            if a.path != b.path { return a.path < b.path }
            if a.severity != b.severity { return a.severity > b.severity }
            if (a.score ?? 0) != (b.score ?? 0) { return (a.score ?? 0) > (b.score ?? 0) }
            if a.check != b.check { return a.check < b.check }
            // Workers finish in any order: break the remaining ties on content, so output is stable.
            if (a.indicator ?? "") != (b.indicator ?? "") { return (a.indicator ?? "") < (b.indicator ?? "") }
            if a.title != b.title { return a.title < b.title }
            return (a.offset ?? -1) < (b.offset ?? -1)
        }
        diagnostics.sort { a, b in
            if a.path != b.path { return a.path < b.path }
            if a.kind != b.kind { return a.kind < b.kind }
            if (a.line ?? -1) != (b.line ?? -1) { return (a.line ?? -1) < (b.line ?? -1) }
            if (a.offset ?? -1) != (b.offset ?? -1) { return (a.offset ?? -1) < (b.offset ?? -1) }
            return a.message < b.message
        }

        stats.directoriesScanned = walker.directories.count
        stats.symlinksNotFollowed = walker.symlinksNotFollowed
        stats.findings = findings.count
        stats.filesWithFindings = Set(findings.map(\.path)).count
        stats.diagnostics = diagnostics.count
        for d in diagnostics { stats.diagnosticsByKind[d.kind, default: 0] += 1 }
        stats.yaraRules = configuration.rules?.ruleCount ?? 0
        stats.yaraRuleSources = configuration.ruleSourceCount
        for (kind, n) in configuration.indicators.countsByKind { stats.indicators[kind.rawValue] = n }
        stats.threads = workers
        stats.durationSeconds = Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
        inventory.sort { $0.path < $1.path }
        return ScanResult(findings: findings, diagnostics: diagnostics, statistics: stats, inventory: inventory)
    }
}

func folder(of path: String) -> String {
    guard let slash = path.lastIndex(of: "/") else { return "." }
    return slash == path.startIndex ? "/" : String(path[..<slash])
}

/// Live counters for progress displays.
final class Counters: Sendable {
    let files = Atomic<Int>(0)
    let bytes = Atomic<Int>(0)
    let findings = Atomic<Int>(0)
    let diagnostics = Atomic<Int>(0)
    /// Bytes of container members waiting in memory to be scanned (bounded by the extracting
    /// workers, see `Worker.expand`).
    let queuedMemberBytes = Atomic<Int>(0)

    func snapshot(since start: ContinuousClock.Instant) -> ScanProgress {
        let d = start.duration(to: .now)
        return ScanProgress(
            files: files.load(ordering: .relaxed), bytes: bytes.load(ordering: .relaxed),
            findings: findings.load(ordering: .relaxed), diagnostics: diagnostics.load(ordering: .relaxed),
            elapsedSeconds: Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18)
    }
}

struct WalkerOutput: Sendable {
    var diagnostics: [Diagnostic] = []
    var directories: [String] = []
    var symlinksNotFollowed = 0
}

struct WorkerOutput: Sendable {
    var findings: [Finding] = []
    var diagnostics: [Diagnostic] = []
    /// Analyses with facts, kept (without file contents) for the folder-level checks.
    var analyses: [FileAnalysis] = []
    var files = 0
    var bytes = 0
    var skippedForSize = 0
    var filenameHitsSuppressed = 0
    var filesFromCache = 0
    var inventory: [InventoryRecord] = []
    var containers = 0
    var memberFiles = 0
    var memberBytes = 0
    var containerDataBytesLeftToMembers = 0
}
