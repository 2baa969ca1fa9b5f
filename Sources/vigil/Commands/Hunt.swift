import ArgumentParser

// Owned by the 'hunt' work; replaced by the real command.
struct Hunt: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "hunt", abstract: "(hunt is being built)")

    func run() async throws {
        throw ValidationError("'vigil hunt' is not available in this build")
    }
}
