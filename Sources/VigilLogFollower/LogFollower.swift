import Crypto
import Foundation
import VigilCore
import VigilFleetProtocol
import VigilFleetStore
import VigilHunt
import VigilIndicators

/// How a ``LogFollower`` reads one folder.
public struct LogFollowerConfiguration: Sendable {
    /// The folder followed (walked recursively; hidden files and folders are skipped).
    public var directory: String
    /// The sensor the logs come from (``NetworkReport/sensor``): the unit of network coverage.
    public var sensor: String
    /// The name cursors are stored under (``LogCursor/source``); the absolute folder path by default.
    public var source: String
    /// How often the folder is looked at again.
    public var pollInterval: Duration = .seconds(5)
    /// A report covers at most this many lines of one file…
    public var maxLinesPerReport = 200_000
    /// …and at most this many bytes (one longer line is taken whole).
    public var maxBytesPerReport: Int64 = 64 << 20
    /// A rotated file (any name but the live `conn.log`, `eve.json`, `access.log`…) is read once
    /// its modification time is this old, so a file still being written or compressed is not read
    /// half-way (a half-written `.gz` would look damaged).
    public var settleSeconds: Double = 10
    /// A Zeek day folder is complete, and scored for beacons, once a later day folder exists or
    /// this long after its day ended (UTC).
    public var dayFolderSettleSeconds: Double = 2 * 3600
    /// Whether to score beacons over each completed rotation (see docs/fleet.md).
    public var beacons = true
    /// Contact summary row cap per report.
    public var maxContactRows = ContactSummaryOptions.defaultMaxRows

    public init(directory: String, sensor: String? = nil, source: String? = nil) {
        let absolute = URL(fileURLWithPath: directory).standardizedFileURL.path
        self.directory = absolute
        self.sensor = sensor ?? URL(fileURLWithPath: absolute).lastPathComponent
        self.source = source ?? absolute
    }
}

/// What the follower has done so far.
public struct LogFollowerStatistics: Sendable, Hashable {
    /// Reports delivered (including empty ones that only mark a file finished).
    public var reports = 0
    /// Lines read and delivered.
    public var lines = 0
    /// Lines that did not parse (each also a diagnostic).
    public var unparsedLines = 0
    /// Files read to their end and never to be read again.
    public var filesFinished = 0
    /// Groups of rotated files scored for beacons, and the beacons reported.
    public var beaconGroups = 0
    public var beacons = 0
    /// Problems reported (unreadable or damaged files, unparsed lines, failed deliveries).
    public var diagnostics = 0
    /// Completed polls.
    public var polls = 0
}

/// Turns a folder of network logs into ``NetworkReport``s, exactly once.
///
/// Each poll lists the folder, identifies every log file (``LogFileIdentity``: device, inode and a
/// digest of its first bytes), and reads what is new since its cursor, in windows of at most
/// ``LogFollowerConfiguration/maxLinesPerReport`` lines, complete lines only. Each window becomes
/// one report carrying the file's new ``LogCursor`` and a reportID derived from the source, the file
/// identity and the byte range, so the server stores report and cursor together and a report sent
/// twice is a duplicate. After a restart the follower starts from ``deliver``'s store's cursors.
///
/// The follower reads through VigilHunt (``HuntEngine/run(windows:)`` for indicator hits and the
/// contact summary, ``DHCPLogReader/read(window:)`` for leases); it parses nothing itself.
public actor LogFollower {
    public typealias CursorLoader = @Sendable (_ source: String) async throws -> [LogCursor]
    public typealias Delivery = @Sendable (NetworkReport) async throws -> Void
    public typealias IndicatorProvider = @Sendable () async throws -> IndicatorSet

    public nonisolated let configuration: LogFollowerConfiguration
    private let loadCursors: CursorLoader
    private let deliver: Delivery
    private let indicators: IndicatorProvider
    private let onDiagnostic: @Sendable (Diagnostic) -> Void
    private let clock: @Sendable () -> Date

    /// Cursors by file identity (and `beacons:` group cursors).
    private var cursors: [String: LogCursor] = [:]
    private var loaded = false
    /// Identity of a path while its stat facts stay the same (a changed file's first bytes are read again).
    private var identities: [String: (facts: FileFacts, identity: LogFileIdentity)] = [:]
    /// Problems already reported, so one broken file is not reported on every poll.
    private var reportedProblems: Set<String> = []
    public private(set) var statistics = LogFollowerStatistics()

    /// - Parameters:
    ///   - cursors: the store's cursors of a source (``FleetStore/logCursors(source:)``).
    ///   - deliver: stores one report (the path `POST /api/v1/network-reports` takes); the
    ///     follower moves on only when it returns, and sends the same report again after an error.
    ///   - indicators: the indicators to match with, asked once per poll.
    ///   - onDiagnostic: problems with a file and line where known (unreadable or damaged files,
    ///     unparsed lines); the follower itself never stops on them.
    public init(
        configuration: LogFollowerConfiguration, cursors: @escaping CursorLoader, deliver: @escaping Delivery,
        indicators: @escaping IndicatorProvider, onDiagnostic: @escaping @Sendable (Diagnostic) -> Void = { _ in },
        clock: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.configuration = configuration
        self.loadCursors = cursors
        self.deliver = deliver
        self.indicators = indicators
        self.onDiagnostic = onDiagnostic
        self.clock = clock
    }

    /// Polls until the task is cancelled. A poll that fails (the store is down) is retried at the
    /// next interval from the last cursor that was stored.
    public func run() async {
        var lastFailure: String?
        while !Task.isCancelled {
            do {
                try await poll()
                lastFailure = nil
            } catch is CancellationError {
                return
            } catch {
                // Reported when it starts or changes, not on every retry.
                let message = "\(error)"
                if message != lastFailure {
                    report(Diagnostic(kind: "log-follower", path: configuration.directory, message: "poll failed, retried every \(configuration.pollInterval): \(message)"), key: nil)
                }
                lastFailure = message
            }
            try? await Task.sleep(for: configuration.pollInterval)
        }
    }

    /// The cursors the follower holds (for tests and status).
    public func currentCursors() -> [LogCursor] { cursors.values.sorted { $0.path < $1.path } }

    // MARK: One poll

    private struct Entry {
        var path: String
        var relative: String
        var name: LogName
        var facts: FileFacts
        var identity: LogFileIdentity
        var key: String { identity.description }
    }

    /// Reads everything new in the folder once.
    public func poll() async throws {
        if !loaded {
            for c in try await loadCursors(configuration.source) { cursors[c.fileIdentity] = c }
            loaded = true
        }
        let set = try await indicators()
        let entries = listEntries()
        let present = Set(entries.map(\.key))
        for entry in entries {
            try Task.checkCancellation()
            try await follow(entry, present: present, indicators: set)
        }
        if configuration.beacons { try await scoreBeacons(entries, indicators: set) }
        statistics.polls += 1
    }

    private func now() -> Double { clock().timeIntervalSince1970 }

    private func listEntries() -> [Entry] {
        let root = configuration.directory
        let fm = FileManager.default
        guard let walker = fm.enumerator(atPath: root) else {
            report(Diagnostic(kind: "unreadable", path: root, message: "cannot list the folder"), key: "list:" + root)
            return []
        }
        var relatives: [String] = []
        while let rel = walker.nextObject() as? String {
            if rel.split(separator: "/").contains(where: { $0.hasPrefix(".") }) { continue }
            relatives.append(rel)
        }
        var out: [Entry] = []
        var seen = Set<String>()
        for rel in relatives.sorted() {
            guard let name = LogName.classify(relativePath: rel) else { continue }
            let path = (root as NSString).appendingPathComponent(rel)
            seen.insert(path)
            guard let facts = FileFacts.of(path), facts.regular else { continue }
            let identity: LogFileIdentity
            if let cached = identities[path], cached.facts == facts {
                identity = cached.identity
            } else {
                do {
                    identity = try LogFileIdentity.of(path: path, facts: facts)
                } catch {
                    report(Diagnostic(kind: "unreadable", path: path, message: error.message), key: "id:\(path):\(facts.inode):\(facts.size)")
                    continue
                }
                identities[path] = (facts, identity)
            }
            // A live file shorter than the identity prefix waits: its identity would change as it grows.
            if name.live && !identity.complete { continue }
            out.append(Entry(path: path, relative: rel, name: name, facts: facts, identity: identity))
        }
        identities = identities.filter { seen.contains($0.key) }
        return out
    }

    private func settled(_ entry: Entry) -> Bool {
        entry.name.live || now() - entry.facts.modified >= configuration.settleSeconds
    }

    /// Reads what is new in one file.
    private func follow(_ entry: Entry, present: Set<String>, indicators: IndicatorSet) async throws {
        var offset: Int64 = 0
        var lines = 0
        if let c = cursors[entry.key] {
            if c.finished { return }
            offset = c.offset
            lines = Int(c.lines)
        } else if let earlier = adoptable(entry) {
            // The same log under another inode: a `.gz` made by rotation, or a copy. While the file it
            // was read as is still here, the copy is left alone (what it holds is read there).
            if present.contains(earlier.fileIdentity) { return }
            offset = earlier.offset
            lines = Int(earlier.lines)
        }
        let complete = !entry.name.live
        if complete && !settled(entry) { return }
        if !entry.identity.gzip {
            if entry.facts.size < offset {
                report(
                    Diagnostic(kind: "log-truncated", path: entry.path, offset: Int(offset), message: "the file is shorter (\(entry.facts.size) bytes) than where it was read to, with the same first bytes: not read again (was it truncated and rewritten?)"),
                    key: "short:\(entry.key):\(entry.facts.size)")
                return
            }
            if entry.facts.size == offset && !complete { return }
        }
        var reader = LineReader()
        reader.chunkSize = 1 << 20
        while true {
            try Task.checkCancellation()
            let extent: WindowExtent
            do {
                extent = try reader.measureWindow(
                    path: entry.path, start: offset, maxLines: configuration.maxLinesPerReport, maxBytes: configuration.maxBytesPerReport,
                    includeUnterminated: complete)
            } catch {
                report(Diagnostic(kind: "unreadable", path: entry.path, message: error.message), key: "read:\(entry.key):\(offset)")
                return
            }
            // A complete file read to its end (or to damage it will never get over) is finished.
            let finished = complete && extent.reachedEnd
            if extent.lines == 0 && !finished { return }
            let window = LogWindow(path: entry.path, start: offset, end: extent.end, linesBefore: lines)
            let cursor = LogCursor(
                source: configuration.source, fileIdentity: entry.key, path: entry.path, offset: extent.end, lines: Int64(lines + extent.lines),
                finished: finished)
            let built = extent.lines == 0 ? emptyReport(cursor: cursor, start: offset) : read(entry, window: window, cursor: cursor, indicators: indicators)
            guard let report = checked(built, file: entry.path, lines: "\(lines + 1)–\(lines + extent.lines)") else { return }
            try await deliver(report)
            cursors[entry.key] = cursor
            statistics.reports += 1
            statistics.lines += extent.lines
            if finished { statistics.filesFinished += 1 }
            if let error = extent.error {
                self.report(
                    Diagnostic(kind: "unreadable", path: entry.path, line: lines + extent.lines + 1, message: "\(error.message); the \(lines + extent.lines) lines before the damage were read"),
                    key: "damaged:\(entry.key)")
            }
            offset = extent.end
            lines += extent.lines
            if extent.reachedEnd { return }
        }
    }

    /// A cursor of the same content under another identity (inode), furthest read first.
    private func adoptable(_ entry: Entry) -> LogCursor? {
        let digest = entry.identity.contentDigest
        return cursors.values.filter { !$0.fileIdentity.hasPrefix("beacons:") && LogFileIdentity.contentDigest(of: $0.fileIdentity) == digest }
            .max { ($0.offset, $0.fileIdentity) < ($1.offset, $1.fileIdentity) }
    }

    private func reportID(_ parts: String...) -> String {
        "log-" + hex(SHA256.hash(data: Array(([configuration.source] + parts).joined(separator: "\n").utf8)).prefix(20))
    }

    private func emptyReport(cursor: LogCursor, start: Int64) -> NetworkReport {
        NetworkReport(
            sensor: configuration.sensor, reportID: reportID(cursor.fileIdentity, "\(start)-\(cursor.offset)", "end"), generatedAt: clock(),
            contacts: ContactSummary(sensor: configuration.sensor, maxRows: configuration.maxContactRows), cursor: cursor)
    }

    /// One window of one file as a report.
    private func read(_ entry: Entry, window: LogWindow, cursor: LogCursor, indicators: IndicatorSet) -> NetworkReport {
        var report = NetworkReport(
            sensor: configuration.sensor, reportID: reportID(entry.key, "\(window.start)-\(window.end)"), generatedAt: clock(),
            contacts: ContactSummary(sensor: configuration.sensor, maxRows: configuration.maxContactRows), cursor: cursor)
        switch entry.name.kind {
        case .dhcp:
            do {
                let result = try DHCPLogReader().read(window: window)
                report.leases = result.leases
                statistics.unparsedLines += result.rejected
                result.diagnostics.forEach { self.report($0, key: nil) }
                if result.rejected > result.diagnostics.count {
                    self.report(Diagnostic(kind: "more-diagnostics", path: entry.path, message: "\(result.rejected - result.diagnostics.count) more rejected rows in lines \(window.linesBefore + 1)–\(cursor.lines)"), key: nil)
                }
            } catch {
                self.report(Diagnostic(kind: "unreadable", path: entry.path, message: error.message), key: nil)
            }
        case .hunt:
            var options = HuntOptions(indicators: indicators)
            options.beacons = false
            options.contactSummary = ContactSummaryOptions(sensor: configuration.sensor, maxRows: configuration.maxContactRows)
            let engine = HuntEngine(options: options)
            let result = engine.run(windows: [window])
            report.hits = result.hits
            if let contacts = engine.contactSummary { report.contacts = contacts }
            statistics.unparsedLines += result.files.reduce(0) { $0 + $1.unparsed }
            result.diagnostics.forEach { self.report($0, key: nil) }
        }
        return report
    }

    // MARK: Beacons

    /// Scores beacons over every group of rotated files that is complete and read (a Zeek day
    /// folder, the files of one rotation, or one rotated file), once per group.
    private func scoreBeacons(_ entries: [Entry], indicators: IndicatorSet) async throws {
        var groups: [String: [Entry]] = [:]
        for e in entries where !e.name.live && e.name.kind == .hunt {
            groups[e.name.beaconGroup ?? "file:" + e.key, default: []].append(e)
        }
        func day(_ group: String) -> String { String(group.dropFirst(4).split(separator: "/").last ?? "") }
        let days = Set(entries.compactMap { e -> String? in
            guard let g = e.name.beaconGroup, g.hasPrefix("day:") else { return nil }
            return day(g)
        })
        for (group, members) in groups.sorted(by: { $0.key < $1.key }) {
            try Task.checkCancellation()
            let id = "beacons:" + group
            if cursors[id] != nil { continue }
            guard members.allSatisfy({ cursors[$0.key]?.finished == true || alreadyRead($0) }) else { continue }
            if group.hasPrefix("day:") {
                let today = day(group)
                guard days.contains(where: { $0 > today }) || dayEnded(today) else { continue }
            }
            var options = HuntOptions(indicators: indicators)
            options.minimumBeaconScore = HuntOptions.defaultMinimumBeaconScore
            let engine = HuntEngine(options: options)
            let paths = members.map(\.path).sorted()
            let result: HuntReport
            do {
                result = try engine.run(paths: paths)
            } catch {
                report(Diagnostic(kind: "unreadable", path: error.path, message: error.message), key: nil)
                continue
            }
            let lines = members.reduce(Int64(0)) { $0 + (cursors[$1.key]?.lines ?? 0) }
            let cursor = LogCursor(source: configuration.source, fileIdentity: id, path: group, offset: 0, lines: lines, finished: true)
            let report = NetworkReport(
                sensor: configuration.sensor, reportID: reportID(id), generatedAt: clock(),
                contacts: ContactSummary(sensor: configuration.sensor, maxRows: configuration.maxContactRows), beacons: result.beacons, cursor: cursor)
            guard let checkedReport = checked(report, file: group, lines: "all") else { continue }
            try await deliver(checkedReport)
            cursors[id] = cursor
            statistics.reports += 1
            statistics.beaconGroups += 1
            statistics.beacons += result.beacons.count
        }
    }

    /// A copy whose content was read, finished, under another inode (it is not read itself).
    private func alreadyRead(_ entry: Entry) -> Bool {
        adoptable(entry)?.finished == true
    }

    private func dayEnded(_ day: String) -> Bool {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "UTC")
        f.dateFormat = "yyyy-MM-dd"
        guard let start = f.date(from: day) else { return false }
        return now() >= start.timeIntervalSince1970 + 86_400 + configuration.dayFolderSettleSeconds
    }

    /// The report as the server's checks (``NetworkReportCheck``) accept it: text fields over the
    /// byte limits are cut at a character boundary (``NetworkReport/fittedToLimits()``, reported),
    /// items still refused are left out and reported, so one hostile line cannot stop the follower at
    /// that file for good. `nil` when the report's frame itself (sensor, id, cursor) is refused.
    private func checked(_ original: NetworkReport, file: String, lines: String) -> NetworkReport? {
        let (report, shortened) = original.fittedToLimits()
        if shortened > 0 {
            self.report(Diagnostic(
                kind: "log-follower", path: file,
                message: "\(shortened) field(s) of lines \(lines) fitted to the server's limits: control characters written \\xNN, values over the byte limits cut at a character boundary"), key: nil)
        }
        let why: String
        do {
            try NetworkReportCheck.validate(report)
            return report
        } catch {
            why = "\(error)"
        }
        func accepted(_ fill: (inout NetworkReport) -> Void) -> Bool {
            var probe = NetworkReport(
                sensor: report.sensor, reportID: report.reportID, generatedAt: report.generatedAt,
                contacts: ContactSummary(sensor: report.sensor, maxRows: report.contacts.maxRows), cursor: report.cursor)
            fill(&probe)
            return (try? NetworkReportCheck.validate(probe)) != nil
        }
        guard accepted({ _ in }) else {
            self.report(Diagnostic(kind: "log-follower", path: file, message: "report refused by the server's checks, not sent: \(why)"), key: "refused:\(file)")
            return nil
        }
        var r = report
        r.contacts.names = r.contacts.names.filter { row in accepted { $0.contacts.names = [row] } }
        r.contacts.servers = r.contacts.servers.filter { row in accepted { $0.contacts.servers = [row] } }
        r.hits = Array(r.hits.filter { hit in accepted { $0.hits = [hit] } }.prefix(NetworkReportLimits.maxHits))
        r.beacons = Array(r.beacons.filter { b in accepted { $0.beacons = [b] } }.prefix(NetworkReportLimits.maxBeacons))
        r.leases = Array(r.leases.filter { l in accepted { $0.leases = [l] } }.prefix(NetworkReportLimits.maxLeases))
        let dropped = (report.contacts.names.count - r.contacts.names.count) + (report.contacts.servers.count - r.contacts.servers.count)
            + (report.hits.count - r.hits.count) + (report.beacons.count - r.beacons.count) + (report.leases.count - r.leases.count)
        self.report(
            Diagnostic(kind: "log-follower", path: file, message: "\(dropped) item(s) of lines \(lines) refused by the server's checks and left out (first: \(why))"), key: nil)
        return r
    }

    private func report(_ d: Diagnostic, key: String?) {
        if let key {
            guard reportedProblems.insert(key).inserted else { return }
        }
        statistics.diagnostics += 1
        onDiagnostic(d)
    }
}
