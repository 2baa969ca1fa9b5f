import Foundation
import Testing
import VigilIndicators
@testable import VigilFeeds

/// Issue 16 item 14: `--sid-base` never traps and no sid leaves 1…2³²−1.
@Suite struct SIDRangeTests {
    static func plan(names: Int) -> BlocklistPlan {
        BlocklistBuilder.plan(IndicatorSet((0..<names).map { Indicator(kind: .domain, value: "c2-\($0).example") }))
    }

    @Test(arguments: [Int.max, Int.max - 1, Int.min, -1, 0, 4_294_967_296, 4_294_967_295])
    func outOfRangeBasesAreRefusedWithoutATrap(base: Int) {
        let plan = Self.plan(names: 2)  // 6 rules
        let problem = BlocklistBuilder.sidRangeProblem(plan, sidBase: base)
        #expect(problem != nil)
        let text = BlocklistBuilder.render(plan, as: .suricata, sidBase: base)
        #expect(!text.contains("alert "))
        #expect(text.contains("# no rules written: --sid-base \(base)"))
    }

    @Test func theLastSidMayBeTheMaximum() {
        let plan = Self.plan(names: 2)
        let base = BlocklistBuilder.maxSID - 5
        #expect(BlocklistBuilder.sidRangeProblem(plan, sidBase: base) == nil)
        #expect(BlocklistBuilder.sidRangeProblem(plan, sidBase: base + 1) != nil)
        let sids = BlocklistBuilder.render(plan, as: .suricata, sidBase: base).split(separator: "\n").compactMap { line -> Int? in
            guard let r = line.range(of: "sid:") else { return nil }
            return Int(line[r.upperBound...].prefix { $0.isNumber })
        }
        #expect(sids == Array(base...BlocklistBuilder.maxSID))
        #expect(BlocklistBuilder.sidRangeProblem(plan, sidBase: 1) == nil)
    }
}
