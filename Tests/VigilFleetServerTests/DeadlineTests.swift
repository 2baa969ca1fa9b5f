import Foundation
import Testing
@testable import VigilFleetServer

@Suite("Fleet server: request deadline")
struct DeadlineTests {
    @Test("work that hangs is answered with DeadlineExceeded at the deadline, not when it ends")
    func hangs() async throws {
        // The work would take ten minutes: getting DeadlineExceeded at all shows the answer did not wait
        // for it. The bound on the elapsed time is loose on purpose: other tests block the two
        // threads of this machine's cooperative pool for tens of seconds while they run processes.
        let start = ContinuousClock.now
        await #expect(throws: DeadlineExceeded.self) {
            try await withDeadline(.milliseconds(100)) { try await Task.sleep(for: .seconds(600)); return 1 }
        }
        #expect(ContinuousClock.now - start < .seconds(300))
    }

    @Test("work that finishes in time returns its value or its own error")
    func finishes() async throws {
        #expect(try await withDeadline(.seconds(10)) { 42 } == 42)
        await #expect(throws: FleetListenError.self) {
            try await withDeadline(.seconds(10)) { () async throws -> Int in throw FleetListenError("x") }
        }
    }
}
