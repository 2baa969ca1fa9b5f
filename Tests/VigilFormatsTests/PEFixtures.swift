import Foundation
import VigilFormats
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

/// What pefile and osslsigncode say about a fixture (written by `scripts/fixtures/pe/golden.py`).
struct PEGolden: Decodable {
    struct Section: Decodable {
        var name: String
        var virtualAddress: UInt32
        var sizeOfRawData: UInt32
        var pointerToRawData: UInt32
        var characteristics: UInt32
        var entropy: Double
    }
    struct Import: Decodable {
        var dll: String
        var functions: [String]
    }
    struct Export: Decodable {
        var ordinal: UInt32
        var name: String?
        var rva: UInt32
    }
    struct Signature: Decodable {
        var currentDigests: [String]
        var calculatedDigests: [String]
        var succeeded: Bool
    }
    var machine: UInt16
    var numberOfSections: UInt16
    var magic: UInt16
    var addressOfEntryPoint: UInt32
    var imageBase: UInt64
    var sizeOfHeaders: UInt32
    var subsystem: UInt16
    var sections: [Section]
    var imports: [Import]
    var delayImports: [Import]
    var exports: [Export]
    var checksumStored: UInt32
    var checksumComputed: UInt32
    var securityDirectory: [UInt32]
    var overlayOffset: Int?
    var versionStrings: [String: String]
    var osslsigncode: Signature?

    static func load(_ name: String) throws -> PEGolden {
        guard PEFixtures.available else { throw PEFixtures.Missing() }
        let url = PEFixtures.directory.appendingPathComponent(name + ".golden.json")
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw PEFixtures.Missing()
        }
        return try JSONDecoder().decode(PEGolden.self, from: Data(contentsOf: url))
    }
}

/// Inspects a file by path (for corpus tests).
enum VigilFormatsInspect {
    static func inspect(_ path: String) throws -> InspectionResult {
        try Inspection.inspect(fileAt: path)
    }
}
