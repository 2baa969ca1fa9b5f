import Foundation
import Testing
import _VigilTestSupport

/// `vigil hunt --known-services FILE` and the beacon columns of the text report.
@Suite(.enabled(if: TestSupport.vigilExecutable != nil, "vigil executable not built"))
struct KnownServicesCLITests {
    @Test func aUserServiceFileLowersTheScoreAndBadLinesAreReported() throws {
        let dir = try TestSupport.makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        var ssl = PartialLogBeaconTests.sslHeader
        for i in 0..<288 {
            let t = PartialLogBeaconTests.day0 + Double(i) * 300 + Double(i % 2)
            ssl += String(format: "%.6f", t) + "\tS\(i)\t10.1.1.30\t50\(i % 100)\t198.51.100.7\t443\tTLSv12\tinventory.agent.corp.example\tT\n"
        }
        let log = try HuntFixtures.write(ssl, "ssl.log", in: dir)
        let services = try HuntFixtures.write("# ours\nagent.corp.example  Corp inventory agent, every 5 min\nnot a domain\n", "services.txt", in: dir)
        let env = ["VIGIL_STORE": dir.appendingPathComponent("store").path]

        let plain = try TestSupport.runVigil(["hunt", log.path], environment: env)
        #expect(plain.status == 1)
        #expect(plain.stdout.contains("vigil  rita"))
        #expect(plain.stdout.contains("inventory.agent.corp.example"))
        #expect(plain.stdout.contains("tls"))

        let known = try TestSupport.runVigil(["hunt", log.path, "--known-services", services.path], environment: env)
        #expect(known.status == 0)  // lowered below the default threshold
        #expect(known.stdout.contains("BEACONS (0,"))
        #expect(known.stdout.contains("\(services.path):3: known-services: 'not' is neither a domain nor a CIDR"))

        // With every candidate listed, the text report shows both scores and the reason with its effect.
        let all = try TestSupport.runVigil(["hunt", log.path, "--known-services", services.path, "--min-score", "0"], environment: env)
        #expect(all.status == 1)
        let row = try #require(all.stdout.split(separator: "\n").first { $0.contains("inventory.agent.corp.example") })
        let numbers = row.split(separator: " ").compactMap { Double($0) }
        let vigil = try #require(numbers.dropFirst().first), rita = try #require(numbers.dropFirst(2).first)  // after the rank
        #expect(abs(vigil - (rita - 0.4)) < 0.0015)
        #expect(row.hasSuffix("tls"))
        #expect(all.stdout.contains("−0.400 known-service: agent.corp.example: Corp inventory agent, every 5 min (source: \(services.path):2)"))

        let missing = try TestSupport.runVigil(["hunt", log.path, "--known-services", dir.appendingPathComponent("nope.txt").path], environment: env)
        #expect(missing.status == 2)
    }
}
