import Testing
@testable import VigilHunt

@Suite struct BeaconMathTests {
    @Test func ritaUnitTestGapLists() {
        // RITA analysis/beacons_test.go expectations.
        #expect(BeaconMath.gapScore(Array(repeating: 60, count: 10)) == 1)
        #expect(BeaconMath.gapScore([98, 99, 99, 100, 100, 100, 101, 101, 102]) == 0.995)
        #expect(BeaconMath.gapScore([98, 300, 98, 300, 98, 300, 98, 300, 98, 300]) == 0.746)
    }
}

@Suite struct BeaconMathComponentTests {
    @Test func quartilesLeaveOutTheMiddleElementForOddLengths() {
        let q = BeaconMath.quartiles([1, 2, 3, 4, 5, 6, 7])
        #expect(q.q1 == 2 && q.q2 == 4 && q.q3 == 6)
        let e = BeaconMath.quartiles([1, 2, 3, 4, 5, 6, 7, 8])
        #expect(e.q1 == 2.5 && e.q2 == 4.5 && e.q3 == 6.5)
    }

    @Test func dataSizeUsesZeroDefaultBelowMedianOne() {
        // All zero bytes: skew 0 → 1, median 0 → MAD score default 0 → 0.5.
        #expect(BeaconMath.dataSizeScore([0, 0, 0, 0]) == 0.5)
        #expect(BeaconMath.dataSizeScore([500, 500, 500]) == 1)
        #expect(BeaconMath.dataSizeScore([1, 2]) == nil)
    }

    @Test func histogramFlatAndBimodal() {
        let flat = [Int](repeating: 10, count: 24)
        #expect(BeaconMath.histogramScore(flat).score == 1)
        #expect(BeaconMath.histogramScore(flat).longestRun == 24)
        // Alternating 2 and 20: CV high, but two heights → bimodal fit 24/23 capped at 1.
        let twoLevels = (0..<24).map { $0 % 2 == 0 ? 2 : 20 }
        #expect(BeaconMath.histogramScore(twoLevels).score == 1)
        // One burst: CV > 1 and too few bars for the bimodal test.
        var burst = [Int](repeating: 0, count: 24)
        burst[5] = 100
        #expect(BeaconMath.histogramScore(burst).score == 0)
        #expect(BeaconMath.histogramScore(burst).totalBars == 1)
    }

    @Test func longestRunWrapsAround() {
        var bars = [Int](repeating: 0, count: 24)
        for i in [22, 23, 0, 1, 2] { bars[i] = 1 }
        #expect(BeaconMath.longestRun(bars) == 5)
    }

    @Test func durationNeedsSixBars() {
        #expect(BeaconMath.durationScore(first: 0, last: 86400, min: 0, max: 86400, longestRun: 5, totalBars: 5) == 0)
        #expect(BeaconMath.durationScore(first: 0, last: 43200, min: 0, max: 86400, longestRun: 6, totalBars: 6) == 0.5)
        #expect(BeaconMath.durationScore(first: 0, last: 3600, min: 0, max: 86400, longestRun: 12, totalBars: 12) == 1)
    }

    @Test func perfectBeaconScoresOne() throws {
        let ts = (0..<289).map { Double($0 * 300) }
        let s = try #require(BeaconMath.score(timestamps: ts, sizes: Array(repeating: 1200, count: 289), windowMin: 0, windowMax: 86400))
        #expect(s.score == 1)
        #expect(s.timestamp == 1 && s.dataSize == 1 && s.histogram == 1 && s.duration == 1)
    }
}
