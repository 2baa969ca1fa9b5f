import ArgumentParser
import Foundation
import VigilAgent
import VigilFleetClient

/// `vigil agent`: enrol with a fleet server, then sweep and report.
struct AgentCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "agent",
        abstract: "Report this host's file inventory and findings to a fleet server ('vigil serve').",
        discussion: """
            'enroll' exchanges an enrolment secret (from 'vigil serve secret create') for this host's own \
            key, stored with mode 0600 in the state directory (mode 0700). 'once' sweeps the roots and \
            reports; 'run' does so every interval, as a daemon. Sweeps use a scan cache, so a file \
            unchanged since the last sweep is not read again, and only the inventory delta (added, \
            changed, removed files) is sent, in gzip-compressed batches written to a spool first; when \
            the server is unreachable or busy the batches stay spooled and are retried with exponential \
            backoff and jitter. The agent runs at nice 10 in the idle I/O class with a 50 MB/s read \
            budget unless told otherwise.

            Configuration: a JSON file (--config, see docs/fleet.md) and/or flags; flags win.

            Exit status: 0 done, 2 error (for 'once': also when batches stayed spooled or were rejected).

            Examples:
              vigil agent enroll --server https://fleet.example:8443 --secret-file /etc/vigil/secret --ca-file /etc/vigil/ca.pem
              vigil agent once --root /opt --root /home
              vigil agent run --config /etc/vigil/agent.json
            """,
        subcommands: [AgentEnroll.self, AgentOnce.self, AgentRun.self]
    )
}

/// Options every `vigil agent` subcommand shares.
struct AgentOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Agent configuration file (JSON).", valueName: "file"))
    var config: String?

    @Option(help: ArgumentHelp("State directory (default /var/lib/vigil-agent).", valueName: "dir"))
    var stateDir: String?

    @Option(help: ArgumentHelp("Server URL, e.g. https://fleet.example:8443.", valueName: "url"))
    var server: String?

    @Option(help: ArgumentHelp("PEM file of the CA that signed the server's certificate; the only CA trusted.", valueName: "file"))
    var caFile: String?

    @Flag(help: "Allow plain http:// to a server that is not on loopback.")
    var allowInsecureHttp = false

    @Option(name: .customLong("root"), help: ArgumentHelp("A folder to sweep (repeatable).", valueName: "dir"))
    var roots: [String] = []

    @Option(help: ArgumentHelp("Seconds between sweeps for 'run' (at least 60).", valueName: "seconds"))
    var interval: Int?

    @Option(help: ArgumentHelp("Read budget in bytes per second (0: unlimited; default 50000000).", valueName: "bytes"))
    var readBytesPerSecond: Int?

    @Option(help: ArgumentHelp("Niceness to run at (0-19, default 10).", valueName: "n"))
    var nice: Int?

    @Flag(help: "Do not switch to the idle I/O scheduling class.")
    var noIdleIo = false

    @Option(help: "Scan worker threads (default 1).")
    var threads: Int?

    @Option(name: .customLong("rules"), help: ArgumentHelp("Extra YARA rules, file or folder (repeatable).", valueName: "path"))
    var rules: [String] = []

    @Option(name: .customLong("iocs"), help: ArgumentHelp("Extra indicator file (repeatable).", valueName: "file"))
    var iocs: [String] = []

    @Flag(help: "Do not use the built-in 3CX indicators and YARA rules.")
    var noDefaultIndicators = false

    @Option(help: ArgumentHelp("Most inventory rows per batch (default 5000).", valueName: "n"))
    var maxFilesPerBatch: Int?

    @Option(help: ArgumentHelp("Enrolment secret file (kept so a revoked key is replaced unattended).", valueName: "file"))
    var secretFile: String?

    func resolved() throws -> AgentConfiguration {
        var base = AgentConfiguration()
        if let config {
            do { base = try AgentConfiguration.load(path: config) } catch { throw ValidationError("--config: \(error)") }
        }
        var flags = AgentConfiguration()
        flags.stateDirectory = stateDir
        flags.server = server
        flags.caFile = caFile
        flags.allowInsecureHTTP = allowInsecureHttp ? true : nil
        flags.roots = roots.isEmpty ? nil : roots
        flags.intervalSeconds = interval
        flags.readBytesPerSecond = readBytesPerSecond
        flags.nice = nice
        flags.idleIO = noIdleIo ? false : nil
        flags.threads = threads
        flags.rules = rules.isEmpty ? nil : rules
        flags.iocs = iocs.isEmpty ? nil : iocs
        flags.defaultIndicators = noDefaultIndicators ? false : nil
        flags.maxFilesPerBatch = maxFilesPerBatch
        flags.secretFile = secretFile
        let merged = base.overridden(by: flags)
        if let n = merged.nice, !(0...19).contains(n) { throw ValidationError("--nice must be 0 to 19") }
        if let t = merged.threads, t < 1 { throw ValidationError("--threads must be at least 1") }
        return merged
    }
}

func agentLog(_ message: String) {
    let stamp = ISO8601DateFormatter().string(from: Date())
    printToStandardError("\(stamp) vigil-agent: \(message)")
}

struct AgentEnroll: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "enroll", abstract: "Exchange an enrolment secret for this host's key.")

    @OptionGroup var options: AgentOptions

    func run() async throws {
        let configuration = try options.resolved()
        guard configuration.server != nil else { throw ValidationError("give --server URL") }
        guard configuration.secretFile != nil else { throw ValidationError("give --secret-file FILE") }
        do {
            let agent = try Agent(configuration: configuration, vigilVersion: Vigil.configuration.version, log: { agentLog($0) })
            let response = try await agent.enroll()
            print("Enrolled as host \(response.hostID); key stored in \(agent.stateDirectory)/host.key.")
        } catch let error as FleetClientError {
            throw ValidationError("enrolment failed: \(error)")
        } catch let error as AgentError {
            throw ValidationError(error.message)
        }
    }
}

struct AgentOnce: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "once", abstract: "Sweep the roots once, report the delta, and exit.")

    @OptionGroup var options: AgentOptions

    @Option(help: ArgumentHelp("Keep retrying an unavailable server for this many seconds (default 0).", valueName: "seconds"))
    var retryFor: Int = 0

    @Option(help: "Output format: text or json.")
    var format: ListingFormat = .text

    func run() async throws {
        let configuration = try options.resolved()
        for problem in LowImpact.apply(nice: configuration.resolvedNice, idleIO: configuration.resolvedIdleIO) { agentLog(problem) }
        let report: Agent.SweepReport
        do {
            let agent = try Agent(configuration: configuration, vigilVersion: Vigil.configuration.version, log: { agentLog($0) })
            report = try await agent.runOnce(retryDeadline: retryFor > 0 ? ContinuousClock.now + .seconds(retryFor) : nil)
        } catch let error as FleetClientError {
            throw ValidationError("agent: \(error)")
        } catch let error as AgentError {
            throw ValidationError(error.message)
        }
        switch format {
        case .json:
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            print(String(decoding: try encoder.encode(report), as: UTF8.self))
        case .text:
            print("Swept \(report.filesInInventory) files (\(report.filesRead) read, \(report.filesFromCache) unchanged from the cache) in \(String(format: "%.2f", report.sweepSeconds)) s.")
            print("Delta: \(report.added) added, \(report.changed) changed, \(report.removed) removed; \(report.findings) findings.")
            print("Batches: \(report.batchesSpooled) spooled, \(report.batchesAcknowledged) acknowledged, \(report.batchesPending) pending, \(report.batchesRejected) rejected.")
            if report.batchesRejected > 0 { print("Rejected batches were set aside for inspection in the spool's rejected folder.") }
            if let problem = report.deliveryProblem, report.batchesPending > 0 { print("Not delivered: \(problem)") }
        }
        if report.batchesPending > 0 || report.batchesRejected > 0 { throw VigilExitCode.error }
    }
}

struct AgentRun: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run", abstract: "Sweep and report every interval (daemon; runs in the foreground).")

    @OptionGroup var options: AgentOptions

    func run() async throws {
        let configuration = try options.resolved()
        for problem in LowImpact.apply(nice: configuration.resolvedNice, idleIO: configuration.resolvedIdleIO) { agentLog(problem) }
        do {
            let agent = try Agent(configuration: configuration, vigilVersion: Vigil.configuration.version, log: { agentLog($0) })
            agentLog("sweeping \(configuration.roots ?? []) every \(configuration.resolvedInterval) s")
            try await agent.run()
        } catch let error as FleetClientError {
            throw ValidationError("agent: \(error)")
        } catch let error as AgentError {
            throw ValidationError(error.message)
        }
    }
}
