import ArgumentParser

// Owned by the 'inspect' work; replaced by the real command.
struct Inspect: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "inspect", abstract: "(inspect is being built)")

    func run() async throws {
        throw ValidationError("'vigil inspect' is not available in this build")
    }
}
