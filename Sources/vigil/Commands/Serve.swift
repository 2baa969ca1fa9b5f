import ArgumentParser
import Foundation
import VigilConsole
import VigilFleetServer
import VigilFleetStore

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

    func run() async throws {
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
        try await server.run(listenOptions, mount: console.mount(on:)) { url in
            printToStandardError("vigil serve: listening on \(url)")
        }
        try await store.close()
    }
}
