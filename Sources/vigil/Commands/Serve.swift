import ArgumentParser
import Foundation
import VigilConsole
import VigilFleetServer
import VigilFleetStore
import VigilNotify
import VigilVerdicts

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
              vigil serve --address-map addresses.txt --webhook https://siem.example/hook --webhook-secret-file hook.key
              vigil serve --syslog tcp://siem.example:6514 --syslog-format cef
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
    static let configuration = CommandConfiguration(
        commandName: "run", abstract: "Run the fleet server (the default).",
        discussion: """
            Verdicts (docs/verdicts.md) are recomputed on start and whenever evidence arrives; each \
            change of a host's verdict is pushed to --webhook (POST, JSON, signed with HMAC-SHA256 in \
            X-Vigil-Signature when --webhook-secret-file is given) and --syslog (RFC 5424; UDP, or TCP \
            with octet counting; the change as JSON or as CEF). Delivery is retried with exponential \
            backoff; a full queue drops changes and says so in the log.

            Examples:
              vigil serve --address-map addresses.txt
              vigil serve --webhook https://siem.example/vigil --webhook-secret-file /etc/vigil/hook.key
              vigil serve --syslog udp://10.0.0.5:514 --syslog-format json
              vigil serve --syslog tcp://siem.example:6514 --syslog-format cef
            """)

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

    @Option(name: .long, help: ArgumentHelp("Static address-to-host mapping for verdicts (format in docs/verdicts.md); bad lines are reported with file and line and skipped.", valueName: "FILE"))
    var addressMap: String?

    @Option(name: .long, help: ArgumentHelp("POST every verdict change as JSON to this http(s) URL.", valueName: "URL"))
    var webhook: String?

    @Option(name: .long, help: ArgumentHelp("Sign webhook bodies with HMAC-SHA256 under the key in this file (X-Vigil-Signature: sha256=<hex>).", valueName: "FILE"))
    var webhookSecretFile: String?

    @Option(name: .long, help: ArgumentHelp("Send every verdict change to a syslog collector: udp://HOST:PORT or tcp://HOST:PORT.", valueName: "TARGET"))
    var syslog: String?

    @Option(name: .long, help: ArgumentHelp("Syslog message body: json or cef.", valueName: "FORMAT"))
    var syslogFormat = "json"

    /// The verdict options and notifiers the flags ask for.
    func verdictSetup() async throws -> (VerdictServiceOptions, [any VerdictNotifier]) {
        var options = VerdictServiceOptions()
        if let addressMap {
            guard let data = FileManager.default.contents(atPath: addressMap) else { throw ValidationError("cannot read the address map \(addressMap)") }
            guard let text = String(validating: data, as: UTF8.self) else { throw ValidationError("the address map \(addressMap) is not UTF-8 text") }
            options.mapping = MappingFile(text: text, path: addressMap)
            for d in options.mapping.diagnostics { printToStandardError("vigil serve: \(d.path):\(d.line ?? 0): \(d.message)") }
            printToStandardError(
                "vigil serve: address map \(addressMap): \(options.mapping.entries.count) entries, \(options.mapping.diagnostics.count) line(s) skipped")
        }
        var notifiers: [any VerdictNotifier] = []
        if webhookSecretFile != nil && webhook == nil { throw ValidationError("--webhook-secret-file needs --webhook") }
        guard let payload = SyslogPayload(rawValue: syslogFormat.lowercased()) else { throw ValidationError("--syslog-format must be json or cef") }
        do {
            // Everything that can fail first: the webhook's HTTP client must be shut down once created.
            let target = try syslog.map { try SyslogTarget($0) }
            let secret = try webhookSecretFile.map { try WebhookNotifier.readSecret(path: $0) }
            if let target { notifiers.append(SyslogNotifier(target: target, payload: payload, version: Vigil.configuration.version)) }
            if let webhook { notifiers.append(try WebhookNotifier(url: webhook, secret: secret)) }
        } catch let error as NotifyError {
            for n in notifiers { await n.shutdown(timeout: .zero) }
            throw ValidationError(error.description)
        }
        return (options, notifiers)
    }

    func run() async throws {
        let listenOptions: FleetListenOptions
        do {
            listenOptions = try FleetListenOptions(listen: listen, tlsCertificatePath: tlsCert, tlsKeyPath: tlsKey, allowInsecureHTTP: allowInsecureHttp)
        } catch let error as FleetListenError {
            throw ValidationError(error.description)
        }
        let store = try await storeOptions.open()
        // After the store: nothing that can fail comes between creating the outputs and the shutdown below.
        let (verdictOptions, notifiers) = try await verdictSetup()
        var configuration = FleetServerConfiguration()
        configuration.includeDefaultIndicators = !noDefaultIndicators
        configuration.verdicts = verdictOptions
        configuration.verdictNotifiers = notifiers
        let server = FleetServer(store: store, configuration: configuration)
        var consoleConfiguration = ConsoleConfiguration()
        consoleConfiguration.secureCookies = listenOptions.usesTLS
        /// Lets running passes finish and the outputs drain, then reports what each output did.
        func finishVerdicts() async {
            await server.verdicts.waitUntilIdle(timeout: .seconds(30))
            for notifier in notifiers {
                await notifier.shutdown(timeout: .seconds(10))
                let s = notifier.statistics()
                printToStandardError("vigil serve: \(notifier.name): \(s.delivered) delivered, \(s.failed) failed, \(s.dropped) dropped")
            }
        }
        do {
            let console = try Console(server: server, configuration: consoleConfiguration)
            try await server.run(listenOptions, mount: console.mount(on:)) { url in
                printToStandardError("vigil serve: listening on \(url)")
            }
        } catch {
            await finishVerdicts()
            throw error
        }
        await finishVerdicts()
        try await store.close()
    }
}
