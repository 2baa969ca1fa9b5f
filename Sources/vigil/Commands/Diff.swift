import ArgumentParser

// Owned by the 'diff' work; replaced by the real command.
struct Diff: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "diff", abstract: "(diff is being built)")

    func run() async throws {
        throw ValidationError("'vigil diff' is not available in this build")
    }
}
