import Foundation
import Logging
import Synchronization
import VigilCore
import VigilFleetProtocol
import VigilFleetStore
import VigilHunt
import VigilIndicators
import VigilNotify
import VigilVerdicts

/// How the server computes verdicts.
public struct VerdictServiceOptions: Sendable {
    /// The static address-to-host mapping (`vigil serve --address-map FILE`).
    public var mapping = MappingFile()
    /// Silence that still counts as network coverage (see ``VerdictRules/coverageTolerance``).
    public var coverageTolerance: Double = 86_400
    /// Affected product versions, for `exposed`.
    public var affected: AffectedVersions = .builtIn
    /// Base names of the program files whose version information says which product version is
    /// installed (looked up in the inventory by name, then compared by product name and version).
    public var versionFileNames = ["3CXDesktopApp.exe", "3CX Desktop App", "3CXDesktopApp"]
    /// Network evidence items read per pass, at most.
    public var maxNetworkEvidence = 2_000_000
    /// Rows per store page (hosts, findings).
    public var pageSize = 10_000

    public init() {}
}

/// What one verdict pass did.
public struct VerdictRunReport: Codable, Sendable, Hashable {
    public var hosts = 0
    public var findings = 0
    public var coverageRows = 0
    public var networkEvidence = 0
    /// Network evidence no host could be tied to (NAT, proxy, unknown or ambiguous address).
    public var unattributedEvidence = 0
    /// Coverage rows whose client could not be tied to a host.
    public var unattributedCoverageRows = 0
    public var changes = 0
    /// Count per state after the pass.
    public var states: [String: Int] = [:]
    /// Time of the whole pass and of the verdict engine alone, in milliseconds.
    public var milliseconds: Double = 0
    public var engineMilliseconds: Double = 0

    public init() {}
}

/// What the last verdict pass could not tie to a host, with the reason (NAT or proxy address of the
/// mapping file, an address no agent, lease or mapping line covers, several claimants).
public struct UnattributedNetworkRecords: Sendable {
    /// Contact-index coverage rows (per sensor, client and day), the first
    /// ``Coverage/maxListedUnattributed``; ``moreCoverageRows`` counts the rest.
    public var coverageRows: [UnattributedContact] = []
    public var moreCoverageRows = 0
    /// Stored indicator hits, beacons and retro-hunt matches, the first ``maxListed``;
    /// ``moreEvidence`` counts the rest.
    public var evidence: [UnattributedEvidence] = []
    public var moreEvidence = 0
    /// Unattributed evidence items kept between passes, at most (the coverage rows are capped by ``Coverage``).
    public static let maxListed = 10_000

    public init() {}
}

/// Recomputes every host's verdict from the store with the ``VerdictEngine`` and hands the changes
/// to the notifiers.
///
/// Evidence: the host's stored findings (file evidence), the inventory's version information
/// (`exposed`), the hosts' reported addresses, stored DHCP leases and the mapping file (the address
/// book), the coverage rows of the contact index, and the stored network evidence attributed with
/// ``NetworkEvidenceBuilder``. ``requestRecompute()`` coalesces bursts: at most one pass runs and
/// at most one more is pending, so whoever asks (batch ingest, a network report, a retro-hunt)
/// never waits.
public final class VerdictService: Sendable {
    public let store: any FleetStore
    public let options: VerdictServiceOptions
    let indicators: ServerIndicators?
    let notifiers: [any VerdictNotifier]
    let logger: Logger

    struct State {
        var running = false
        var pending = false
        /// Requests so far; a pass covers every request made before it started.
        var requested = 0
        /// The request count when the last completed pass started, and that pass's report.
        var covered = 0
        var coveredReport: VerdictRunReport?
        var passes = 0
        var lastReport: VerdictRunReport?
        var lastError: String?
        /// The evidence of the last pass, by host id (for timelines).
        var evidence: [Int64: HostEvidence] = [:]
        /// What the last pass could not attribute.
        var unattributed = UnattributedNetworkRecords()
    }
    private let state = Mutex(State())

    public init(
        store: any FleetStore, indicators: ServerIndicators?, options: VerdictServiceOptions = VerdictServiceOptions(),
        notifiers: [any VerdictNotifier] = [], logger: Logger = Logger(label: "vigil.verdicts")
    ) {
        self.store = store
        self.indicators = indicators
        self.options = options
        self.notifiers = notifiers
        self.logger = logger
    }

    // MARK: Scheduling

    /// Asks for a recomputation without waiting: starts one when none runs, else marks one pending
    /// (several requests during a pass still cause a single further pass).
    public func requestRecompute() {
        _ = request()
    }

    /// Requests a pass and waits until one that started after the request has finished; returns
    /// that pass's report (nil when it failed or `timeout` passed). For callers that answer with the
    /// number of verdict changes, such as the network-report route.
    public func recomputeAndWait(timeout: Duration = .seconds(120)) async -> VerdictRunReport? {
        let ticket = request()
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        while clock.now < deadline {
            let done = state.withLock { s -> (Bool, VerdictRunReport?) in (s.covered >= ticket, s.coveredReport) }
            if done.0 { return done.1 }
            try? await Task.sleep(for: .milliseconds(5))
        }
        return nil
    }

    /// Counts the request and starts a pass unless one runs; returns the request's number.
    private func request() -> Int {
        let (ticket, start) = state.withLock { s -> (Int, Bool) in
            s.requested += 1
            if s.running {
                s.pending = true
                return (s.requested, false)
            }
            s.running = true
            return (s.requested, true)
        }
        if start { Task.detached { [self] in await self.loop() } }
        return ticket
    }


    private func loop() async {
        while true {
            let ticket = state.withLock { $0.requested }
            do {
                let report = try await recompute()
                state.withLock {
                    $0.covered = ticket
                    $0.coveredReport = report
                }
                if report.changes > 0 { logger.info("verdicts: \(report.changes) change(s) over \(report.hosts) hosts in \(Int(report.milliseconds)) ms") }
            } catch {
                logger.error("verdicts: recomputation failed: \(error)")
                state.withLock {
                    $0.lastError = String(describing: error)
                    $0.covered = ticket
                    $0.coveredReport = nil
                }
            }
            let again = state.withLock { s -> Bool in
                if s.pending {
                    s.pending = false
                    return true
                }
                s.running = false
                return false
            }
            if !again { return }
        }
    }

    /// True while a pass runs or one is pending.
    public var isBusy: Bool { state.withLock { $0.running || $0.pending } }
    /// Passes completed by this process.
    public var passes: Int { state.withLock { $0.passes } }
    public var lastReport: VerdictRunReport? { state.withLock { $0.lastReport } }
    /// The contact rows and network evidence the last pass could not tie to a host, with reasons.
    public var lastUnattributed: UnattributedNetworkRecords { state.withLock { $0.unattributed } }

    /// Waits until no pass runs or is pending (tests, shutdown), at most `timeout`.
    public func waitUntilIdle(timeout: Duration = .seconds(60)) async {
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        while isBusy, clock.now < deadline { try? await Task.sleep(for: .milliseconds(10)) }
    }

    // MARK: One pass

    /// Computes every host's verdict now, stores them, and notifies the changes.
    @discardableResult
    public func recompute(at now: Date = Date()) async throws -> VerdictRunReport {
        let clock = ContinuousClock()
        let started = clock.now
        var report = VerdictRunReport()
        let context = try await gather(report: &report)

        let engineStart = clock.now
        var rules = VerdictRules(asOf: now.timeIntervalSince1970)
        rules.coverageTolerance = options.coverageTolerance
        rules.affected = options.affected
        let (verdicts, evidenceByHost) = Self.evaluate(context, rules: rules, report: &report)
        report.engineMilliseconds = Self.milliseconds(clock.now - engineStart)

        let changes = try await store.saveVerdicts(verdicts, at: now)
        report.changes = changes.count
        for notifier in notifiers { notifier.enqueue(changes) }
        report.milliseconds = Self.milliseconds(clock.now - started)
        state.withLock {
            $0.passes += 1
            $0.lastReport = report
            $0.lastError = nil
            $0.evidence = evidenceByHost
            $0.unattributed = context.unattributed
        }
        return report
    }

    static func milliseconds(_ d: Duration) -> Double {
        Double(d.components.seconds) * 1000 + Double(d.components.attoseconds) / 1e15
    }

    /// Everything a pass reads from the store, joined.
    struct Context {
        var hosts: [HostRecord]
        var addresses: AddressBook
        var coverage: Coverage
        var files: [Int64: [FileFinding]]
        var versions: [Int64: [VersionFact]]
        var network: [String: [NetworkEvidence]]
        var unattributed = UnattributedNetworkRecords()

        func evidence(for host: HostRecord) -> HostEvidence {
            let name = addresses.canonical(host.hostname)
            return HostEvidence(host: name, files: files[host.id] ?? [], versions: versions[host.id] ?? [], network: network[name] ?? [])
        }
    }

    /// What a pass reads from the store, before any joining.
    public struct Inputs: Sendable {
        public var hosts: [HostRecord] = []
        public var findings: [StoredFinding] = []
        /// SHA-256 by host and path, for findings that carry none.
        public var digests: [HostPath: String] = [:]
        /// Inventory files named like the affected products' programs.
        public var versionFiles: [InventoryHit] = []
        public var leases: [DHCPLease] = []
        public var coverageRows: [CoverageRow] = []
        public var network: [StoredNetworkEvidence] = []

        public init() {}
    }

    func gather(report: inout VerdictRunReport) async throws -> Context {
        var inputs = Inputs()
        // Hosts and findings, page by page.
        while true {
            let page = try await store.hosts(matching: HostQuery(limit: options.pageSize, offset: inputs.hosts.count))
            inputs.hosts += page
            if page.count < options.pageSize { break }
        }
        while true {
            let page = try await store.findings(matching: FindingQuery(limit: options.pageSize, offset: inputs.findings.count))
            inputs.findings += page
            if page.count < options.pageSize { break }
        }
        inputs.digests = try await inventoryDigests(for: inputs.findings)
        if !options.versionFileNames.isEmpty { inputs.versionFiles = try await store.inventory(names: options.versionFileNames) }
        inputs.leases = try await store.dhcpLeases()
        inputs.coverageRows = try await store.coverageRows(clients: nil)
        inputs.network = try await store.networkEvidence(limit: options.maxNetworkEvidence)
        if inputs.network.count >= options.maxNetworkEvidence {
            logger.warning("verdicts: read the first \(options.maxNetworkEvidence) network evidence items only; the rest are not in this pass")
        }
        let snapshot = try await indicators?.current()
        return Self.join(inputs, options: options, indicators: snapshot?.indicators, report: &report)
    }

    /// Joins what a pass read: file evidence by host, version facts by host, the address book,
    /// coverage (one pass over the coverage rows) and network evidence attributed by host.
    static func join(_ inputs: Inputs, options: VerdictServiceOptions, indicators: IndicatorSet?, report: inout VerdictRunReport) -> Context {
        let hosts = inputs.hosts
        report.hosts = hosts.count
        report.findings = inputs.findings.count
        let hostByID = Dictionary(hosts.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })

        var files: [Int64: [FileFinding]] = [:]
        for stored in inputs.findings where hostByID[stored.hostID] != nil {
            guard let file = fileFinding(stored, indicators: indicators, digests: inputs.digests) else { continue }
            files[stored.hostID, default: []].append(file)
        }

        // Version information of the products the affected-version table names.
        var versions: [Int64: [VersionFact]] = [:]
        for hit in inputs.versionFiles {
            guard let product = hit.file.productName, let version = hit.file.version, let host = hostByID[hit.hostID] else { continue }
            versions[hit.hostID, default: []].append(VersionFact(product: product, version: version, path: hit.file.path, platform: platform(host.os)))
        }

        // The address book: agents' addresses, DHCP leases, the mapping file.
        var agents: [AgentAddress] = []
        for host in hosts {
            for a in host.addresses {
                agents.append(AgentAddress(host: host.hostname, address: a.address, firstSeen: a.firstSeen.timeIntervalSince1970, lastSeen: a.lastSeen.timeIntervalSince1970))
            }
        }
        // A DHCP host name equal to the first label of exactly one enrolled host names that host (the
        // library does this for hosts with reported addresses; here every enrolled host counts).
        var labels: [String: Set<String>] = [:]
        for host in hosts {
            let name = host.hostname.lowercased()
            if let dot = name.firstIndex(of: "."), dot != name.startIndex { labels[String(name[..<dot]), default: []].insert(name) }
        }
        let fullNames = Set(hosts.map { $0.hostname.lowercased() })
        let aliases = labels.compactMapValues { $0.count == 1 ? $0.first : nil }.filter { !fullNames.contains($0.key) }
        let addresses = AddressBook(agents: agents, leases: inputs.leases, mapping: options.mapping, aliases: aliases)

        // Coverage: one pass over the coverage rows (per sensor, client and day).
        report.coverageRows = inputs.coverageRows.count
        var summaries: [String: ContactSummary] = [:]
        for row in inputs.coverageRows {
            summaries[row.sensor, default: ContactSummary(sensor: row.sensor, maxRows: Int.max)].names.append(
                ContactRow(
                    day: row.day, client: row.client, count: row.rows, firstSeen: row.firstSeen, lastSeen: row.lastSeen, logs: [],
                    evidenceFile: row.evidenceFile, evidenceLine: row.evidenceLine))
        }
        let coverage = Coverage(summaries: Array(summaries.values), addresses: addresses, maxGap: options.coverageTolerance)
        report.unattributedCoverageRows = coverage.unattributed.count + coverage.moreUnattributed

        // Network evidence, attributed at the time of its records.
        report.networkEvidence = inputs.network.count
        let attributed = NetworkEvidenceBuilder(addresses: addresses).attribute(inputs.network.map(\.evidence))
        report.unattributedEvidence = attributed.unattributed.count
        var unattributed = UnattributedNetworkRecords()
        unattributed.coverageRows = coverage.unattributed
        unattributed.moreCoverageRows = coverage.moreUnattributed
        unattributed.evidence = Array(attributed.unattributed.prefix(UnattributedNetworkRecords.maxListed))
        unattributed.moreEvidence = attributed.unattributed.count - unattributed.evidence.count
        return Context(hosts: hosts, addresses: addresses, coverage: coverage, files: files, versions: versions, network: attributed.byHost,
                       unattributed: unattributed)
    }

    /// Every host's verdict from joined evidence (the verdict engine, host by host).
    static func evaluate(_ context: Context, rules: VerdictRules, report: inout VerdictRunReport) -> (verdicts: [(hostID: Int64, verdict: HostVerdict)], evidence: [Int64: HostEvidence]) {
        var verdicts: [(hostID: Int64, verdict: HostVerdict)] = []
        verdicts.reserveCapacity(context.hosts.count)
        var evidenceByHost: [Int64: HostEvidence] = [:]
        for host in context.hosts {
            let evidence = context.evidence(for: host)
            let verdict = VerdictEngine.verdict(for: evidence, coverage: context.coverage, rules: rules)
            verdicts.append((host.id, verdict))
            evidenceByHost[host.id] = evidence
            report.states[verdict.state.rawValue, default: 0] += 1
        }
        return (verdicts, evidenceByHost)
    }

    /// `windows`, `macos` or `linux` from the agent's OS name.
    static func platform(_ os: String) -> String? {
        let o = os.lowercased()
        if o.contains("windows") { return "windows" }
        if o.contains("mac") || o.contains("darwin") { return "macos" }
        if o.contains("linux") { return "linux" }
        return nil
    }

    /// SHA-256 of the files behind findings that do not carry one (file-name and structural
    /// findings), from the inventory, by host and path.
    func inventoryDigests(for findings: [StoredFinding]) async throws -> [HostPath: String] {
        var names = Set<String>()
        for f in findings where Self.sha256(in: f.finding) == nil {
            let base = f.finding.path.split(whereSeparator: { $0 == "/" || $0 == "\\" }).last.map(String.init) ?? f.finding.path
            if !base.isEmpty { names.insert(base) }
        }
        var out: [HostPath: String] = [:]
        let list = Array(names)
        for start in stride(from: 0, to: list.count, by: 1000) {
            for hit in try await store.inventory(names: Array(list[start..<min(start + 1000, list.count)])) {
                out[HostPath(hostID: hit.hostID, path: hit.file.path)] = hit.file.sha256
            }
        }
        return out
    }

    /// A file on a host.
    public struct HostPath: Hashable, Sendable {
        public var hostID: Int64
        public var path: String

        public init(hostID: Int64, path: String) {
            self.hostID = hostID
            self.path = path
        }
    }

    static func sha256(in finding: Finding) -> String? {
        if case .string(let s)? = finding.evidence["sha256"], s.count == 64 { return s.lowercased() }
        return nil
    }

    /// The verdict library's view of a stored finding: `ioc.hash` and `ioc.filename` are indicator
    /// matches (``FileCheckKind/hash``), `yara` a rule (``FileCheckKind/rule``), every other check
    /// structural. Campaign labels come from the indicator's provenance (its `campaign:` tags, else
    /// its feeds) when the server still holds the indicator, and from a rule's `campaign:` tags.
    static func fileFinding(_ stored: StoredFinding, indicators: IndicatorSet?, digests: [HostPath: String]) -> FileFinding? {
        let f = stored.finding
        let kind: FileCheckKind
        var campaigns: [String] = []
        var check = f.indicator ?? f.check
        switch f.check {
        case "ioc.hash", "ioc.filename":
            kind = .hash
            if let value = f.indicator, let indicators {
                let indicatorKind: IndicatorKind = f.check == "ioc.filename" ? .filename : (value.count == 32 ? .md5 : value.count == 40 ? .sha1 : .sha256)
                if let indicator = indicators.lookup(indicatorKind, value) {
                    campaigns = NetworkEvidenceBuilder.defaultCampaigns(indicator.provenance)
                    // The publisher's words say more than the hash the citation already shows.
                    if let summary = indicator.summary { check = "indicator: \(summary.prefix(200))" }
                }
            }
        case "yara":
            kind = .rule
            if case .strings(let tags)? = f.evidence["tags"] {
                campaigns = tags.filter { $0.lowercased().hasPrefix("campaign:") }.map { String($0.dropFirst(9)) }
            }
        default:
            kind = .structural
        }
        let sha = sha256(in: f) ?? digests[HostPath(hostID: stored.hostID, path: f.path)] ?? "unknown"
        return FileFinding(
            path: f.path, sha256: sha, check: check, kind: kind, severity: f.severity,
            firstSeen: stored.firstSeen.timeIntervalSince1970, campaigns: campaigns)
    }

    // MARK: Detail

    /// A host's current verdict, its timeline (files, C2 contact, beacons from the last pass, and
    /// every verdict change on record) and its verdict history; nil when the host has no verdict yet.
    public func detail(hostID: Int64) async throws -> HostVerdictDetail? {
        guard let current = try await store.verdict(hostID: hostID) else { return nil }
        let history = try await store.verdictChanges(hostID: hostID, since: nil, limit: 10_000)
        var evidence = state.withLock { $0.evidence[hostID] }
        if evidence == nil {
            // Another process computed the stored verdict: gather the evidence here.
            var scratch = VerdictRunReport()
            let context = try await gather(report: &scratch)
            if let host = context.hosts.first(where: { $0.id == hostID }) { evidence = context.evidence(for: host) }
        }
        var timeline = evidence.map { Timeline.build(for: $0, verdict: current.verdict) } ?? []
        for change in history {
            let from = change.from?.rawValue ?? "none"
            timeline.append(
                TimelineEvent(
                    time: change.at.timeIntervalSince1970, kind: "verdict-change", text: "verdict \(from) → \(change.to.rawValue)",
                    evidence: change.reasons))
        }
        timeline.sort { ($0.time, $0.kind) < ($1.time, $1.kind) }
        return HostVerdictDetail(current: current, timeline: timeline, history: history)
    }
}
