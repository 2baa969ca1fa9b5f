import Foundation
import _VigilTestSupport

/// Locates the PE fixtures built by `scripts/build-fixtures.sh` (into `Fixtures/build/pe`).
enum PEFixtures {
    static let directory = TestSupport.repositoryRoot.appendingPathComponent("Fixtures/build/pe")

    /// Whether the fixtures have been built.
    static var available: Bool {
        FileManager.default.fileExists(atPath: directory.appendingPathComponent(".stamp").path)
    }

    static let missingMessage =
        "PE fixtures are missing in Fixtures/build/pe: run scripts/build-fixtures.sh (needs gcc-mingw-w64-x86-64, osslsigncode, openssl)"

    struct Missing: Error, CustomStringConvertible {
        var description: String { PEFixtures.missingMessage }
    }

    /// The bytes of fixture `name` (a path relative to `Fixtures/build/pe`).
    static func bytes(_ name: String) throws -> [UInt8] {
        guard available else { throw Missing() }
        return Array(try Data(contentsOf: directory.appendingPathComponent(name)))
    }

    /// The JSON sidecar the fixture mutator wrote for variant `name`.
    static func sidecar(_ name: String) throws -> [String: Any] {
        guard available else { throw Missing() }
        let data = try Data(contentsOf: directory.appendingPathComponent(name + ".json"))
        return (try JSONSerialization.jsonObject(with: data) as? [String: Any]) ?? [:]
    }
}
