import ArgumentParser
import Foundation
import VigilCore
import VigilFleetClient
import VigilFleetStore

/// `vigil fleet`: ask a fleet server about hosts, files and findings, and add feeds.
struct FleetCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fleet",
        abstract: "Query a fleet server ('vigil serve'): hosts, who has a file, findings, verdicts; add indicator feeds.",
        discussion: """
            Authenticates with a user API token from --token-file or $VIGIL_FLEET_TOKEN; the server URL \
            comes from --server or $VIGIL_FLEET_SERVER, and --ca-file pins the CA of the server's \
            certificate.

            Exit status: 0 done (nothing found, for find and findings; every host clean or exposed, for \
            verdicts and host), 1 something found (a host active, dormant, unknown-activity or \
            contact-only, for verdicts and host), 2 error.

            Examples:
              vigil fleet hosts --server https://fleet.example:8443 --token-file ~/.vigil-token
              vigil fleet find 92005051ae314d61074ed94a52e76b1c3e21e7f0e8c1d1fdd497a006ce45fa61
              vigil fleet find ffmpeg.dll --format csv
              vigil fleet findings --host build-01 --format jsonl
              vigil fleet feed add volexity-3cx.csv --name volexity-3cx
              vigil fleet verdicts --state active
              vigil fleet host pc-17.corp --format sarif
            """,
        subcommands: [FleetHosts.self, FleetFind.self, FleetFindings.self, FleetFeed.self, FleetVerdicts.self, FleetHost.self]
    )
}

enum TableFormat: String, ExpressibleByArgument, CaseIterable {
    /// `sarif` is for `verdicts` and `host` only.
    case text, json, jsonl, csv, sarif
}

struct FleetConnectionOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Server URL (default: $VIGIL_FLEET_SERVER).", valueName: "url"))
    var server: String?

    @Option(help: ArgumentHelp("File holding the API token (without it, the token itself is read from $VIGIL_FLEET_TOKEN).", valueName: "file"))
    var tokenFile: String?

    @Option(help: ArgumentHelp("PEM file of the CA that signed the server's certificate; the only CA trusted.", valueName: "file"))
    var caFile: String?

    @Flag(help: "Allow plain http:// to a server that is not on loopback.")
    var allowInsecureHttp = false

    @Option(help: "Output format: text, json, jsonl or csv; sarif too for verdicts and host.")
    var format: TableFormat = .text

    func client() throws -> FleetClient {
        let environment = ProcessInfo.processInfo.environment
        guard let url = server ?? environment["VIGIL_FLEET_SERVER"] else { throw ValidationError("give --server URL or set VIGIL_FLEET_SERVER") }
        var token: String?
        if let tokenFile {
            guard let data = FileManager.default.contents(atPath: tokenFile), data.count < 4096 else {
                throw ValidationError("cannot read token file \(tokenFile)")
            }
            token = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        } else {
            token = environment["VIGIL_FLEET_TOKEN"]?.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        guard let token, !token.isEmpty else { throw ValidationError("give --token-file FILE or set VIGIL_FLEET_TOKEN") }
        do {
            return try FleetClient(endpoint: FleetServerEndpoint(baseURL: url, caFile: caFile, allowInsecureHTTP: allowInsecureHttp), token: token)
        } catch {
            throw ValidationError("\(error)")
        }
    }
}

/// Runs one client call, turning client errors into exit status 2 with the server's message.
func withFleetClient<T>(_ options: FleetConnectionOptions, _ body: (FleetClient) async throws -> T) async throws -> T {
    let client = try options.client()
    do {
        let value = try await body(client)
        await client.shutdown()
        return value
    } catch let error as FleetClientError {
        await client.shutdown()
        throw ValidationError("fleet server: \(error)")
    }
}

/// Writes rows as a text table, JSON array, JSON lines or CSV (RFC 4180 quoting).
struct RowPrinter {
    var format: TableFormat
    var columns: [String]

    func emit<T: Encodable>(_ items: [T], rows: [[String]]) throws {
        var out = ""
        switch format {
        case .sarif:
            throw ValidationError("--format sarif is for 'vigil fleet verdicts' and 'vigil fleet host'; use text, json, jsonl or csv here")
        case .json:
            let e = fleetOutputEncoder()
            e.outputFormatting.insert(.prettyPrinted)
            out = String(decoding: try e.encode(items), as: UTF8.self) + "\n"
        case .jsonl:
            let e = fleetOutputEncoder()
            for item in items { out += String(decoding: try e.encode(item), as: UTF8.self) + "\n" }
        case .csv:
            out = ([columns] + rows).map { $0.map(csvField).joined(separator: ",") }.joined(separator: "\r\n") + "\r\n"
        case .text:
            var widths = columns.map(\.count)
            for r in rows { for (i, c) in r.enumerated() where i < widths.count { widths[i] = min(80, max(widths[i], c.count)) } }
            func line(_ cells: [String]) -> String {
                cells.enumerated().map { i, c in
                    let cell = c.count > 80 ? String(c.prefix(77)) + "..." : c
                    return i == cells.count - 1 ? cell : cell.padding(toLength: widths[i], withPad: " ", startingAt: 0)
                }.joined(separator: "  ")
            }
            out = ([line(columns)] + rows.map(line)).joined(separator: "\n") + "\n"
        }
        FileHandle.standardOutput.write(Data(out.utf8))
    }

    private func csvField(_ s: String) -> String {
        guard s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return s }
        return "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}

func fleetOutputEncoder() -> JSONEncoder {
    let e = JSONEncoder()
    e.dateEncodingStrategy = .iso8601
    e.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    return e
}

private func iso(_ date: Date?) -> String {
    date.map { ISO8601DateFormatter().string(from: $0) } ?? ""
}

struct FleetHosts: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "hosts", abstract: "List enrolled hosts.")
    @OptionGroup var connection: FleetConnectionOptions

    func run() async throws {
        let hosts = try await withFleetClient(connection) { try await $0.hosts() }
        try RowPrinter(format: connection.format, columns: ["id", "hostname", "os", "agent", "last_contact", "revoked", "addresses"]).emit(
            hosts,
            rows: hosts.map {
                [String($0.id), $0.hostname, "\($0.os) \($0.osVersion)", $0.agentVersion, iso($0.lastContact), $0.keyRevoked ? "yes" : "no",
                 $0.addresses.map(\.address).joined(separator: " ")]
            })
    }
}

struct FleetFind: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "find", abstract: "Which hosts hold a file, by SHA-256 or by file name (exit 1 when any does).")
    @OptionGroup var connection: FleetConnectionOptions
    @Argument(help: "A SHA-256 (64 hex digits) or a file name.")
    var term: String

    func run() async throws {
        let hits = try await withFleetClient(connection) { try await $0.find(term) }
        try RowPrinter(format: connection.format, columns: ["host", "path", "sha256", "size", "signer", "version", "last_seen"]).emit(
            hits,
            rows: hits.map {
                [$0.hostname, $0.file.path, $0.file.sha256, String($0.file.size), $0.file.signer ?? "", $0.file.version ?? "", iso($0.lastSeen)]
            })
        if !hits.isEmpty { throw VigilExitCode.findings }
    }
}

struct FleetFindings: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "findings", abstract: "Findings recorded for the fleet or one host (exit 1 when any).")
    @OptionGroup var connection: FleetConnectionOptions
    @Option(help: ArgumentHelp("Only this host (name or id).", valueName: "host"))
    var host: String?

    func run() async throws {
        let findings = try await withFleetClient(connection) { client in
            guard let host else { return try await client.findings() }
            if let id = Int64(host) { return try await client.findings(hostID: id) }
            // A name: resolve it to the host's id (exact name first, case-insensitive).
            let hosts = try await client.hosts()
            guard let match = hosts.first(where: { $0.hostname == host }) ?? hosts.first(where: { $0.hostname.lowercased() == host.lowercased() }) else {
                throw ValidationError("no host named \(host)")
            }
            return try await client.findings(hostID: match.id)
        }
        try RowPrinter(format: connection.format, columns: ["host", "severity", "check", "path", "title", "first_seen", "last_seen"]).emit(
            findings,
            rows: findings.map {
                [$0.hostname, $0.finding.severity.rawValue, $0.finding.check, $0.finding.path, $0.finding.title, iso($0.firstSeen), iso($0.lastSeen)]
            })
        if !findings.isEmpty { throw VigilExitCode.findings }
    }
}

struct FleetFeed: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "feed", abstract: "Indicator feeds at the server.", subcommands: [FleetFeedAdd.self])
}

struct FleetFeedAdd: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "add",
        abstract: "Upload a feed file; the server stores it and retro-hunts it over every host's inventory.")
    @OptionGroup var connection: FleetConnectionOptions
    @Argument(help: "The feed file (any format 'vigil feed add' reads).")
    var file: String
    @Option(help: "Feed name (default: the file name without extension).")
    var name: String?
    @Option(name: .customLong("feed-format"), help: "Feed format, when the server cannot tell from the contents.")
    var feedFormat: String?

    /// The parts of the server's answer shown as text.
    struct Answer: Decodable {
        var feed: FeedRecord?
        var newIndicators: Int?
    }

    func run() async throws {
        guard let data = FileManager.default.contents(atPath: file) else { throw ValidationError("cannot read \(file)") }
        let fileName = (file as NSString).lastPathComponent
        // Feed names are 1 to 64 of A-Z a-z 0-9 . _ - at the server.
        let derived = String((fileName as NSString).deletingPathExtension.map { $0.isASCII && ($0.isLetter || $0.isNumber || "._-".contains($0)) ? $0 : "-" }.prefix(64))
        let feedName = name ?? (derived.isEmpty ? "feed" : derived)
        let answer = try await withFleetClient(connection) {
            try await $0.addFeed(contents: Array(data), name: feedName, format: feedFormat, fileName: fileName)
        }
        switch connection.format {
        case .json, .jsonl:
            FileHandle.standardOutput.write(answer + Data("\n".utf8))
        case .text, .csv, .sarif:
            let d = JSONDecoder()
            d.dateDecodingStrategy = .iso8601
            let parsed = try? d.decode(Answer.self, from: answer)
            if let feed = parsed?.feed {
                print("Feed \(feed.name) stored: \(feed.indicatorCount) indicators (\(parsed?.newIndicators ?? 0) new); retro-hunt done.")
            } else {
                FileHandle.standardOutput.write(answer + Data("\n".utf8))
            }
        }
    }
}
