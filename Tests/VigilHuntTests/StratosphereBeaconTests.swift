import Foundation
import Testing
import VigilIndicators
import _VigilTestSupport
@testable import VigilHunt

/// The Stratosphere Laboratory's labelled Zeek captures (CTU, GPL-2.0: read in place, never copied):
/// two 24-hour days of normal Windows hosts, and the first minutes of NjRAT and Simda infections.
/// The figures asserted here are the ones docs/hunt.md reports.
@Suite(.enabled(if: TestSupport.sharedData != nil, Comment(rawValue: TestSupport.sharedDataMissing)))
struct StratosphereBeaconTests {
    static func data(_ path: String) -> URL {
        TestSupport.sharedData!.appendingPathComponent("network/stratosphere").appendingPathComponent(path)
    }

    /// Every beacon candidate (threshold 0), with the captures' internal network when it is public.
    static func hunt(_ paths: [URL], internalNetworks: [String] = []) throws -> HuntReport {
        try HuntFixtures.hunt(paths) { o in
            if !internalNetworks.isEmpty { o.internalNetworks = internalNetworks.compactMap(IPNetwork.init) }
        }
    }

    /// Labels per destination (address from conn.log, name from http.log `host` and ssl.log
    /// `server_name`), read from the `label` column of the labelled logs.
    static func labels(_ files: [URL]) throws -> [String: Set<String>] {
        var out: [String: Set<String>] = [:]
        for file in files {
            let text = try String(contentsOf: file, encoding: .utf8)
            var columns: [String: Int] = [:]
            for line in text.split(separator: "\n") {
                let fields = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
                if line.hasPrefix("#fields") {
                    columns = Dictionary(uniqueKeysWithValues: fields.dropFirst().enumerated().map { ($0.element, $0.offset) })
                    continue
                }
                if line.hasPrefix("#") { continue }
                guard let l = columns["label"], l < fields.count else { continue }
                for key in ["id.resp_h", "host", "server_name"] {
                    if let c = columns[key], c < fields.count, fields[c] != "-" { out[fields[c].lowercased(), default: []].insert(fields[l]) }
                }
            }
        }
        return out
    }

    /// Beacons reported before this change (RITA's score ≥ 0.5) and after (Vigil's score ≥ the default).
    static func counts(_ r: HuntReport) -> (before: [BeaconResult], after: [BeaconResult]) {
        let threshold = HuntOptions.defaultMinimumBeaconScore
        return (r.beacons.filter { $0.ritaScore >= threshold },
                r.beacons.filter { BeaconRanking.isReported(rita: $0.ritaScore, vigil: $0.vigilScore, threshold: threshold) })
    }

    /// Two normal host-days: every periodic outbound flow is benign (the captures' only malicious
    /// flows are inbound attacks). 24 benign beacons at RITA's threshold, 5 at Vigil's.
    @Test(arguments: [("008-zeek-mixed", 20, 4), ("010-zeek-mixed", 4, 1)])
    func fewerBenignBeaconsOnNormalHostDays(_ capture: String, before expectedBefore: Int, after expectedAfter: Int) throws {
        let dir = Self.data(capture + "/data")
        let report = try Self.hunt([dir], internalNetworks: ["147.32.0.0/16"])
        let sources = Set(report.beacons.map(\.source))
        #expect(sources.count == 1)  // one host, one day: the counts are per host-day
        let labels = try Self.labels(try FileManager.default.contentsOfDirectory(at: dir, includingPropertiesForKeys: nil)
            .filter { ["conn", "http", "ssl"].contains($0.lastPathComponent.split(separator: ".").first ?? "") })
        let (before, after) = Self.counts(report)
        for b in before {
            let l = labels[b.destination] ?? []
            #expect(!l.isEmpty, "\(b.destination) has no label")
            #expect(!l.contains("Malicious"), "\(b.destination) is labelled malicious")
        }
        #expect(before.count == expectedBefore)
        #expect(after.count == expectedAfter)
        #expect(after.count < before.count)
        // Each beacon dropped below the threshold was lowered by a reason the report shows.
        for b in before where b.vigilScore < HuntOptions.defaultMinimumBeaconScore {
            #expect(b.reasons.contains { $0.name == "known-service" && $0.effect < 0 }, "\(b.destination)")
        }
    }

    /// NjRAT: the 1177/tcp C2 channel (labelled malicious) is still reported, first.
    @Test func njratC2IsStillReported() throws {
        let file = Self.data("001-zeek-scenario-malicious/labeled-conn.log")
        let report = try Self.hunt([file])
        let labels = try Self.labels([file])
        let malicious = report.beacons.filter { $0.ritaScore >= 0.5 && labels[$0.destination]?.contains("Malicious") == true }
        #expect(malicious.map(\.destination) == ["41.108.179.197"])
        #expect(Self.counts(report).after.first?.destination == "41.108.179.197")
    }

    /// Simda: the capture is of the infected host (192.168.1.116) resolving and contacting DGA names;
    /// every one of its pairs that RITA reported is still reported.
    @Test func simdaDGAFlowsAreStillReported() throws {
        let report = try Self.hunt([Self.data("005-zeek-scenario-malicious")])
        let infected = report.beacons.filter { $0.source == "192.168.1.116" }
        let (before, after) = Self.counts(report)
        let malicious = before.filter { $0.source == "192.168.1.116" }
        #expect(malicious.count == 17)
        #expect(Set(malicious.map(\.destination)).isSubset(of: Set(after.map(\.destination))))
        #expect(!infected.isEmpty)
        // Part of the http.log rows have no conn.log record (the files are cut at 1,000 lines).
        #expect(infected.contains { $0.evidenceLogs == ["http"] })
    }
}
