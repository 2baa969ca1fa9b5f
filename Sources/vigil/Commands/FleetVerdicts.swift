import ArgumentParser
import Foundation
import VigilCore
import VigilFleetClient
import VigilFleetProtocol
import VigilOutput
import VigilVerdicts

/// The exit rule of the verdict commands: 1 when a listed host needs attention.
enum VerdictExit {
    /// States that make the command exit 1: files with activity or unknown activity, files without
    /// activity, contact without files. `clean` and `exposed` exit 0.
    static let attention: Set<VerdictState> = [.active, .dormant, .unknownActivity, .contactOnly]

    static func check(_ states: [VerdictState]) throws {
        if states.contains(where: attention.contains) { throw VigilExitCode.findings }
    }
}

let verdictExitHelp = """
    Exit status: 0 when every listed host is clean or exposed (an affected version, no bad file, no \
    contact); 1 when any is active, dormant, unknown-activity or contact-only; 2 on error.
    """

struct FleetVerdicts: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verdicts",
        abstract: "Every host's verdict: active, dormant, unknown-activity, contact-only, exposed or clean.",
        discussion: verdictExitHelp + """


            Formats: text (a table), json, jsonl (one verdict per line, with reasons, evidence and \
            coverage), csv (one row per host, with a header), sarif (SARIF 2.1.0, one result per host \
            that is not clean).

            Examples:
              vigil fleet verdicts
              vigil fleet verdicts --state active --format csv > active.csv
              vigil fleet verdicts --format sarif > verdicts.sarif
            """)
    @OptionGroup var connection: FleetConnectionOptions
    @Option(help: ArgumentHelp("Only hosts in this state: \(VerdictState.allCases.map(\.rawValue).joined(separator: ", ")).", valueName: "state"))
    var state: String?

    func run() async throws {
        var wanted: VerdictState?
        if let state {
            guard let s = VerdictState(rawValue: state.lowercased()) else {
                throw ValidationError("--state must be one of \(VerdictState.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            wanted = s
        }
        let records = try await withFleetClient(connection) { try await $0.verdicts(state: wanted) }
        let out: String
        switch connection.format {
        case .json: out = try VerdictRendering.json(records)
        case .jsonl: out = try records.map { try VerdictRendering.jsonLine($0) }.joined()
        case .csv: out = VerdictRendering.csv(records)
        case .sarif: out = try VerdictRendering.sarif(records, version: Vigil.configuration.version)
        case .text: out = VerdictRendering.table(records)
        }
        FileHandle.standardOutput.write(Data(out.utf8))
        try VerdictExit.check(records.map(\.verdict.state))
    }
}

struct FleetHost: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "host",
        abstract: "One host's verdict with its reasons and evidence, coverage, missing periods, timeline and verdict history.",
        discussion: verdictExitHelp + """


            NAME is the host name, the host identifier or the host id. Formats: text (for people), json \
            and jsonl (the whole detail), csv (one row per reason and per timeline event), sarif (one \
            result unless the host is clean).

            Examples:
              vigil fleet host pc-17.corp
              vigil fleet host 12 --format json
            """)
    @OptionGroup var connection: FleetConnectionOptions
    @Argument(help: "Host name, host identifier or host id.")
    var name: String

    func run() async throws {
        let detail = try await withFleetClient(connection) { try await $0.hostVerdict(name) }
        let out: String
        switch connection.format {
        case .json: out = try VerdictRendering.json(detail)
        case .jsonl: out = try VerdictRendering.jsonLine(detail)
        case .csv: out = VerdictRendering.csv(detail)
        case .sarif: out = try VerdictRendering.sarif([detail.current], version: Vigil.configuration.version)
        case .text: out = VerdictRendering.text(detail)
        }
        FileHandle.standardOutput.write(Data(out.utf8))
        try VerdictExit.check([detail.current.verdict.state])
    }
}

/// Text, JSON, CSV and SARIF renderings of verdicts.
enum VerdictRendering {
    static func iso(_ date: Date) -> String { ISO8601DateFormatter().string(from: date) }
    static func iso(_ seconds: Double) -> String { VerdictTime.iso(seconds) }

    static func json(_ value: some Encodable) throws -> String {
        let e = fleetOutputEncoder()
        e.outputFormatting.insert(.prettyPrinted)
        return String(decoding: try e.encode(value), as: UTF8.self) + "\n"
    }

    static func jsonLine(_ value: some Encodable) throws -> String {
        String(decoding: try fleetOutputEncoder().encode(value), as: UTF8.self) + "\n"
    }

    /// RFC 4180: fields with a comma, quote or line break are quoted, quotes doubled; CRLF line ends.
    static func csvField(_ s: String) -> String {
        guard s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return s }
        return "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    static func csvLines(_ rows: [[String]]) -> String {
        rows.map { $0.map(csvField).joined(separator: ",") }.joined(separator: "\r\n") + "\r\n"
    }

    static func coverageText(_ w: CoverageWindow) -> String {
        "\(w.sensor) \(iso(w.period.start)) – \(iso(w.period.end)) (first at \(w.firstEvidence))"
    }

    static func periodText(_ p: Period) -> String { "\(iso(p.start)) – \(iso(p.end))" }

    static let csvColumns = ["host_id", "hostname", "state", "since", "computed_at", "reasons", "evidence", "coverage", "missing_coverage"]

    static func csvRow(_ r: HostVerdictRecord) -> [String] {
        let v = r.verdict
        return [
            String(r.hostID), r.hostname, v.state.rawValue, iso(r.since), iso(r.computedAt),
            v.reasons.map { "\($0.code): \($0.text)" }.joined(separator: "\n"),
            v.reasons.flatMap(\.evidence).joined(separator: "\n"),
            v.coverage.map(coverageText).joined(separator: "\n"),
            v.missingCoverage.map(periodText).joined(separator: "\n"),
        ]
    }

    static func csv(_ records: [HostVerdictRecord]) -> String {
        csvLines([csvColumns] + records.map(csvRow))
    }

    /// One row per reason and per timeline event.
    static func csv(_ detail: HostVerdictDetail) -> String {
        let r = detail.current
        var rows = [["hostname", "state", "kind", "time", "code", "text", "evidence"]]
        for reason in r.verdict.reasons {
            rows.append([r.hostname, r.verdict.state.rawValue, "reason", "", reason.code, reason.text, reason.evidence.joined(separator: "\n")])
        }
        for e in detail.timeline {
            rows.append([r.hostname, r.verdict.state.rawValue, "timeline", iso(e.time), e.kind, e.text, e.evidence.joined(separator: "\n")])
        }
        return csvLines(rows)
    }

    static func table(_ records: [HostVerdictRecord]) -> String {
        guard !records.isEmpty else { return "No verdicts.\n" }
        let columns = ["HOST", "STATE", "SINCE", "REASONS", "SENSORS"]
        let rows = records.map { r -> [String] in
            let codes = r.verdict.reasons.map(\.code)
            var seen = Set<String>()
            let sensors = r.verdict.coverage.map(\.sensor).filter { seen.insert($0).inserted }
            return [r.hostname, r.verdict.state.rawValue, iso(r.since), codes.joined(separator: ", "), sensors.isEmpty ? "-" : sensors.joined(separator: ", ")]
        }
        var widths = columns.map(\.count)
        for row in rows { for (i, c) in row.enumerated() { widths[i] = min(60, max(widths[i], c.count)) } }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { i, c in
                let cell = c.count > 60 && i < cells.count - 1 ? String(c.prefix(57)) + "..." : c
                return i == cells.count - 1 ? cell : cell.padding(toLength: widths[i], withPad: " ", startingAt: 0)
            }.joined(separator: "  ")
        }
        var counts: [VerdictState: Int] = [:]
        for r in records { counts[r.verdict.state, default: 0] += 1 }
        let summary = VerdictState.allCases.compactMap { s in counts[s].map { "\($0) \(s.rawValue)" } }.joined(separator: ", ")
        return ([line(columns)] + rows.map(line)).joined(separator: "\n") + "\n\n\(records.count) host(s): \(summary)\n"
    }

    /// The detail for people: state, since, reasons with their evidence, coverage, missing periods,
    /// timeline and history.
    static func text(_ d: HostVerdictDetail) -> String {
        let r = d.current
        let v = r.verdict
        var out = "\(r.hostname) (host \(r.hostID)): \(v.state.rawValue.uppercased()) since \(iso(r.since)), computed \(iso(r.computedAt))\n"
        out += "\nReasons:\n"
        for reason in v.reasons {
            out += "  - [\(reason.code)] \(reason.text)\n"
            for e in reason.evidence { out += "      evidence: \(e)\n" }
        }
        out += "\nCoverage:\n"
        if v.coverage.isEmpty { out += "  no sensor has seen this host\n" }
        for w in v.coverage { out += "  \(w.sensor): \(periodText(w.period)), \(w.rows) row(s), first at \(w.firstEvidence)\n" }
        if let required = v.requiredCoverage {
            out += "  required: \(periodText(required))\n"
            if v.missingCoverage.isEmpty {
                out += "  missing: none\n"
            } else {
                for m in v.missingCoverage { out += "  missing: \(periodText(m))\n" }
            }
        }
        out += "\nTimeline:\n"
        if d.timeline.isEmpty { out += "  (no events)\n" }
        for e in d.timeline {
            out += "  \(iso(e.time))  \(e.kind.padding(toLength: 16, withPad: " ", startingAt: 0))  \(e.text)\n"
            for ev in e.evidence.prefix(5) { out += "      \(ev)\n" }
            if e.evidence.count > 5 { out += "      … and \(e.evidence.count - 5) more\n" }
        }
        return out
    }

    static func severity(_ state: VerdictState) -> Severity {
        switch state {
        case .active: .critical
        case .contactOnly, .unknownActivity: .high
        case .dormant: .medium
        case .exposed: .low
        case .clean: .info
        }
    }

    /// One SARIF result per host that is not clean, rendered by VigilOutput's SARIF writer: the rule
    /// is `verdict.<state>`, the location the host name, the reasons and evidence the message.
    static func sarif(_ records: [HostVerdictRecord], version: String) throws -> String {
        let findings = records.filter { $0.verdict.state != .clean }.map { r -> Finding in
            let v = r.verdict
            let explanation = v.reasons.map { reason in
                "[\(reason.code)] \(reason.text)" + (reason.evidence.isEmpty ? "" : " Evidence: " + reason.evidence.joined(separator: "; "))
            }.joined(separator: " ")
            var attack: [String] = []
            if v.reasons.contains(where: { $0.code == "compromised-file" }) { attack.append("T1195.002") }
            if v.state == .active || v.state == .contactOnly { attack.append("T1071") }
            var evidence: [String: EvidenceValue] = [
                "host": .string(r.hostname), "host_id": .int(Int(r.hostID)), "state": .string(v.state.rawValue), "since": .string(iso(r.since)),
                "reasons": .strings(v.reasons.map(\.code)),
            ]
            let files = v.evidence.filter { $0.kind == "file" }.map { "\($0.path) (sha256 \($0.sha256 ?? "unknown"))" }
            if !files.isEmpty { evidence["files"] = .strings(files) }
            let logs = v.evidence.filter { $0.kind == "log" }.map { "\($0.path):\($0.line ?? 0)" }
            if !logs.isEmpty { evidence["logs"] = .strings(logs) }
            return Finding(
                check: "verdict.\(v.state.rawValue)", title: "Host \(r.hostname) is \(v.state.rawValue)", severity: severity(v.state),
                path: r.hostname, explanation: explanation, attack: attack, source: "vigil fleet verdicts", evidence: evidence)
        }
        return try SARIFRenderer(toolVersion: version).render(findings)
    }
}
