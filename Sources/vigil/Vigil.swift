import ArgumentParser

/// The `vigil` command: a thin front end over the Vigil libraries.
@main
struct Vigil: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vigil",
        abstract: "Find software supply-chain compromises in files, releases, indicator feeds and network logs.",
        discussion: """
            Exit status: 0 when nothing was found, 1 when something was found, 2 on a usage or fatal error.

            Examples:
              vigil scan /opt/3CXDesktopApp
              vigil inspect ffmpeg.dll --format json
            """,
        version: "0.1.0",
        subcommands: [Scan.self, Inspect.self, Feed.self, Block.self, Hunt.self, Diff.self, Serve.self, AgentCommand.self, FleetCommand.self]
    )

    /// Runs the command and maps errors to Vigil's exit statuses: usage errors exit 2, not 64.
    static func main() async {
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch let status as ExitCode {
            // A command chose its status: 0 clean, 1 findings, 2 error.
            Foundation_exit(status.rawValue)
        } catch {
            // --help and --version arrive as errors that exit 0.
            if exitCode(for: error) == .success { exit(withError: error) }
            // Every other failure (usage, validation, I/O) prints its message and exits 2, never 1:
            // 1 means "something was found".
            let message = fullMessage(for: error)
            printToStandardError(message.isEmpty ? "error: \(error)" : message)
            Foundation_exit(VigilExitCode.error.rawValue)
        }
    }
}

/// Vigil's exit statuses.
enum VigilExitCode {
    static let clean = ExitCode(0)
    static let findings = ExitCode(1)
    static let error = ExitCode(2)
}
