import Testing
@testable import VigilHunt

@Suite struct BeaconMathTests {
    @Test func ritaUnitTestGapLists() {
        // RITA analysis/beacons_test.go expectations (NETWORK.md §1.2).
        #expect(BeaconMath.gapScore(Array(repeating: 60, count: 10)) == 1)
        #expect(BeaconMath.gapScore([98, 99, 99, 100, 100, 100, 101, 101, 102]) == 0.995)
        #expect(BeaconMath.gapScore([98, 300, 98, 300, 98, 300, 98, 300, 98, 300]) == 0.746)
    }
}
