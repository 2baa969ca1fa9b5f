import Foundation
import VigilCore
import VigilFleetClient
import VigilFleetProtocol
import VigilGzip
import VigilIndicators
import VigilScan
import VigilScanCache

/// `vigil agent`: enrols once, then sweeps its roots incrementally (scan cache), reports the
/// inventory delta against what the server acknowledged, through a durable spool, with backoff.
///
/// Files in the state directory (mode 0700): `host.key` (0600), `enrollment.json` (server URL, CA
/// file, secret file), `state.sqlite` (acknowledged inventory, ETags), `scan-cache.sqlite`,
/// `spool/` (batches not yet acknowledged), `server-indicators.json` and `server-rules.yar` (the
/// server's indicator set and rules as last fetched).
public final class Agent: @unchecked Sendable {
    public private(set) var configuration: AgentConfiguration
    public let vigilVersion: String
    private let log: @Sendable (String) -> Void
    private let state: AgentState
    private let spool: Spool
    private var backoff: Backoff
    private var hostKey: String?
    private var client: FleetClient?

    public var stateDirectory: String { configuration.resolvedStateDirectory }
    var hostKeyPath: String { stateDirectory + "/host.key" }
    var enrollmentPath: String { stateDirectory + "/enrollment.json" }
    var indicatorsPath: String { stateDirectory + "/server-indicators.json" }
    var rulesPath: String { stateDirectory + "/server-rules.yar" }
    var cachePath: String { stateDirectory + "/scan-cache.sqlite" }

    /// What the agent remembers from enrolment, so `run` and `once` need no flags.
    struct Enrollment: Codable {
        var server: String
        var caFile: String?
        var allowInsecureHTTP: Bool?
        var secretFile: String?
        var hostID: Int64
    }

    /// Opens (creating) the state directory and merges the enrolment record under `configuration`.
    public init(configuration: AgentConfiguration, vigilVersion: String, log: @escaping @Sendable (String) -> Void = { _ in }) throws {
        let dir = configuration.resolvedStateDirectory
        try makePrivateDirectory(dir)
        var merged = configuration
        if let data = FileManager.default.contents(atPath: dir + "/enrollment.json"),
            let enrolled = try? JSONDecoder().decode(Enrollment.self, from: data)
        {
            var fromEnrollment = AgentConfiguration()
            fromEnrollment.server = enrolled.server
            fromEnrollment.caFile = enrolled.caFile
            fromEnrollment.allowInsecureHTTP = enrolled.allowInsecureHTTP
            fromEnrollment.secretFile = enrolled.secretFile
            merged = fromEnrollment.overridden(by: configuration)
        }
        self.configuration = merged
        self.vigilVersion = vigilVersion
        self.log = log
        self.state = try AgentState(path: dir + "/state.sqlite")
        self.spool = try Spool(directory: dir + "/spool")
        self.backoff = Backoff(base: merged.resolvedBackoffBase, cap: merged.resolvedBackoffCap)
        if let key = try? String(contentsOfFile: dir + "/host.key", encoding: .utf8) {
            let trimmed = key.trimmingCharacters(in: .whitespacesAndNewlines)
            hostKey = trimmed.isEmpty ? nil : trimmed
        }
    }

    deinit {
        let c = client
        if let c { Task { await c.shutdown() } }
    }

    // MARK: Enrolment

    /// Exchanges the enrolment secret (read from `configuration.secretFile`) for a host key and
    /// stores it with mode 0600.
    @discardableResult
    public func enroll() async throws -> EnrollmentResponse {
        guard let server = configuration.server else { throw AgentError("no server URL: give --server") }
        guard let secretFile = configuration.secretFile else { throw AgentError("no enrolment secret: give --secret-file") }
        let secret = try readSecret(secretFile)
        let endpoint = FleetServerEndpoint(baseURL: server, caFile: configuration.caFile, allowInsecureHTTP: configuration.allowInsecureHTTP ?? false)
        let enrolClient = try FleetClient(endpoint: endpoint, token: nil)
        defer { Task { await enrolClient.shutdown() } }
        let response = try await enrolClient.enroll(EnrollmentRequest(secret: secret, agent: HostFacts.current(agentVersion: vigilVersion)))
        guard response.hostKey.hasPrefix(FleetTokenPrefix.hostKey), response.hostKey.count < 1024,
            response.hostKey.allSatisfy({ $0.isASCII && !$0.isWhitespace })
        else {
            throw AgentError("the server sent a host key that does not look like one")
        }
        try replaceDurably(Array((response.hostKey + "\n").utf8), at: hostKeyPath)
        let record = Enrollment(
            server: server, caFile: configuration.caFile.map(absolute), allowInsecureHTTP: configuration.allowInsecureHTTP,
            secretFile: absolute(secretFile), hostID: response.hostID)
        try replaceDurably(Array(try JSONEncoder().encode(record)), at: enrollmentPath)
        let previousHost = try state.setting("host-id")
        if previousHost != String(response.hostID) {
            // A different host id on the server holds none of what was reported before.
            try state.resetReported()
            spool.removeAll()
            try state.setSetting("host-id", String(response.hostID))
        }
        hostKey = response.hostKey
        if let old = client { await old.shutdown() }
        client = nil
        log("enrolled with \(server) as host \(response.hostID)")
        return response
    }

    private func readSecret(_ path: String) throws -> String {
        guard let data = FileManager.default.contents(atPath: path), data.count < 4096 else {
            throw AgentError("cannot read the enrolment secret file \(path) (or it is larger than 4 KiB)")
        }
        let secret = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard !secret.isEmpty else { throw AgentError("the enrolment secret file \(path) is empty") }
        return secret
    }

    private func absolute(_ path: String) -> String {
        path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
    }

    private func currentClient() throws -> FleetClient {
        if let client { return client }
        guard let hostKey else { throw AgentError("not enrolled: run 'vigil agent enroll --server URL --secret-file FILE' first") }
        guard let server = configuration.server else { throw AgentError("no server URL") }
        let made = try FleetClient(
            endpoint: FleetServerEndpoint(baseURL: server, caFile: configuration.caFile, allowInsecureHTTP: configuration.allowInsecureHTTP ?? false),
            token: hostKey)
        client = made
        return made
    }

    // MARK: One sweep

    /// What one sweep did.
    public struct SweepReport: Sendable, Hashable, Codable {
        public var filesInInventory = 0
        public var filesRead = 0
        public var filesFromCache = 0
        public var added = 0
        public var changed = 0
        public var removed = 0
        public var findings = 0
        public var diagnostics = 0
        public var batchesSpooled = 0
        public var batchesAcknowledged = 0
        public var batchesPending = 0
        /// Batches set aside in the spool's `rejected` folder this run (damaged on disk, or refused
        /// by the server as malformed or too large): their files were not delivered.
        public var batchesRejected = 0
        public var resyncs = 0
        public var indicatorsUpdated = false
        public var rulesUpdated = false
        public var sweepSeconds = 0.0
        /// Files left out of the inventory because the server refuses paths that long.
        public var pathsTooLong = 0
        /// Set when batches stay spooled: why the server could not take them.
        public var deliveryProblem: String?
    }

    /// Sends what is spooled, fetches indicator and rule updates, sweeps, spools the delta and sends it.
    /// - Parameter retryDeadline: keep retrying a failed upload (with backoff) until this instant;
    ///   nil means one attempt.
    public func runOnce(retryDeadline: ContinuousClock.Instant? = nil) async throws -> SweepReport {
        var report = SweepReport()
        _ = try currentClient()
        // Batches from an earlier run (killed mid-sweep, server down) go first, in order.
        let earlier = try await deliver(&report, deadline: nil)
        // An unreachable server is not asked for updates too (each attempt waits for a timeout).
        if earlier != .pending { try await fetchUpdates(&report) }
        try await sweepAndSpool(&report, recordSweep: true)
        if try await deliver(&report, deadline: retryDeadline) == .resync {
            // The server lost this host's inventory: report everything again (once per sweep). The
            // acknowledged state is empty now, and the sweep again takes every file from the cache.
            report.resyncs += 1
            try await sweepAndSpool(&report, recordSweep: false)
            _ = try await deliver(&report, deadline: retryDeadline)
        }
        report.batchesPending = spool.entries().count
        return report
    }

    /// `run`: a sweep every interval, forever (until the task is cancelled). Between sweeps, batches
    /// still spooled are retried with backoff.
    public func run() async throws {
        let interval = Duration.seconds(configuration.resolvedInterval)
        while !Task.isCancelled {
            let started = ContinuousClock.now
            do {
                let r = try await runOnce(retryDeadline: started + interval)
                log("sweep: \(r.filesInInventory) files (\(r.filesRead) read, \(r.filesFromCache) from cache), +\(r.added) ~\(r.changed) -\(r.removed), \(r.findings) findings, \(r.batchesAcknowledged) batches acknowledged, \(r.batchesPending) pending, \(r.batchesRejected) rejected" + (r.deliveryProblem.map { "; " + $0 } ?? ""))
            } catch is CancellationError {
                return
            } catch {
                // A daemon outlives a bad hour: a refused key, a full disk or a damaged file is logged
                // and the next interval tries again.
                log("sweep failed: \(error); trying again at the next interval")
            }
            let next = started + interval
            if ContinuousClock.now < next { try await Task.sleep(until: next, clock: .continuous) }
        }
    }

    // MARK: Updates

    private func fetchUpdates(_ report: inout SweepReport) async throws {
        do {
            let client = try currentClient()
            let etag = FileManager.default.fileExists(atPath: indicatorsPath) ? try state.setting("indicators-etag") : nil
            switch try await client.indicators(ifNoneMatch: etag) {
            case .notModified: break
            case .updated(let indicators, let newTag):
                try replaceDurably(Array(try JSONEncoder().encode(indicators)), at: indicatorsPath)
                try state.setSetting("indicators-etag", newTag)
                report.indicatorsUpdated = true
            }
            let rulesTag = FileManager.default.fileExists(atPath: rulesPath) ? try state.setting("rules-etag") : nil
            switch try await client.rules(ifNoneMatch: rulesTag) {
            case .notModified: break
            case .updated(let text, let newTag):
                try replaceDurably(Array(text.utf8), at: rulesPath)
                try state.setSetting("rules-etag", newTag)
                report.rulesUpdated = true
            }
        } catch let error as FleetClientError {
            // Sweep with what was fetched last time; the upload will meet the same problem and report it.
            log("indicator/rule update skipped: \(error)")
        }
    }

    // MARK: Sweep

    /// Sweeps the roots; with a `sink`, the inventory goes to it as the sweep runs instead of into the result.
    func sweep(sink: (any InventorySink)? = nil) async throws -> ScanResult {
        guard let roots = configuration.roots, !roots.isEmpty else { throw AgentError("no roots to sweep: give --root or \"roots\" in the configuration") }
        var options = ScanOptions(
            followSymlinks: false, maxFileSize: configuration.maxFileSize ?? ScanOptions.defaultMaxFileSize,
            threads: configuration.threads ?? 1, yaraTimeoutSeconds: 60)
        options.collectsInventory = true
        options.maxReadBytesPerSecond = configuration.resolvedReadBudget
        var serverIndicators = IndicatorSet()
        if let data = FileManager.default.contents(atPath: indicatorsPath) {
            do {
                serverIndicators = IndicatorSet(try JSONDecoder().decode([Indicator].self, from: data))
            } catch {
                log("stored server indicators unreadable, ignored: \(error)")
            }
        }
        var rulePaths = configuration.rules ?? []
        if let size = (try? FileManager.default.attributesOfItem(atPath: rulesPath))?[.size] as? Int, size > 0 {
            rulePaths.append(rulesPath)
        }
        var scanConfiguration = try ScanSetup.prepare(
            rulePaths: rulePaths, indicatorFiles: configuration.iocs ?? [], extraIndicators: serverIndicators,
            useDefaults: configuration.defaultIndicators ?? true, options: options)
        let cache = try SQLiteScanCache(path: cachePath, vigilVersion: vigilVersion)
        scanConfiguration.cache = cache
        scanConfiguration.inventorySink = sink
        let engine = ScanEngine(configuration: scanConfiguration)
        let absoluteRoots = roots.map(absolute)
        return await withCheckedContinuation { continuation in
            let thread = Thread { [configuration, log] in
                // Niceness and I/O class are per thread on Linux and inherited by the threads the
                // sweep starts from here.
                for problem in LowImpact.apply(nice: configuration.resolvedNice, idleIO: configuration.resolvedIdleIO) { log(problem) }
                continuation.resume(returning: engine.scan(absoluteRoots))
            }
            thread.name = "vigil-agent-sweep"
            thread.start()
        }
    }

    // MARK: Delta and spool

    /// The inventory as the server will hold it once every spooled batch is applied, and the spooled
    /// batches it was built from.
    private func expectedServerView() throws -> (ServerView, [Spool.Entry]) {
        var view = ServerView(capacity: try state.reportedCount())
        try state.forEachReported { path, r in view.set(path: path, sha256: r.sha256, size: r.size, modified: r.modified) }
        let entries = spool.entries()
        for entry in entries {
            guard let batch = try? decodeSpooled(entry) else { continue }
            for f in batch.files { view.set(path: f.path, sha256: f.sha256, size: f.size, modified: f.modified) }
            for p in batch.removed { view.remove(path: p) }
        }
        return (view, entries)
    }

    func decodeSpooled(_ entry: Spool.Entry) throws -> InventoryBatch {
        let json = try GzipDecoder.gunzip(try spool.read(entry), maxOutput: 1 << 30)
        return try JSONDecoder().decode(InventoryBatch.self, from: Data(json))
    }

    /// Sweeps and spools the delta against the server's expected view while the sweep runs, in
    /// batches of at most ``AgentConfiguration/resolvedMaxFilesPerBatch`` rows: new and changed files
    /// as the workers find them, then the removed paths, then the findings in the last batch. Only one
    /// batch is in memory at a time, plus ``ServerView``'s 40 bytes per path.
    /// - Parameter recordSweep: put the sweep's counts (files read, findings, time) in `report`.
    func sweepAndSpool(_ report: inout SweepReport, recordSweep: Bool) async throws {
        let (view, spooledBefore) = try expectedServerView()
        let facts = HostFacts.current(agentVersion: vigilVersion)
        let sweepID = UUID().uuidString.lowercased()
        let started = Int64(Date().timeIntervalSince1970)
        let roots = configuration.roots ?? []
        let spool = self.spool
        let cachePath = self.cachePath
        let vigilVersion = self.vigilVersion
        let emitter = BatchEmitter(maxRows: configuration.resolvedMaxFilesPerBatch, maxFindings: 1_000) { part, sequence, isLast in
            let batch = InventoryBatch(
                batchID: UUID().uuidString.lowercased(), agent: facts, sweepID: sweepID, sequence: sequence, isLastOfSweep: isLast,
                sweepStarted: started, sweepFinished: isLast ? Int64(Date().timeIntervalSince1970) : nil, roots: roots,
                files: part.files, removed: part.removed, findings: part.findings)
            try spool.append(batchID: batch.batchID, body: FleetClient.encodeBatch(batch))
            // Rows of files the server is told are gone leave the scan cache too.
            if !part.removed.isEmpty, let cache = try? SQLiteScanCache(path: cachePath, vigilVersion: vigilVersion) {
                try? cache.remove(paths: part.removed)
            }
        }
        let stream = InventoryStream(view: view, emitter: emitter)
        let result = try await sweep(sink: stream)

        // Paths the server holds that the sweep did not find: acknowledged ones in path order, then
        // those only in batches spooled before this sweep.
        let unreadable = Set(result.diagnostics.filter { $0.kind != "vanished" }.map(\.path))
        try state.forEachReported { path, _ in try stream.removeIfMissing(path, unreadable: unreadable) }
        for entry in spooledBefore {
            guard let batch = try? decodeSpooled(entry) else { continue }
            for f in batch.files { try stream.removeIfMissing(f.path, unreadable: unreadable) }
        }
        try stream.finish(findings: result.findings.map(BatchLimits.fitted))

        let counts = stream.counts
        if counts.pathsTooLong > 0 {
            log("\(counts.pathsTooLong) files with paths over \(BatchLimits.maxPathBytes) bytes not reported, e.g. \((counts.firstPathTooLong ?? "").prefix(200))…")
        }
        if recordSweep {
            report.filesRead = result.statistics.filesScanned
            report.filesFromCache = result.statistics.filesFromCache
            report.filesInInventory = counts.files
            report.findings = result.findings.count
            report.diagnostics = result.diagnostics.count
            report.sweepSeconds = result.statistics.durationSeconds
        }
        report.pathsTooLong += counts.pathsTooLong
        report.added += counts.added
        report.changed += counts.changed
        report.removed += counts.removed
        report.batchesSpooled += counts.partsSent
    }

    enum Delivery { case done, pending, resync }

    /// Sends spooled batches in order until the spool is empty, the server asks for a resync, or
    /// (after retrying with backoff until `deadline`) the server stays unreachable.
    func deliver(_ report: inout SweepReport, deadline: ContinuousClock.Instant?) async throws -> Delivery {
        var reenrolled = false
        while let entry = spool.entries().first {
            let client = try currentClient()
            let body: [UInt8]
            let batch: InventoryBatch
            do {
                body = try spool.read(entry)
                batch = try decodeSpooled(entry)
            } catch {
                log("spooled batch \(entry.path) is damaged, set aside: \(error)")
                spool.reject(entry)
                report.batchesRejected += 1
                continue
            }
            do {
                let ack = try await client.sendBatch(body: body)
                try state.apply(batch)
                spool.remove(entry)
                backoff.reset()
                report.batchesAcknowledged += 1
                report.deliveryProblem = nil
                if ack.resync {
                    log("server asked for a resync: reporting the full inventory again")
                    try state.resetReported()
                    spool.removeAll()
                    return .resync
                }
            } catch let error as FleetClientError {
                switch error.disposition {
                case .retryable(let retryAfter):
                    report.deliveryProblem = error.description
                    let delay = backoff.nextDelay(retryAfter: retryAfter)
                    guard let deadline, ContinuousClock.now + .seconds(delay) < deadline else {
                        log("server unavailable (\(error)); \(spool.entries().count) batches stay spooled")
                        return .pending
                    }
                    log("server unavailable (\(error)); retrying in \(String(format: "%.1f", delay)) s")
                    try await Task.sleep(for: .seconds(delay))
                case .revoked:
                    guard !reenrolled, configuration.secretFile != nil else {
                        throw AgentError("the host key was revoked and no enrolment secret is available: enrol again")
                    }
                    log("host key revoked: enrolling again")
                    reenrolled = true
                    let before = try state.setting("host-id")
                    try await enroll()
                    // A new host id cleared the spool and the reported state: report everything again.
                    if try state.setting("host-id") != before { return .resync }
                case .fatal:
                    if let status = error.status, [400, 413, 415, 422].contains(status) {
                        log("server refused batch \(entry.batchID) (\(error)); moved to \(spool.rejectedDirectory)")
                        spool.reject(entry)
                        report.batchesRejected += 1
                        continue
                    }
                    throw error
                }
            }
        }
        return .done
    }
}
