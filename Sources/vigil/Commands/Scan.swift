import ArgumentParser

// Owned by the 'scan' work; replaced by the real command.
struct Scan: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "scan", abstract: "(scan is being built)")

    func run() async throws {
        throw ValidationError("'vigil scan' is not available in this build")
    }
}
