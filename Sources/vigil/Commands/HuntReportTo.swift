import ArgumentParser
import Foundation
import VigilCore
import VigilFleetClient
import VigilFleetProtocol
import VigilHunt

/// `vigil hunt --report-to`: where and as whom the hunt posts its network evidence.
struct HuntReportOptions: ParsableArguments {
    @Option(name: .customLong("report-to"), help: ArgumentHelp(
        "Post the contact summary, indicator hits, beacons and DHCP leases to this fleet server ('vigil serve').", valueName: "url"))
    var reportTo: String?

    @Option(help: ArgumentHelp("API token of an analyst or admin for --report-to (default: $VIGIL_FLEET_TOKEN).", valueName: "token"))
    var token: String?

    @Option(help: ArgumentHelp("File holding the API token for --report-to.", valueName: "file"))
    var tokenFile: String?

    @Option(help: ArgumentHelp("Sensor name for --report-to: the log source the logs come from (default: this machine's host name).", valueName: "name"))
    var sensor: String?

    @Option(help: ArgumentHelp("PEM file of the CA that signed the fleet server's certificate; the only CA trusted.", valueName: "file"))
    var caFile: String?

    @Flag(help: "Allow plain http:// to a fleet server that is not on loopback.")
    var allowInsecureHttp = false

    var enabled: Bool { reportTo != nil }

    var sensorName: String {
        let name = sensor ?? ProcessInfo.processInfo.hostName
        return name.isEmpty ? "unknown-sensor" : name
    }

    func validate() throws {
        guard let reportTo else {
            if token != nil || tokenFile != nil || sensor != nil || caFile != nil || allowInsecureHttp {
                throw ValidationError("--token, --token-file, --sensor, --ca-file and --allow-insecure-http go with --report-to URL")
            }
            return
        }
        if token != nil && tokenFile != nil { throw ValidationError("give --token or --token-file, not both") }
        if let sensor, sensor.isEmpty || sensor.utf8.count > 256 { throw ValidationError("--sensor must be 1 to 256 bytes") }
        do {
            try FleetServerEndpoint(baseURL: reportTo, caFile: caFile, allowInsecureHTTP: allowInsecureHttp).validate()
        } catch {
            throw ValidationError("--report-to: \(error)")
        }
    }

    /// The client for the server, with the token from --token, --token-file or the environment.
    func client() throws -> FleetClient {
        var value = token
        if let tokenFile {
            guard let data = FileManager.default.contents(atPath: tokenFile), data.count < 4096 else {
                throw ValidationError("cannot read token file \(tokenFile)")
            }
            value = String(decoding: data, as: UTF8.self)
        }
        value = (value ?? ProcessInfo.processInfo.environment["VIGIL_FLEET_TOKEN"])?.trimmingCharacters(in: .whitespacesAndNewlines)
        guard let value, !value.isEmpty else { throw ValidationError("--report-to needs --token, --token-file or $VIGIL_FLEET_TOKEN") }
        return try FleetClient(endpoint: FleetServerEndpoint(baseURL: reportTo ?? "", caFile: caFile, allowInsecureHTTP: allowInsecureHttp), token: value)
    }

    /// The hunt's network evidence as one report with a random id. DHCP leases come from the
    /// `dhcp*.log` files among the inputs (Zeek TSV or JSON, gzip allowed). Text fields are brought
    /// within the server's byte limits (``NetworkReport/fittedToLimits()``); a diagnostic says how
    /// many were shortened.
    func networkReport(_ report: HuntReport, contacts: ContactSummary?) -> (NetworkReport, [Diagnostic]) {
        let dhcpFiles = report.files.filter { file in
            let base = (file.path as NSString).lastPathComponent.lowercased()
            return base.hasPrefix("dhcp") || (file.format?.contains(" dhcp log") ?? false)
        }.map(\.path)
        let dhcp = DHCPLogReader().read(paths: dhcpFiles)
        let network = NetworkReport(
            sensor: sensorName, reportID: UUID().uuidString.lowercased(), generatedAt: Date(),
            contacts: contacts ?? ContactSummary(sensor: sensorName, maxRows: 0), hits: report.hits, beacons: report.beacons,
            leases: dhcp.leases)
        let (fitted, shortened) = network.fittedToLimits()
        var diagnostics = dhcp.diagnostics
        if shortened > 0 {
            diagnostics.insert(Diagnostic(
                kind: "report-field-shortened", path: "--report-to",
                message: "\(shortened) field(s) (addresses, host names, observed values, file names) fitted to the server's limits: control characters written \\xNN, values over the byte limits cut at a character boundary"), at: 0)
        }
        return (fitted, diagnostics)
    }

    /// Posts the report (retrying 503/429 with backoff); one line on standard error says what the server kept.
    func post(_ report: NetworkReport) async throws {
        let client = try client()
        do {
            let ack = try await client.sendNetworkReport(report)
            await client.shutdown()
            printToStandardError(
                "Reported to \(reportTo ?? ""): report \(ack.reportID)\(ack.duplicate ? " (already received)" : ""), sensor \(report.sensor): "
                    + "\(ack.contactRows) contact row(s), \(ack.evidence) new hit/beacon evidence item(s), \(ack.leases) new DHCP lease(s), "
                    + "\(ack.verdictChanges) verdict change(s).")
        } catch {
            await client.shutdown()
            throw ValidationError("--report-to \(reportTo ?? ""): \(error)")
        }
    }
}
