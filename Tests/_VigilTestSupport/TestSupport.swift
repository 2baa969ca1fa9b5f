import Foundation

/// Shared helpers for Vigil's test targets: where the repository, the shared data and the built
/// `vigil` binary are, temporary folders, and running the CLI.
public enum TestSupport {
    /// The repository root (derived from this file's location).
    public static let repositoryRoot: URL = {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }()

    /// The third-party reference data folder: `$VIGIL_SHARED_DATA`, else `shared/data` beside the checkout; `nil` when absent, so tests
    /// that use it can skip with a clear message.
    public static var sharedData: URL? {
        if let env = ProcessInfo.processInfo.environment["VIGIL_SHARED_DATA"] {
            return URL(fileURLWithPath: env)
        }
        let candidate = repositoryRoot.deletingLastPathComponent().appendingPathComponent("shared/data")
        return FileManager.default.fileExists(atPath: candidate.path) ? candidate : nil
    }

    /// A message for tests that need the reference data and skip without it.
    public static let sharedDataMissing = "the third-party reference data is absent (set VIGIL_SHARED_DATA to its folder to run this test)"

    /// A fresh temporary directory, removed by the caller with `removeTemporaryDirectory`.
    public static func makeTemporaryDirectory(_ prefix: String = "vigil-test") throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("\(prefix)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// Writes `bytes` to `dir/name`, creating intermediate folders, and returns the file URL.
    @discardableResult
    public static func write(_ bytes: [UInt8], to name: String, in dir: URL) throws -> URL {
        let url = dir.appendingPathComponent(name)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(bytes).write(to: url)
        return url
    }

    /// The built `vigil` executable next to the test bundle (SwiftPM puts products in one folder).
    public static var vigilExecutable: URL? {
        var dir = Bundle.main.bundleURL
        for _ in 0..<4 {
            let candidate = dir.appendingPathComponent("vigil")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
            dir = dir.deletingLastPathComponent()
        }
        return nil
    }

    /// The result of running a command.
    public struct RunResult: Sendable {
        public var status: Int32
        public var stdout: String
        public var stderr: String
    }

    /// Runs the built `vigil` with `arguments` and returns its exit status and output.
    public static func runVigil(_ arguments: [String], environment: [String: String] = [:]) throws -> RunResult {
        guard let exe = vigilExecutable else {
            throw NSError(domain: "TestSupport", code: 1, userInfo: [NSLocalizedDescriptionKey: "vigil executable not built"])
        }
        return try run(exe, arguments, environment: environment)
    }

    /// ``runVigil(_:environment:)`` on a thread of its own, for async tests whose command talks to a
    /// server running in the test process: waiting for the child on a cooperative thread can leave the
    /// in-process server no thread to answer it (the pool has one thread per core, two here).
    public static func runVigilOffPool(_ arguments: [String], environment: [String: String] = [:]) async throws -> RunResult {
        try await withCheckedThrowingContinuation { continuation in
            Thread { continuation.resume(with: Result { try runVigil(arguments, environment: environment) }) }.start()
        }
    }

    /// Runs an executable and collects its output (both pipes drained concurrently).
    public static func run(_ executable: URL, _ arguments: [String], environment: [String: String] = [:]) throws -> RunResult {
        let p = Process()
        p.executableURL = executable
        p.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        for (k, v) in environment { env[k] = v }
        p.environment = env
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        p.standardInput = FileHandle.nullDevice
        try p.run()
        let group = DispatchGroup()
        nonisolated(unsafe) var errData = Data()
        group.enter()
        DispatchQueue.global().async {
            errData = err.fileHandleForReading.readDataToEndOfFile()
            group.leave()
        }
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        group.wait()
        p.waitUntilExit()
        return RunResult(
            status: p.terminationStatus,
            stdout: String(decoding: outData, as: UTF8.self),
            stderr: String(decoding: errData, as: UTF8.self)
        )
    }
}

/// Deterministic random numbers (SplitMix64) for generated test inputs, so a failure reproduces.
public struct SeededRandom: RandomNumberGenerator, Sendable {
    public var state: UInt64
    public init(seed: UInt64) { state = seed }
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
