import Foundation
import Testing
@testable import VigilFleetServer

@Suite("Fleet server: request deadline")
struct DeadlineTests {
    @Test("work that hangs is answered with DeadlineExceeded at the deadline, not when it ends")
    func hangs() async throws {
        let start = ContinuousClock.now
        await #expect(throws: DeadlineExceeded.self) {
            try await withDeadline(.milliseconds(100)) { try await Task.sleep(for: .seconds(30)); return 1 }
        }
        #expect(ContinuousClock.now - start < .seconds(5))
    }

    @Test("work that finishes in time returns its value or its own error")
    func finishes() async throws {
        #expect(try await withDeadline(.seconds(10)) { 42 } == 42)
        await #expect(throws: FleetListenError.self) {
            try await withDeadline(.seconds(10)) { () async throws -> Int in throw FleetListenError("x") }
        }
    }
}
