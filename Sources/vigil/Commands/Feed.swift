import ArgumentParser

// Owned by the 'feed' work; replaced by the real command.
struct Feed: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "feed", abstract: "(feed is being built)")

    func run() async throws {
        throw ValidationError("'vigil feed' is not available in this build")
    }
}
