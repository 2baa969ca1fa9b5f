import Foundation
import Testing
import _VigilTestSupport

/// Locates the release-diff fixtures built by `scripts/fixtures/diff.sh` (into `Fixtures/build/diff`).
enum DiffFixtures {
    static let directory = TestSupport.repositoryRoot.appendingPathComponent("Fixtures/build/diff")
    static let realDirectory = TestSupport.repositoryRoot.appendingPathComponent("Fixtures/build/diff-real")

    /// Whether the fixtures have been built.
    static var available: Bool { FileManager.default.fileExists(atPath: directory.appendingPathComponent(".stamp").path) }

    /// The path of a fixture; records a failure with instructions when the fixtures are missing.
    static func path(_ name: String, sourceLocation: SourceLocation = #_sourceLocation) -> String? {
        guard available else {
            Issue.record("release-diff fixtures are missing: run scripts/build-fixtures.sh (needs mingw-w64, osslsigncode, openssl, python3)", sourceLocation: sourceLocation)
            return nil
        }
        return directory.appendingPathComponent(name).path
    }

    /// A JSON sidecar written by the fixture scripts.
    static func json(_ name: String) -> [String: Any]? {
        guard let data = try? Data(contentsOf: directory.appendingPathComponent(name)) else { return nil }
        return try? JSONSerialization.jsonObject(with: data) as? [String: Any]
    }
}
