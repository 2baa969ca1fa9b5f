import Foundation
import Testing
import _VigilTestSupport

/// Runs scripts/parity/pe_parity.py (pefile + osslsigncode against `vigil inspect`) on the fixtures
/// and on a sample of the real corpus, when present. The script exits 0 only when every
/// disagreement is one of its EXPLAINED cases; each explained case is also asserted directly:
/// - pefile's 8192 named-export cap: the script re-parses with the cap raised and requires equality;
/// - overlay-after / pad-dironly fixtures vs osslsigncode: AuthenticodeTests.overlayAfter / directoryOnly;
/// - two WIN_CERTIFICATEs in shimx64.efi.signed vs osslsigncode: `shimTwoEntries` below.
@Suite("pefile / osslsigncode parity", .serialized)
struct PEParityTests {
    static let corpus = TestSupport.repositoryRoot.appendingPathComponent("Fixtures/build/pe-corpus")
    static var corpusPresent: Bool { FileManager.default.fileExists(atPath: corpus.appendingPathComponent(".complete").path) }
    static var pefilePresent: Bool {
        (try? TestSupport.run(URL(fileURLWithPath: "/usr/bin/python3"), ["-c", "import pefile"]).status) == 0
    }

    func parity(_ paths: [String]) throws -> TestSupport.RunResult {
        let vigil = try #require(TestSupport.vigilExecutable, "vigil is not built")
        let script = TestSupport.repositoryRoot.appendingPathComponent("scripts/parity/pe_parity.py").path
        return try TestSupport.run(URL(fileURLWithPath: "/usr/bin/python3"), [script, "--vigil", vigil.path] + paths)
    }

    @Test("fixtures: every field agrees or the difference is explained", .enabled(if: pefilePresent))
    func fixtures() throws {
        try #require(PEFixtures.available, "\(PEFixtures.missingMessage)")
        let r = try parity([PEFixtures.directory.path])
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
        #expect(r.stdout.contains("headers"))
        #expect(!r.stdout.contains("DIFF") || r.stdout.components(separatedBy: "DIFF").dropFirst().allSatisfy { $0.contains("(explained)") })
    }

    @Test("real corpus sample (Wine, mingw-w64, EFI, launchers)", .enabled(if: corpusPresent && pefilePresent))
    func corpusSample() throws {
        var sample: [String] = []
        for sub in ["wine", "mingw", "efi", "launchers"] {
            let dir = Self.corpus.appendingPathComponent(sub)
            let names = (try? FileManager.default.contentsOfDirectory(atPath: dir.path).sorted()) ?? []
            sample += names.filter { !$0.contains("libgnat") }.prefix(4).map { dir.appendingPathComponent($0).path }
        }
        let r = try parity(sample)
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
        #expect(r.stdout.contains("files: \(sample.count)"))
    }

    @Test("shimx64.efi.signed: two WIN_CERTIFICATEs, both digests match", .enabled(if: corpusPresent))
    func shimTwoEntries() throws {
        let path = Self.corpus.appendingPathComponent("efi/shimx64.efi.signed").path
        try #require(FileManager.default.fileExists(atPath: path), "shimx64.efi.signed is not in the corpus")
        let result = try VigilFormatsInspect.inspect(path)
        #expect(result.pe?.certificateTable?.entries.count == 2)
        let signatures = try #require(result.authenticode?.signatures)
        #expect(signatures.count == 2)
        #expect(signatures.allSatisfy { $0.digestMatches })
        let issuers = signatures.map { $0.signer?.issuer ?? "" }
        #expect(issuers.allSatisfy { $0.contains("Microsoft") })
    }

    @Test("pefile's export-name cap is the only export difference on libgnat", .enabled(if: corpusPresent && pefilePresent))
    func exportCap() throws {
        let dir = Self.corpus.appendingPathComponent("mingw")
        let names = (try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []
        let gnat = try #require(names.first { $0.contains("libgnat") }, "no libgnat DLL in the corpus")
        let r = try parity([dir.appendingPathComponent(gnat).path])
        #expect(r.status == 0, "\(r.stdout)")
        #expect(r.stdout.contains("exports (explained)"))
    }
}
