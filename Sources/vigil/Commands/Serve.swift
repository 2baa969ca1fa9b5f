import ArgumentParser
import Foundation
import VigilConsole
import VigilFleetProtocol
import VigilFleetServer
import VigilFleetStore
import VigilLogFollower

/// Where `vigil serve` and its admin subcommands keep the fleet's data.
struct ServerStoreOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("Folder of the embedded SQLite database (default: $XDG_DATA_HOME/vigil/server or ~/.local/share/vigil/server).", valueName: "DIR"))
    var dataDir: String?

    @Option(name: .long, help: ArgumentHelp("A PostgreSQL database instead of SQLite: postgres://USER[:PASSWORD]@HOST[:PORT]/DB. The password may come from $PGPASSWORD.", valueName: "URL"))
    var database: String?

    /// The data directory in use.
    var dataDirectory: URL {
        if let dataDir { return URL(fileURLWithPath: dataDir) }
        let env = ProcessInfo.processInfo.environment
        if let xdg = env["XDG_DATA_HOME"], !xdg.isEmpty { return URL(fileURLWithPath: xdg).appendingPathComponent("vigil/server") }
        return FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".local/share/vigil/server")
    }

    /// Opens the store and brings its schema up to date.
    func open() async throws -> any FleetStore {
        let store = try await openFleetStore(databaseURL: database, dataDirectory: dataDirectory)
        try await store.migrate()
        return store
    }
}

/// `vigil serve`: the fleet server and its administration.
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the fleet server, or administer its enrolment secrets, users, API tokens and host keys.",
        discussion: """
            The server keeps every enrolled host's file inventory, matches each batch on arrival against its \
            indicators, and retro-hunts every feed added later across all stored inventories (online or not). \
            See docs/fleet.md and docs/fleet-openapi.yaml.

            Examples:
              vigil serve --tls-cert server.pem --tls-key server.key --listen 0.0.0.0:8443
              vigil serve --logs /opt/zeek/logs --sensor zeek-hq      # read a Zeek log folder as it grows
              vigil serve --logs /opt/zeek/logs=zeek-hq --logs /var/log/suricata=ids-dmz --logs-poll 10
              vigil serve secret create --name laptops
              vigil serve user add alice --role analyst --password-stdin < alice.pass
              vigil serve token create --user alice
              vigil serve host revoke 12
            """,
        subcommands: [ServeRun.self, ServeSecret.self, ServeUser.self, ServeToken.self, ServeHost.self],
        defaultSubcommand: ServeRun.self
    )
}

/// `vigil serve [run]`: the HTTP server.
struct ServeRun: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "run", abstract: "Run the fleet server (the default).")

    @OptionGroup var storeOptions: ServerStoreOptions

    @Option(name: .long, help: ArgumentHelp("Address and port to listen on; port 0 picks a free one.", valueName: "HOST:PORT"))
    var listen = "127.0.0.1:8443"

    @Option(name: .long, help: ArgumentHelp("PEM certificate chain for TLS.", valueName: "FILE"))
    var tlsCert: String?

    @Option(name: .long, help: ArgumentHelp("PEM private key for TLS.", valueName: "FILE"))
    var tlsKey: String?

    @Flag(name: .long, help: "Serve plain HTTP on a non-loopback address (keys and tokens then cross the network in clear).")
    var allowInsecureHttp = false

    @Flag(name: .long, help: "Do not match with the built-in 3CX indicators and rules; only with stored feeds.")
    var noDefaultIndicators = false

    @Option(name: .long, help: ArgumentHelp("A folder of network logs for the server to read itself (Zeek, Suricata EVE, Squid; live, rotated and .gz), followed as it grows; DIR=SENSOR names its sensor. Repeatable.", valueName: "DIR[=SENSOR]"))
    var logs: [String] = []

    @Option(name: .long, help: ArgumentHelp("The sensor name of a --logs folder given without =SENSOR, in the order of the --logs options (default: the folder's name).", valueName: "NAME"))
    var sensor: [String] = []

    @Option(name: .long, help: ArgumentHelp("Seconds between looks at the --logs folders.", valueName: "SECONDS"))
    var logsPoll: Double = 5

    @Option(name: .long, help: ArgumentHelp("Most lines of one log file per network report (bounds memory on a huge log).", valueName: "N"))
    var logsMaxLines = 200_000

    /// The `--logs` folders with their sensor names.
    func logFolders() throws -> [LogFollowerConfiguration] {
        guard logsPoll >= 0.1, logsPoll <= 3600 else { throw ValidationError("--logs-poll must be between 0.1 and 3600 seconds") }
        guard logsMaxLines >= 1, logsMaxLines <= 50_000_000 else { throw ValidationError("--logs-max-lines must be between 1 and 50000000") }
        var unnamed = sensor.makeIterator()
        var out: [LogFollowerConfiguration] = []
        for spec in logs {
            var folder = spec
            var name: String?
            if !FileManager.default.fileExists(atPath: spec), let eq = spec.lastIndex(of: "=") {
                folder = String(spec[..<eq])
                name = String(spec[spec.index(after: eq)...])
            }
            if name == nil { name = unnamed.next() }
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: folder, isDirectory: &isDirectory), isDirectory.boolValue else {
                throw ValidationError("--logs \(spec): no such folder")
            }
            if let name { guard (1...200).contains(name.utf8.count) else { throw ValidationError("--logs \(spec): the sensor name must be 1 to 200 bytes") } }
            var c = LogFollowerConfiguration(directory: folder, sensor: name)
            c.pollInterval = .milliseconds(Int64(logsPoll * 1000))
            c.maxLinesPerReport = logsMaxLines
            out.append(c)
        }
        if unnamed.next() != nil { throw ValidationError("more --sensor names than --logs folders without =SENSOR") }
        guard Set(out.map(\.source)).count == out.count else { throw ValidationError("a --logs folder is given twice") }
        return out
    }

    func run() async throws {
        let folders = try logFolders()
        let listenOptions: FleetListenOptions
        do {
            listenOptions = try FleetListenOptions(listen: listen, tlsCertificatePath: tlsCert, tlsKeyPath: tlsKey, allowInsecureHTTP: allowInsecureHttp)
        } catch let error as FleetListenError {
            throw ValidationError(error.description)
        }
        let store = try await storeOptions.open()
        var configuration = FleetServerConfiguration()
        configuration.includeDefaultIndicators = !noDefaultIndicators
        let server = FleetServer(store: store, configuration: configuration)
        var consoleConfiguration = ConsoleConfiguration()
        consoleConfiguration.secureCookies = listenOptions.usesTLS
        let console = try Console(server: server, configuration: consoleConfiguration)
        let followers = folders.map { folder in
            LogFollower(
                configuration: folder, cursors: { try await store.logCursors(source: $0) },
                // The code path of `POST /api/v1/network-reports`: checked, stored with its cursor, announced.
                deliver: { report in _ = try await server.applyNetworkReport(report) },
                indicators: { try await server.indicators.current().indicators },
                onDiagnostic: { d in
                    printToStandardError("vigil serve: logs \(d.path)\(d.line.map { ":\($0)" } ?? ""): \(d.kind): \(d.message)")
                })
        }
        let tasks = followers.map { follower in Task { await follower.run() } }
        for f in folders { printToStandardError("vigil serve: following \(f.directory) as sensor \(f.sensor)") }
        do {
            try await server.run(listenOptions, mount: console.mount(on:)) { url in
                printToStandardError("vigil serve: listening on \(url)")
            }
        } catch {
            tasks.forEach { $0.cancel() }
            throw error
        }
        tasks.forEach { $0.cancel() }
        for t in tasks { await t.value }
        try await store.close()
    }
}
