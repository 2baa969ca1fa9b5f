import ArgumentParser
import Foundation
import VigilConsole
import VigilFleetServer
import VigilFleetStore

/// `vigil serve secret create|revoke`.
struct ServeSecret: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "secret", abstract: "Create or revoke enrolment secrets.", subcommands: [Create.self, Revoke.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create an enrolment secret and print it (this once; the server keeps only its hash).")
        @OptionGroup var storeOptions: ServerStoreOptions
        @Option(name: .long, help: "A name saying where the secret is used.") var name: String

        func run() async throws {
            let store = try await storeOptions.open()
            let (record, secret) = try await FleetServer.createEnrollmentSecret(name: name, store: store)
            try await store.close()
            printToStandardError("enrolment secret \(record.id) (\(record.name)) created; it is shown only now:")
            print(secret)
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke an enrolment secret (enrolled hosts keep their keys).")
        @OptionGroup var storeOptions: ServerStoreOptions
        @Argument(help: "The secret's id.") var id: Int64

        func run() async throws {
            let store = try await storeOptions.open()
            let done = try await store.revokeEnrollmentSecret(id: id, at: Date())
            try await store.close()
            guard done else { throw ServeError("no unrevoked enrolment secret with id \(id)") }
            printToStandardError("enrolment secret \(id) revoked")
        }
    }
}

extension UserRole: ExpressibleByArgument {}

/// `vigil serve user add`.
struct ServeUser: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "user", abstract: "Add API users.", subcommands: [Add.self])

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Add a user: viewer reads, analyst also adds feeds, admin also manages enrolment secrets.")
        @OptionGroup var storeOptions: ServerStoreOptions
        @Argument(help: "The user name.") var name: String
        @Option(name: .long, help: "admin, analyst or viewer.") var role: UserRole
        @Flag(name: .long, help: "Read a web console password from standard input (its first line; 10 to 200 bytes). Without it the user has API tokens only.")
        var passwordStdin = false

        func run() async throws {
            guard (1...100).contains(name.utf8.count) else { throw ValidationError("the user name must be 1 to 100 bytes") }
            var passwordHash: String?
            if passwordStdin {
                guard let line = readLine(strippingNewline: true) else { throw ValidationError("--password-stdin: standard input is empty") }
                guard (10...200).contains(line.utf8.count) else { throw ValidationError("the password must be 10 to 200 bytes") }
                passwordHash = Console.hashPassword(line)
            }
            let store = try await storeOptions.open()
            if try await store.user(name: name) != nil {
                try await store.close()
                throw ServeError("user \(name) exists already")
            }
            let user = try await store.addUser(name: name, role: role, passwordHash: passwordHash, at: Date())
            try await store.appendAudit(AuditEntry(
                at: Date(), actor: "cli", action: "user.add", target: user.name,
                detail: "\(user.role.rawValue)\(passwordHash == nil ? ", API only" : ", console password set")"))
            try await store.close()
            printToStandardError("user \(user.name) (id \(user.id), \(user.role.rawValue)) added; "
                + (passwordHash == nil ? "create a token with `vigil serve token create --user \(user.name)`" : "they can sign in to the web console"))
        }
    }
}

/// `vigil serve token create`.
struct ServeToken: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "token", abstract: "Create API tokens.", subcommands: [Create.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create an API token for a user and print it (this once; the server keeps only its hash).")
        @OptionGroup var storeOptions: ServerStoreOptions
        @Option(name: .long, help: "The user the token acts for.") var user: String
        @Option(name: .long, help: "A name for the token.") var name = "cli"

        func run() async throws {
            let store = try await storeOptions.open()
            guard let record = try await store.user(name: user) else {
                try await store.close()
                throw ServeError("no user \(user); add one with `vigil serve user add \(user) --role viewer`")
            }
            let (token, secret) = try await FleetServer.createAPIToken(user: record, name: name, store: store)
            try await store.close()
            printToStandardError("API token \(token.id) for \(record.name) (\(record.role.rawValue)) created; it is shown only now:")
            print(secret)
        }
    }
}

/// `vigil serve host revoke`.
struct ServeHost: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "host", abstract: "Revoke host keys.", subcommands: [Revoke.self])

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Revoke a host's key: its agent gets 401 host-key-revoked and must enrol again; its inventory stays.")
        @OptionGroup var storeOptions: ServerStoreOptions
        @Argument(help: "The host's id.") var id: Int64

        func run() async throws {
            let store = try await storeOptions.open()
            let done = try await store.revokeHostKey(hostID: id, at: Date())
            try await store.close()
            guard done else { throw ServeError("no host with id \(id)") }
            printToStandardError("host \(id): key revoked")
        }
    }
}

/// A refusal of an admin subcommand that is not a usage mistake (no such id, a duplicate name).
struct ServeError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
