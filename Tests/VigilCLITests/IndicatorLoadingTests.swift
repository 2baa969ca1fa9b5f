import Foundation
import Testing
import _VigilTestSupport

/// `vigil scan` and `vigil hunt` load indicators through the one library loader: given the same
/// built-in choice, feed store and `--iocs` files they report the same indicators, kind by kind.
@Suite(.enabled(if: TestSupport.vigilExecutable != nil, "vigil executable not built"))
struct IndicatorLoadingTests {
    private func indicatorCounts(_ arguments: [String], env: [String: String]) throws -> [String: Int] {
        let r = try TestSupport.runVigil(arguments + ["--format", "json"], environment: env)
        #expect(r.status == 0 || r.status == 1, "\(arguments): \(r.stderr)")
        let object = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any]
        return (object?["statistics"] as? [String: Any])?["indicators"] as? [String: Int] ?? [:]
    }

    @Test func scanAndHuntLoadTheSameIndicators() throws {
        let dir = try TestSupport.makeTemporaryDirectory("vigil-loading")
        defer { try? FileManager.default.removeItem(at: dir) }
        let env = ["VIGIL_STORE": dir.appendingPathComponent("store").path]
        let stored = try TestSupport.write(
            Array("stored.example\n198.51.100.0/24\n2001:db8::/32\nhttp://stored.example/gate.php\n".utf8), to: "stored.txt", in: dir)
        let add = try TestSupport.runVigil(["feed", "add", stored.path, "--name", "mine"], environment: env)
        #expect(add.status == 0, "\(add.stderr)")
        let iocs = try TestSupport.write(
            Array("stored.example\n203.0.113.7\nba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad\n".utf8), to: "iocs.txt", in: dir)
        let target = try TestSupport.write(Array("nothing".utf8), to: "tree/file.txt", in: dir)
        let log = try TestSupport.write(Array("".utf8), to: "logs/empty.log", in: dir)

        for defaults in [[], ["--no-default-indicators"]] {
            let scan = try indicatorCounts(["scan", target.path, "--iocs", iocs.path] + defaults, env: env)
            let hunt = try indicatorCounts(["hunt", log.path, "--iocs", iocs.path] + defaults, env: env)
            #expect(!scan.isEmpty)
            #expect(scan == hunt, "defaults \(defaults): scan \(scan) hunt \(hunt)")
        }
        let plain = try indicatorCounts(["hunt", log.path, "--iocs", iocs.path, "--no-default-indicators"], env: env)
        // stored.example is in both sources: one indicator.
        #expect(plain == ["domain": 1, "cidr": 2, "url": 1, "ipv4": 1, "sha256": 1])
    }

    @Test func aMissingIndicatorFileIsAnErrorForBoth() throws {
        let dir = try TestSupport.makeTemporaryDirectory("vigil-loading")
        defer { try? FileManager.default.removeItem(at: dir) }
        let env = ["VIGIL_STORE": dir.appendingPathComponent("store").path]
        let missing = dir.appendingPathComponent("missing.txt").path
        let target = try TestSupport.write(Array("x".utf8), to: "f.txt", in: dir)
        for command in ["scan", "hunt"] {
            let r = try TestSupport.runVigil([command, target.path, "--iocs", missing], environment: env)
            #expect(r.status == 2, "\(command): \(r.stderr)")
            #expect(r.stderr.contains(missing), "\(command): \(r.stderr)")
        }
    }
}
