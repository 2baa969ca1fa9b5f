import ArgumentParser
import Foundation
import VigilFeeds
import VigilFleetProtocol
import VigilHunt
import VigilCore
import VigilOutput

/// `vigil hunt`: indicator hits and beacons in network logs. A thin front end over `VigilHunt`.
struct Hunt: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hunt",
        abstract: "Find C2 contact and beaconing in Zeek, Suricata EVE, Squid and mapped CSV/JSON logs.",
        discussion: """
            Formats are detected from the content: Zeek TSV and JSON (conn, dns, http, ssl), Suricata EVE JSON \
            (flow, dns v2/v3, http, tls, alert), Squid native access.log; gzip-compressed files are read directly. \
            Folders are searched recursively (rotated conn.*.log.gz included). Generic CSV or JSON lines need --map.

            Indicators: the built-in 3CX set (unless --no-default-indicators), every feed stored with 'vigil feed add', \
            and every --iocs file, loaded exactly as 'vigil scan' loads them. Domains match with their subdomains; \
            addresses match exactly or inside CIDRs (most specific wins); URLs only on cleartext HTTP/proxy logs.

            Beacons are scored as RITA v5 does (timestamp, data size, histogram, duration; mean of the four) per \
            (client, FQDN) and (client, address), proxied connections folded to the real target; HTTP, TLS and proxy \
            rows without a connection record count on their own. Vigil's score adds checkable reasons to RITA's: \
            prevalence, well-known services (--known-services), first seen, indicator match and brand look-alikes. \
            Allow-listed destinations are listed as suppressed with the reason.

            Hits, beacons, strobes and Suricata alerts are reported as findings, like scan and diff: check id \
            (net.ioc.domain, net.ioc.ip, net.ioc.url, net.beacon, net.strobe, net.suricata-alert), severity, \
            ATT&CK technique, log file and line, explanation and evidence. --format json gives one document \
            (findings, diagnostics, statistics), jsonl one finding per line, sarif a SARIF 2.1.0 log.

            Exit status: 0 nothing found, 1 findings, 2 error.

            Examples:
              vigil hunt /var/log/zeek/2023-03-29/
              vigil hunt conn.log dns.log http.log ssl.log --format json
              vigil hunt eve.json --iocs extra-c2.txt --min-score 0.8 --format sarif > hunt.sarif
              vigil hunt access.log                      (Squid)
              vigil hunt fw.csv --map ts=time,src=client,dst=server,bytes=sent
              vigil hunt proxy.jsonl --map ts=@timestamp,src=client_ip,dst_host=host,url=url
              vigil hunt /var/log/zeek/ --report-to https://fleet.example:8443 --token-file ~/.vigil-token --sensor zeek-hq

            --report-to posts the run's network evidence to a fleet server: a contact summary (distinct \
            day/client/name and day/client/server rows with counts, first/last seen and the first log line), the \
            indicator hits, the reported beacons and the DHCP leases of any dhcp.log among the inputs. The normal \
            output and exit status stay as they are; a failed post is an error (exit status 2).
            """
    )

    @Argument(help: "Log files or folders.")
    var paths: [String]

    @Option(name: .customLong("iocs"), help: "Indicator file (plain list, Loki c2/hash files); repeatable.")
    var iocFiles: [String] = []

    @Flag(help: "Do not use the built-in 3CX indicators.")
    var noDefaultIndicators = false

    @OptionGroup var storeOptions: StoreOptions

    @Option(help: "Field mapping for generic CSV / JSON lines, e.g. ts=time,src=client,dst_host=host.")
    var map: String?

    @Option(name: .customLong("internal"), help: "Internal network (CIDR); repeatable. Default: RFC 1918 and fd00::/8.")
    var internalNetworks: [String] = []

    @Option(help: "Allow-list a domain (with subdomains) or CIDR for beacons; repeatable.")
    var allow: [String] = []

    @Flag(help: "Do not use the built-in allowlist of update, time and CDN services.")
    var noDefaultAllowlist = false

    @Option(name: .customLong("known-services"), help: ArgumentHelp(
        "File of well-known update/telemetry/polling services (one 'domain-or-CIDR description' a line, '!domain' removes a built-in entry); repeatable.",
        valueName: "file"))
    var knownServiceFiles: [String] = []

    @Flag(help: "Do not use the built-in list of well-known update, telemetry and polling services.")
    var noDefaultKnownServices = false

    @Option(help: "Report beacons whose Vigil score (RITA's plus the reasons' effects) and RITA's score are at least this (0…1).")
    var minScore: Double = HuntOptions.defaultMinimumBeaconScore

    @Flag(help: "Only match indicators; skip beacon scoring.")
    var noBeacons = false

    @Option(help: "Output format: text, json, jsonl or sarif.")
    var format: OutputFormatArgument = .text

    @Option(help: "Beacons listed in text output.")
    var top: Int = 25

    @OptionGroup(title: "Reporting to a fleet server") var reporting: HuntReportOptions

    func validate() throws {
        guard (0...1).contains(minScore) else { throw ValidationError("--min-score must be between 0 and 1") }
        guard top > 0 else { throw ValidationError("--top must be positive") }
    }

    func run() async throws {
        do {
            let (report, contacts) = try hunt()
            if reporting.enabled {
                let (network, dhcpDiagnostics) = reporting.networkReport(report, contacts: contacts)
                for d in dhcpDiagnostics.prefix(20) { printToStandardError("warning: \(d)") }
                if let c = contacts, c.droppedContacts > 0 || c.withoutClient > 0 || c.rejectedNames > 0 {
                    printToStandardError(
                        "warning: contact summary: \(c.droppedContacts) record(s) past the \(c.maxRows)-row cap, \(c.withoutClient) without a client "
                            + "address or time, \(c.rejectedNames) with an unusable name were not summarised")
                }
                try await reporting.post(network)
            }
            if !report.findings.isEmpty { throw VigilExitCode.findings }
        } catch let code as ExitCode {
            throw code
        } catch {
            // Every failure is exit status 2 (1 means "found something").
            printToStandardError("error: \(error)")
            throw VigilExitCode.error
        }
    }

    /// Runs the hunt and prints its output; returns the report and, with --report-to, the contact summary.
    private func hunt() throws -> (HuntReport, ContactSummary?) {
        // The same loader as 'vigil scan': a damaged store is a diagnostic, a missing --iocs file an error.
        let loaded = try IndicatorLoader.load(
            IndicatorSources(builtIn: !noDefaultIndicators, store: storeOptions.feedStore, files: iocFiles))
        var options = HuntOptions(indicators: loaded.indicators)
        options.setupDiagnostics = loaded.diagnostics
        if let map { options.mapping = try FieldMapping(parsing: map) }
        if !internalNetworks.isEmpty {
            options.internalNetworks = try internalNetworks.map { text in
                guard let n = IPNetwork(text) else { throw ValidationError("--internal: '\(text)' is not an address or CIDR") }
                return n
            }
        }
        var allowlist = noDefaultAllowlist ? Allowlist() : Allowlist.builtIn
        for value in allow where !allowlist.add(.init(value: value, reason: "allow-listed with --allow")) {
            throw ValidationError("--allow: '\(value)' is neither a domain nor a CIDR")
        }
        options.allowlist = allowlist
        var services = noDefaultKnownServices ? KnownServices() : KnownServices.builtIn
        for file in knownServiceFiles {
            let text: String
            if let size = (try? FileManager.default.attributesOfItem(atPath: file))?[.size] as? Int, size > 16 << 20 {
                throw ValidationError("--known-services: '\(file)' is larger than 16 MiB; a service list is a few hundred lines")
            }
            do { text = try String(contentsOfFile: file, encoding: .utf8) } catch { throw ValidationError("--known-services: cannot read '\(file)': \(error.localizedDescription)") }
            for problem in services.apply(file: text, source: file) {
                options.setupDiagnostics.append(Diagnostic(kind: "known-services", path: file, line: problem.line, message: problem.message))
            }
        }
        options.knownServices = services
        options.minimumBeaconScore = minScore
        options.beacons = !noBeacons
        if standardErrorIsTerminal { options.progress = { printToStandardError($0) } }
        if reporting.enabled { options.contactSummary = ContactSummaryOptions(sensor: reporting.sensorName) }

        let engine = HuntEngine(options: options)
        let report = try engine.run(paths: paths)
        let findings = report.findings
        switch format.value {
        case .text:
            print(report.renderText(top: top), terminator: "")
        case .json:
            let document = ReportDocument(
                version: Vigil.configuration.version, command: "hunt", findings: findings,
                diagnostics: report.diagnostics, statistics: report.statistics)
            FileHandle.standardOutput.write(Data(try JSONRenderer.render(document)))
        case .jsonl:
            var writer = JSONLinesWriter()
            for f in findings { writer.append(f) }
            FileHandle.standardOutput.write(Data(writer.bytes))
            printSummary(report, findings: findings.count)
        case .sarif:
            let log = try SARIFRenderer(toolVersion: Vigil.configuration.version).render(findings)
            FileHandle.standardOutput.write(Data(log.utf8))
            printSummary(report, findings: findings.count)
        }
        return (report, engine.contactSummary)
    }

    /// For the machine formats that carry findings only: the counts and problems on standard error.
    private func printSummary(_ report: HuntReport, findings: Int) {
        let read = report.records.filter { $0.value > 0 }.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }
        printToStandardError(
            "Read \(report.files.filter { $0.format != nil }.count) of \(report.files.count) file(s) (\(read.isEmpty ? "no records" : read.joined(separator: ", "))); "
                + "\(findings) finding(s), \(report.suppressedBeacons.count) allow-listed beacon(s) suppressed; \(report.diagnostics.count) problem(s).")
        for d in report.diagnostics.prefix(20) { printToStandardError("warning: \(d)") }
        if report.diagnostics.count > 20 { printToStandardError("warning: \(report.diagnostics.count - 20) more problems (use --format json)") }
    }
}
