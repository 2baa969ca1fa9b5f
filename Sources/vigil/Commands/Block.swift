import ArgumentParser

// Owned by the 'block' work; replaced by the real command.
struct Block: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "block", abstract: "(block is being built)")

    func run() async throws {
        throw ValidationError("'vigil block' is not available in this build")
    }
}
