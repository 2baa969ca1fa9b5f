import Foundation
import Testing
import VigilCore

@Suite struct SeverityTests {
    @Test func ordersAndMapsScores() {
        #expect(Severity.low < .medium && .high < .critical)
        #expect(Severity(score: 100) == .critical)
        #expect(Severity(score: 80) == .high)
        #expect(Severity(score: 65) == .medium)
        #expect(Severity(score: 10) == .info)
    }

    @Test func findingRoundTripsThroughJSONWithPlainEvidenceValues() throws {
        let f = Finding(
            check: "pe.cert-table-slack", title: "t", severity: .high, path: "/x", offset: 12, explanation: "e",
            attack: ["T1027"], evidence: ["size": .int(4096), "entropy": .double(7.5), "zero": .bool(false)])
        let data = try JSONEncoder().encode(f)
        let text = String(decoding: data, as: UTF8.self)
        #expect(text.contains("\"size\":4096"))
        #expect(try JSONDecoder().decode(Finding.self, from: data) == f)
    }
}
