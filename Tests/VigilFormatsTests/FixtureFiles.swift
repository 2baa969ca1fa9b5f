import Foundation
import Testing
import _VigilTestSupport

/// Locates generated fixtures under `Fixtures/build/<area>/` and fails with instructions when absent.
enum FixtureFiles {
    static func directory(_ area: String) -> URL {
        TestSupport.repositoryRoot.appendingPathComponent("Fixtures/build/\(area)")
    }

    /// The bytes of `Fixtures/build/<area>/<name>`; records a clear failure and returns `nil` if missing.
    static func bytes(_ area: String, _ name: String, sourceLocation: SourceLocation = #_sourceLocation) -> [UInt8]? {
        let url = directory(area).appendingPathComponent(name)
        guard let data = FileManager.default.contents(atPath: url.path) else {
            Issue.record(
                "fixture \(url.path) is missing: run scripts/build-fixtures.sh (needs lld-14, llvm-14, python3)",
                sourceLocation: sourceLocation)
            return nil
        }
        return [UInt8](data)
    }

    /// Runs a tool and returns its standard output, or `nil` when the tool is not installed.
    static func toolOutput(_ path: String, _ arguments: [String]) -> String? {
        guard FileManager.default.isExecutableFile(atPath: path),
            let result = try? TestSupport.run(URL(fileURLWithPath: path), arguments), result.status == 0
        else { return nil }
        return result.stdout
    }
}
