import Foundation
import Testing
import _VigilTestSupport

/// The README's fleet scenario, for real: `vigil serve` with TLS on a private bridge and three hosts
/// as network namespaces, each with its own host name and machine id, running `vigil agent`; then a
/// feed published afterwards is retro-hunted over the stored inventories with every agent stopped;
/// and a server whose disk fills up answers 503 while the agent keeps its spool for later.
/// The steps and checks are in `scripts/fleet-scenario.py`; it needs root (namespaces, bind mounts).
/// Both scenarios use the same namespace hosts, so they run one after the other.
@Suite("fleet scenario (network namespaces)", .serialized)
struct FleetScenarioTests {
    static let canRun = getuid() == 0 && FileManager.default.isExecutableFile(atPath: "/usr/sbin/ip")
        && FileManager.default.isExecutableFile(atPath: "/usr/bin/unshare")

    @Test(.enabled(if: canRun, "needs root, iproute2 and unshare to make the namespace hosts"))
    func threeHostsOneOfflineRetroHunted() throws {
        let vigil = try #require(TestSupport.vigilExecutable, "the vigil binary is not built")
        let script = TestSupport.repositoryRoot.appendingPathComponent("scripts/fleet-scenario.py")
        let result = try TestSupport.run(
            URL(fileURLWithPath: "/usr/bin/env"), ["python3", script.path, "--vigil", vigil.path])
        let lines = result.stdout.split(separator: "\n").map(String.init)
        let failures = lines.filter { $0.hasPrefix("FAIL") }
        #expect(failures.isEmpty, "\(failures.joined(separator: "\n"))\n\(result.stderr.suffix(2000))")
        #expect(result.status == 0)
        // Every check the scenario makes must have run: a skipped step is not a pass.
        let passed = lines.filter { $0.hasPrefix("PASS") }.count
        #expect(passed == 20, "expected 20 checks to pass, got \(passed):\n\(result.stdout)")
        #expect(lines.contains("PASS retro-hunt flagged offline h3 without any agent running"))
        #expect(lines.contains("PASS the clean host h2 has no finding"))
        #expect(lines.contains("PASS disk full: the agent exits 2 and keeps its batches spooled"))
        #expect(lines.contains("PASS space freed: the next run delivers the spool"))
    }

    /// The verdict scenario of issue 13: four namespace hosts, a Zeek log folder read by the server,
    /// verdicts active / dormant / clean → contact-only / unknown-activity with cited evidence, a DHCP
    /// address move, the network retro-hunt, webhook and CEF syslog, and a SIGKILL restart
    /// (`scripts/verdict-scenario.py`).
    @Test(.enabled(if: canRun, "needs root, iproute2 and unshare to make the namespace hosts"))
    func fourHostsVerdictsFromFilesAndNetworkEvidence() throws {
        let vigil = try #require(TestSupport.vigilExecutable, "the vigil binary is not built")
        let script = TestSupport.repositoryRoot.appendingPathComponent("scripts/verdict-scenario.py")
        let result = try TestSupport.run(
            URL(fileURLWithPath: "/usr/bin/env"), ["python3", script.path, "--vigil", vigil.path])
        let lines = result.stdout.split(separator: "\n").map(String.init)
        let failures = lines.filter { $0.hasPrefix("FAIL") }
        #expect(failures.isEmpty, "\(failures.joined(separator: "\n"))\n\(result.stderr.suffix(2000))")
        #expect(result.status == 0)
        let passed = lines.filter { $0.hasPrefix("PASS") }.count
        #expect(passed == Self.verdictChecks, "expected \(Self.verdictChecks) checks to pass, got \(passed):\n\(result.stdout)")
        #expect(lines.contains("PASS host a is active (its files, then contact with the C2)"))
        #expect(lines.contains("PASS host c turns contact-only from the contact index alone"))
        #expect(lines.contains("PASS host b stays dormant: the moved address was c's by then"))
    }

    /// Every check `scripts/verdict-scenario.py` makes; a skipped step is not a pass.
    static let verdictChecks = 29
}
