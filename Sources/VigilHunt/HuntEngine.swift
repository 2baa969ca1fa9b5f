import Foundation
import VigilCore
import VigilIndicators

/// What `vigil hunt` looks for and how.
public struct HuntOptions: Sendable {
    /// Indicators to match (built-in set, `--iocs` files, the feed store, merged by the caller).
    public var indicators: IndicatorSet
    /// Mapping for generic CSV / JSON-lines logs (`--map`).
    public var mapping: FieldMapping?
    /// Internal networks (beacon pairs are internal → external).
    public var internalNetworks: [IPNetwork] = IPNetwork.defaultInternal
    /// Destinations whose beacons are listed as suppressed.
    public var allowlist: Allowlist = .builtIn
    /// Well-known update, telemetry and polling services: a beacon to one of them scores lower.
    public var knownServices: KnownServices = .builtIn
    /// The default of ``minimumBeaconScore``.
    public static let defaultMinimumBeaconScore = 0.5
    /// Beacons are reported when their Vigil score (RITA's score plus the reasons' effects) and
    /// RITA's score both reach this (``BeaconRanking/isReported(rita:vigil:threshold:)``).
    public var minimumBeaconScore = HuntOptions.defaultMinimumBeaconScore
    /// Whether to score beacons at all.
    public var beacons = true
    /// Unparsed lines reported one by one per file; the rest are counted in one diagnostic.
    public var maxDiagnosticsPerFile = 50
    /// Problems found before the run (e.g. a damaged feed store), listed first in the report.
    public var setupDiagnostics: [Diagnostic] = []
    /// Progress messages (file names), e.g. to stderr when it is a terminal.
    public var progress: (@Sendable (String) -> Void)?
    /// When set, the run also collects a ``ContactSummary`` (read it from ``HuntEngine/contactSummary``).
    public var contactSummary: ContactSummaryOptions?

    public init(indicators: IndicatorSet) {
        self.indicators = indicators
    }
}

/// Reads network logs, matches indicators and scores beacons.
///
/// Files are read in two passes so connections can be grouped by the names HTTP and TLS give them:
/// first every DNS, HTTP, TLS, proxy and alert record, then every connection record (Zeek conn.log,
/// Suricata flow). Files holding only one kind of log are read once.
public final class HuntEngine: RecordSink {
    private let options: HuntOptions
    private let matcher: IndicatorMatcher
    private let store: BeaconStore
    private var files: [String] = []
    /// The stretch of each file to read, when the run was given windows (the log follower).
    private var windows: [LogWindow?] = []
    private var fileSummaries: [FileSummary] = []
    private var fileDiagnostics: [Int: Int] = [:]
    private var diagnostics: [Diagnostic] = []
    private var hits: [HitKey: HitAggregate] = [:]
    private var alerts: [AlertKey: AlertAggregate] = [:]
    private var counts = RecordCounts()
    private var sawSquid = false
    private let contacts: ContactCollector?
    /// The contact summary of the last run, when ``HuntOptions/contactSummary`` asked for one.
    public private(set) var contactSummary: ContactSummary?

    private struct RecordCounts {
        var connection = 0, dns = 0, http = 0, tls = 0, proxy = 0, alert = 0
    }

    private struct HitKey: Hashable {
        var indicator: String
        var kind: IndicatorKind
        var channel: ContactChannel
        var host: IPAddress?
        var observed: String
    }

    private struct HitAggregate {
        var indicator: Indicator
        var rule: String
        var first: Double
        var last: Double
        var count: Int
        var evidence: [SourceLocation]
    }

    private struct AlertKey: Hashable {
        var sid: Int
        var source: IPAddress?
        var destination: IPAddress?
    }

    private struct AlertAggregate {
        var record: AlertRecord
        var first: Double
        var last: Double
        var count: Int
        var evidence: [SourceLocation]
    }

    public init(options: HuntOptions) {
        self.options = options
        matcher = IndicatorMatcher(options.indicators)
        store = BeaconStore(internalNetworks: options.internalNetworks)
        contacts = options.contactSummary.map(ContactCollector.init(options:))
    }

    /// Expands folders (recursively, sorted) into files.
    public static func expand(_ paths: [String]) throws(LogReadError) -> [String] {
        var out: [String] = []
        let fm = FileManager.default
        for path in paths {
            var isDir: ObjCBool = false
            guard fm.fileExists(atPath: path, isDirectory: &isDir) else { throw LogReadError(path: path, message: "no such file or folder") }
            if !isDir.boolValue { out.append(path); continue }
            guard let walker = fm.enumerator(atPath: path) else { throw LogReadError(path: path, message: "cannot list the folder") }
            var found: [String] = []
            while let rel = walker.nextObject() as? String {
                let full = (path as NSString).appendingPathComponent(rel)
                var d: ObjCBool = false
                if fm.fileExists(atPath: full, isDirectory: &d), !d.boolValue, !(rel as NSString).lastPathComponent.hasPrefix(".") { found.append(full) }
            }
            out.append(contentsOf: found.sorted())
        }
        return out
    }

    /// Runs the hunt over files and folders.
    /// - Throws: ``LogReadError`` when a named path does not exist.
    public func run(paths: [String]) throws(LogReadError) -> HuntReport {
        files = try HuntEngine.expand(paths)
        windows = Array(repeating: nil, count: files.count)
        return runFiles()
    }

    /// Runs the hunt over stretches of files (see ``LogWindow``): each file's format is still
    /// detected from its first lines, a Zeek TSV window is read with the file's header, and every
    /// citation carries the file's true line number. Used by the server's log follower, which
    /// reads growing logs in bounded parts.
    public func run(windows: [LogWindow]) -> HuntReport {
        files = windows.map(\.path)
        self.windows = windows
        return runFiles()
    }

    private func runFiles() -> HuntReport {
        var plans: [(format: LogFormat, filter: PassFilter)?] = []
        for (i, path) in files.enumerated() {
            fileSummaries.append(FileSummary(path: path, format: nil, lines: 0, unparsed: 0))
            switch self.plan(path) {
            case .read(let format, let filter):
                plans.append((format, filter))
                fileSummaries[i].format = format.description
            case .notNeeded(let format, let log):
                plans.append(nil)
                fileSummaries[i].format = "\(format) \(log) log (not used by the hunt)"
            case .unrecognised:
                plans.append(nil)
                addDiagnostic(i, Diagnostic(kind: "skipped-format", path: path, message: "not a log format the hunt reads (Zeek TSV/JSON, Suricata EVE, Squid; generic CSV/JSON needs --map)"))
            case .unreadable:
                plans.append(nil)
            }
        }
        let clock = ContinuousClock()
        let readStart = clock.now
        for pass in [PassFilter(connections: false, others: true), PassFilter(connections: true, others: false)] {
            if pass.connections && !options.beacons && !matcher.hasAddressIndicators && contacts == nil { break }
            for (i, plan) in plans.enumerated() {
                guard let plan, (pass.connections && plan.filter.connections) || (pass.others && plan.filter.others) else { continue }
                read(file: i, format: plan.format, filter: pass, countLines: !(pass.connections && plan.filter.others))
            }
        }
        let readTime = clock.now - readStart
        let scoreStart = clock.now
        var report = buildReport()
        contactSummary = contacts?.summary(files: files)
        report.timings = ["read": readTime.seconds, "score": (clock.now - scoreStart).seconds]
        return report
    }

    private enum Plan {
        case read(LogFormat, PassFilter)
        /// A Zeek log the hunt has no use for (x509, files, weird…).
        case notNeeded(LogFormat, String)
        case unrecognised
        case unreadable
    }

    /// Detects a file's format and which passes it needs.
    private func plan(_ path: String) -> Plan {
        var first: [[UInt8]] = []
        var paths: [ZeekLog] = []
        var pathName = "other"
        do {
            try LineReader().forEachLine(path: path) { line, _ in
                if line.count == 0 { return true }
                if line.count > 6, line.slice(0, 6).equals("#path\t") || line.slice(0, 6).equals("#path ") {
                    pathName = line.slice(6, line.count).string
                    paths.append(ZeekLog(path: pathName))
                }
                first.append(Array(line.prefix(64 << 10)))
                return first.count < 12 && line[0] == UInt8(ascii: "#") || first.count < 2
            }
        } catch {
            addDiagnostic(files.firstIndex(of: path) ?? 0, Diagnostic(kind: "unreadable", path: path, message: "\(error)"))
            return .unreadable
        }
        guard let format = LogFormat.detect(firstLines: first, mapped: options.mapping != nil) else { return .unrecognised }
        let fileLog = ZeekLog(fileName: (path as NSString).lastPathComponent)
        switch format {
        case .zeekTSV, .zeekJSON:
            let log = paths.first ?? fileLog
            switch log {
            case .conn?: return .read(format, PassFilter(connections: true, others: false))
            case .dns?, .http?, .ssl?: return .read(format, PassFilter(connections: false, others: true))
            case .other?: return format == .zeekJSON && paths.isEmpty ? .read(format, .all) : .notNeeded(format, pathName)
            case nil: return .read(format, .all)
            }
        case .suricataEVE: return .read(format, .all)
        case .squid: return .read(format, PassFilter(connections: false, others: true))
        case .mappedCSV, .mappedJSON:
            let m = options.mapping?.columns ?? [:]
            let others = m[.query] != nil || m[.dstHost] != nil || m[.url] != nil
            return .read(format, PassFilter(connections: !others, others: others))
        }
    }

    private func read(file index: Int, format: LogFormat, filter: PassFilter, countLines: Bool) {
        let path = files[index]
        options.progress?("reading \(path) (\(format))")
        let reader = LineReader()
        let fileLog = ZeekLog(fileName: (path as NSString).lastPathComponent)
        let parse: (UnsafeRawBufferPointer, SourceLocation) -> String?
        switch format {
        case .zeekTSV:
            let r = ZeekTSVReader(fileLog: fileLog, maxLineLength: reader.maxLineLength)
            parse = { r.read($0, at: $1, filter: filter, sink: self) }
        case .zeekJSON:
            let r = ZeekJSONReader(fileLog: fileLog)
            parse = { r.read($0, at: $1, filter: filter, sink: self) }
        case .suricataEVE:
            let r = EVEReader()
            parse = { r.read($0, at: $1, filter: filter, sink: self) }
        case .squid:
            sawSquid = true
            let r = SquidReader()
            parse = { r.read($0, at: $1, filter: filter, sink: self) }
        case .mappedCSV, .mappedJSON:
            guard let mapping = options.mapping else { return }
            let r = MappedReader(mapping: mapping, json: format == .mappedJSON)
            parse = { r.read($0, at: $1, filter: filter, sink: self) }
        }
        var lines = 0
        let window = windows[index]
        let oversized: (Int) -> Void = { line in
            self.unparsed(SourceLocation(file: index, line: line), "line longer than \(reader.maxLineLength) bytes")
        }
        let each: (UnsafeRawBufferPointer, Int) -> Bool = { line, number in
            lines = number
            if let problem = parse(line, SourceLocation(file: index, line: number)) {
                self.unparsed(SourceLocation(file: index, line: number), problem)
            }
            return true
        }
        do {
            if let window {
                try reader.forEachLine(window: window, replayHeader: format == .zeekTSV, onOversized: oversized, each)
                lines = max(0, lines - window.linesBefore)
            } else {
                try reader.forEachLine(path: path, onOversized: oversized, each)
            }
        } catch {
            addDiagnostic(index, Diagnostic(kind: "unreadable", path: path, line: lines > 0 ? lines : nil, message: "\(error)"))
        }
        if countLines { fileSummaries[index].lines = lines }
    }

    private func addDiagnostic(_ file: Int, _ d: Diagnostic) {
        let n = fileDiagnostics[file, default: 0]
        fileDiagnostics[file] = n + 1
        if n < options.maxDiagnosticsPerFile { diagnostics.append(d) }
    }

    // MARK: RecordSink

    func unparsed(_ location: SourceLocation, _ message: String) {
        fileSummaries[location.file].unparsed += 1
        addDiagnostic(location.file, Diagnostic(kind: "unparsed-line", path: files[location.file], line: location.line, message: message))
    }

    private func hit(_ indicator: Indicator, rule: String, observed: String, channel: ContactChannel, host: IPAddress?, ts: Double, at location: SourceLocation) {
        let key = HitKey(indicator: indicator.value, kind: indicator.kind, channel: channel, host: host, observed: observed)
        if var agg = hits[key] {
            agg.first = min(agg.first, ts)
            agg.last = max(agg.last, ts)
            agg.count += 1
            if agg.evidence.count < 5 { agg.evidence.append(location) }
            hits[key] = agg
        } else {
            hits[key] = HitAggregate(indicator: indicator, rule: rule, first: ts, last: ts, count: 1, evidence: [location])
        }
    }

    private func matchHost(_ host: UnsafeRawBufferPointer, channel: ContactChannel, client: IPAddress?, ts: Double, at location: SourceLocation) {
        var h = host
        // Strip a :port (not for bracketed or bare IPv6).
        if let colon = h.lastIndex(of: UInt8(ascii: ":")), h.firstIndex(of: UInt8(ascii: ":")) == colon { h = h.slice(0, colon) }
        if let ip = IPAddress(h) {
            if matcher.hasAddressIndicators, let m = matcher.matchAddress(ip) {
                hit(m.indicator, rule: m.rule, observed: ip.description, channel: channel, host: client, ts: ts, at: location)
            }
        } else if let m = matcher.matchName(h) {
            hit(m.indicator, rule: m.rule, observed: m.name, channel: channel, host: client, ts: ts, at: location)
        }
    }

    func dns(_ r: DNSRecord) {
        counts.dns += 1
        if let contacts, let q = r.query {
            if let ts = r.resolvedTime, let client = r.resolvedClient { contacts.name(q, client: client, ts: ts, log: .dns, at: r.location) } else { contacts.withoutClient += 1 }
        }
        if let q = r.query, let m = matcher.matchName(q) {
            dnsHit(r, m.indicator, rule: m.rule, observed: m.name, channel: .dnsQuery)
        }
        r.answers.forEach { a in
            if let m = matcher.matchAnswer(a) {
                dnsHit(r, m.indicator, rule: m.rule, observed: m.observed, channel: .dnsAnswer)
            }
        }
    }

    private func dnsHit(_ r: DNSRecord, _ indicator: Indicator, rule: String, observed: String, channel: ContactChannel) {
        guard let ts = r.resolvedTime else {
            unparsed(r.location, "malformed ts")
            return
        }
        hit(indicator, rule: rule, observed: observed, channel: channel, host: r.resolvedClient, ts: ts, at: r.location)
    }

    func http(_ r: HTTPRecord) {
        counts.http += 1
        let isConnect = r.method?.equals("CONNECT") ?? false
        if let contacts, let host = r.host {
            if let client = r.client { contacts.host(host, client: client, ts: r.ts, log: .http, at: r.location) } else { contacts.withoutClient += 1 }
        }
        if let host = r.host, host.count > 0 {
            matchHost(host, channel: isConnect ? .proxyConnect : .httpHost, client: r.client, ts: r.ts, at: r.location)
            if !isConnect, let m = matcher.matchURL(host: host, url: { HuntEngine.zeekURL(host: host, uri: r.uri) }) {
                hit(m.indicator, rule: m.rule, observed: m.url, channel: .httpURL, host: r.client, ts: r.ts, at: r.location)
            }
        }
        if options.beacons {
            store.named(
                client: r.client, server: r.server, host: r.host, uid: r.uid, proxied: isConnect, ts: r.ts, bytes: r.requestBytes, location: r.location,
                overrideExisting: true, log: .http)
        }
    }

    /// The URL as Zeek's `HTTP::build_url` forms it, with a scheme for matching: an absolute URI (a
    /// proxy request) as is, otherwise `http://host[:port]uri`.
    static func zeekURL(host: UnsafeRawBufferPointer, uri: UnsafeRawBufferPointer?) -> String {
        let u = uri?.string ?? "/"
        if u.contains("://") { return u }
        return "http://" + host.string + (u.hasPrefix("/") ? u : "/" + u)
    }

    func tls(_ r: TLSRecord) {
        counts.tls += 1
        if let contacts, let sni = r.serverName {
            if let client = r.client { contacts.host(sni, client: client, ts: r.ts, log: .tls, at: r.location) } else { contacts.withoutClient += 1 }
        }
        if let sni = r.serverName, sni.count > 0 {
            matchHost(sni, channel: .tlsSNI, client: r.client, ts: r.ts, at: r.location)
        }
        if options.beacons {
            store.named(
                client: r.client, server: r.server, host: r.serverName, uid: r.uid, proxied: false, ts: r.ts, bytes: 0, location: r.location,
                overrideExisting: false, log: .tls)
        }
    }

    func proxy(_ r: ProxyRecord) {
        counts.proxy += 1
        if let contacts, let host = r.host {
            if let client = r.client { contacts.host(host, client: client, ts: r.ts, log: .proxy, at: r.location) } else { contacts.withoutClient += 1 }
        }
        let isConnect = r.method?.equals("CONNECT") ?? false
        if let host = r.host {
            matchHost(host, channel: isConnect ? .proxyConnect : .proxyHost, client: r.client, ts: r.ts, at: r.location)
            if !isConnect, let url = r.url, let m = matcher.matchURL(host: host, url: { url.string }) {
                hit(m.indicator, rule: m.rule, observed: m.url, channel: .proxyURL, host: r.client, ts: r.ts, at: r.location)
            }
        }
        if options.beacons {
            store.named(
                client: r.client, server: nil, host: r.host, uid: nil, proxied: true, ts: r.ts, bytes: r.bytes, location: r.location,
                overrideExisting: true, log: .proxy)
        }
    }

    func connection(_ r: ConnectionRecord) {
        counts.connection += 1
        contacts?.server(r.server, client: r.client, ts: r.ts, log: .conn, at: r.location)
        if matcher.hasAddressIndicators {
            if let m = matcher.matchAddress(r.server) {
                hit(m.indicator, rule: m.rule, observed: r.server.description, channel: .connectionDestination, host: r.client, ts: r.ts, at: r.location)
            } else if let m = matcher.matchAddress(r.client) {
                hit(m.indicator, rule: m.rule, observed: r.client.description, channel: .connectionSource, host: r.server, ts: r.ts, at: r.location)
            }
        }
        if options.beacons { store.connection(r) }
    }

    func alert(_ r: AlertRecord) {
        counts.alert += 1
        let key = AlertKey(sid: r.signatureID, source: r.source, destination: r.destination)
        if var a = alerts[key] {
            a.first = min(a.first, r.ts)
            a.last = max(a.last, r.ts)
            a.count += 1
            if a.evidence.count < 5 { a.evidence.append(r.location) }
            alerts[key] = a
        } else {
            alerts[key] = AlertAggregate(record: r, first: r.ts, last: r.ts, count: 1, evidence: [r.location])
        }
    }

    // MARK: Report

    private func ref(_ l: SourceLocation) -> String { "\(files[l.file]):\(l.line)" }

    /// Every reason for one scored pair (see ``BeaconRanking``), in a fixed order.
    private func beaconReasons(_ s: BeaconStore.Scored, name: String?, namesByServer: [IPAddress: [String]], windowEnd: Double) -> [BeaconReason] {
        let address = name == nil ? s.pair.destination : nil
        let known = BeaconRanking.knownService(
            name: name, address: address, namesSeenOnAddress: address.flatMap { namesByServer[$0] } ?? [], services: options.knownServices)
        var match: (value: String, rule: String, feeds: [String])?
        if let name {
            let m = Array(name.utf8).withUnsafeBytes { matcher.matchName($0) }
            if let m { match = (m.indicator.value, m.rule, m.indicator.feeds) }
        } else if matcher.hasAddressIndicators, let m = matcher.matchAddress(s.pair.destination) {
            match = (m.indicator.value, m.rule, m.indicator.feeds)
        }
        if match == nil, matcher.hasAddressIndicators {
            // A name whose server addresses are published (the C2 moved behind a new name).
            for ip in s.servers { if let m = matcher.matchAddress(ip) { match = (m.indicator.value, m.rule + " (server address \(ip))", m.indicator.feeds); break } }
        }
        return [
            BeaconRanking.prevalence(hosts: s.destinationHosts, of: s.internalHosts),
            known,
            BeaconRanking.firstSeen(destination: Double(s.destinationFirstSeen), hostStart: Double(s.sourceFirstSeen), logsEnd: windowEnd),
            BeaconRanking.indicator(match),
            BeaconRanking.impersonation(name: name, knownService: known.effect != 0),
        ]
    }

    private func buildReport() -> HuntReport {
        var report = HuntReport()
        report.minimumBeaconScore = options.minimumBeaconScore
        report.indicatorCounts = Dictionary(uniqueKeysWithValues: options.indicators.countsByKind.map { ($0.key.rawValue, $0.value) })
        report.records = ["connection": counts.connection, "dns": counts.dns, "http": counts.http, "tls": counts.tls, "proxy": counts.proxy, "alert": counts.alert]
        report.hits = hits.map { key, agg in
            IndicatorHit(
                indicator: key.indicator, kind: key.kind, rule: agg.rule, observed: key.observed, channel: key.channel,
                host: key.host?.description ?? "-", firstSeen: agg.first, lastSeen: agg.last, firstSeenISO: isoTime(agg.first),
                lastSeenISO: isoTime(agg.last), count: agg.count, evidence: agg.evidence.map(ref), feeds: agg.indicator.feeds,
                provenance: agg.indicator.provenance)
        }.sorted { ($0.host, $0.indicator, $0.channel.rawValue, $0.observed) < ($1.host, $1.indicator, $1.channel.rawValue, $1.observed) }
        report.alerts = alerts.map { _, a in
            AlertSummary(
                signatureID: a.record.signatureID, signature: a.record.signature, category: a.record.category, suricataSeverity: a.record.severity,
                source: a.record.source?.description ?? "-", destination: a.record.destination?.description ?? "-", count: a.count,
                firstSeenISO: isoTime(a.first), lastSeenISO: isoTime(a.last), evidence: a.evidence.map(ref))
        }.sorted { ($0.suricataSeverity, -$0.count, $0.signatureID) < ($1.suricataSeverity, -$1.count, $1.signatureID) }
        if options.beacons {
            let scoring = store.score()
            let (scored, lo, hi) = (scoring.results, scoring.windowMin, scoring.windowMax)
            let namesByServer = store.namesByServer()
            if hi > 0 {
                report.windowStartISO = isoTime(lo)
                report.windowEndISO = isoTime(hi)
            }
            report.pairsScored = scored.count
            var suppressedStrobes = 0
            for s in scored {
                let destination = s.pair.fqdn > 0 ? store.fqdnNames[Int(s.pair.fqdn - 1)] : s.pair.destination.description
                let reason = s.pair.fqdn > 0 ? options.allowlist.reason(forDomain: destination) : options.allowlist.reason(forAddress: s.pair.destination)
                if s.strobe {
                    if reason != nil { suppressedStrobes += 1; continue }
                    report.strobes.append(StrobeResult(source: s.pair.source.description, destination: destination, connections: s.connections, evidence: ref(s.location)))
                    continue
                }
                guard let scores = s.scores else { continue }
                let reasons = beaconReasons(s, name: s.pair.fqdn > 0 ? destination : nil, namesByServer: namesByServer, windowEnd: hi)
                let vigilScore = BeaconRanking.vigilScore(rita: scores.score, reasons: reasons)
                guard BeaconRanking.isReported(rita: scores.score, vigil: vigilScore, threshold: options.minimumBeaconScore) else { continue }
                let result = BeaconResult(
                    source: s.pair.source.description, destination: destination, destinationKind: s.pair.fqdn > 0 ? "fqdn" : "address",
                    proxied: s.proxied, proxies: s.proxies.map(\.description), serverAddresses: s.servers.map(\.description),
                    connections: s.connections, uniqueTimestamps: s.uniqueTimestamps, firstSeenISO: isoTime(Double(s.first)),
                    lastSeenISO: isoTime(Double(s.last)), scores: scores, prevalence: s.prevalence, suppressedBecause: reason, evidence: ref(s.location),
                    ritaScore: scores.score, vigilScore: vigilScore, reasons: reasons, evidenceLogs: s.logs.names)
                if reason != nil { report.suppressedBeacons.append(result) } else { report.beacons.append(result) }
            }
            let order: (BeaconResult, BeaconResult) -> Bool = {
                ($0.vigilScore, $0.scores.score, $0.connections, $1.source, $1.destination) > ($1.vigilScore, $1.scores.score, $1.connections, $0.source, $0.destination)
            }
            report.beacons.sort(by: order)
            report.suppressedBeacons.sort(by: order)
            report.strobes.sort { $0.connections > $1.connections }
            if suppressedStrobes > 0 { report.notes.append("\(suppressedStrobes) strobe(s) to allow-listed destinations are not listed.") }
            if counts.connection == 0 && counts.http + counts.tls + counts.proxy > 0 {
                report.notes.append("No connection records (conn.log / EVE flow): beacon times come from the HTTP/TLS/proxy rows (under the Host or SNI name, or the address when that is what they name), and their sizes from request bodies or proxy reply sizes.")
            }
        }
        if sawSquid { report.notes.append("Squid native logs carry only reply sizes: their data-size scores use server-to-client bytes, unlike RITA's client-sent bytes.") }
        let urls = matcher.urlIndicatorCount
        if urls > 0 {
            report.notes.append("\(urls) URL indicator(s) can be matched only on cleartext HTTP and proxy logs; TLS shows only the host (SNI), which is matched against domain indicators.")
        }
        for (file, n) in fileDiagnostics where n > options.maxDiagnosticsPerFile {
            diagnostics.append(Diagnostic(kind: "more-diagnostics", path: files[file], message: "\(n - options.maxDiagnosticsPerFile) more problems in this file (first \(options.maxDiagnosticsPerFile) listed)"))
        }
        report.diagnostics = options.setupDiagnostics + diagnostics
        report.files = fileSummaries
        return report
    }
}

extension Duration {
    /// The duration in seconds as a `Double`.
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
