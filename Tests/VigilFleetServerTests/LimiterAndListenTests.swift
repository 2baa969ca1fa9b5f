import Foundation
import Testing
import VigilFleetServer

@Suite("Fleet server: token buckets and listen addresses")
struct LimiterAndListenTests {
    @Test("a token bucket allows its burst, refuses with a wait, and refills with time")
    func bucket() {
        let limiter = RateLimiter(RateLimit(burst: 2, perSecond: 0.5))
        let t0 = ContinuousClock.now
        #expect(limiter.acquire("a", now: t0) == nil)
        #expect(limiter.acquire("a", now: t0) == nil)
        #expect(limiter.acquire("a", now: t0) == 2)  // one token back after 2 s at 0.5/s
        #expect(limiter.acquire("b", now: t0) == nil)  // its own bucket
        #expect(limiter.acquire("a", now: t0 + .seconds(2)) == nil)
        #expect(limiter.acquire("a", now: t0 + .seconds(2)) != nil)
    }

    @Test("the bucket table stays bounded under many callers")
    func bounded() {
        let limiter = RateLimiter(RateLimit(burst: 1, perSecond: 1), maxKeys: 100)
        let t0 = ContinuousClock.now
        for i in 0..<1000 { #expect(limiter.acquire("k\(i)", now: t0 + .seconds(i)) == nil) }
    }

    @Test("plain HTTP only on loopback unless allowed; TLS files go together")
    func listen() throws {
        #expect(try FleetListenOptions(listen: "127.0.0.1:8443").port == 8443)
        #expect(try FleetListenOptions(listen: "[::1]:0").host == "::1")
        #expect(try FleetListenOptions(listen: "localhost:80").host == "localhost")
        #expect(throws: FleetListenError.self) { try FleetListenOptions(listen: "0.0.0.0:8443") }
        #expect(throws: FleetListenError.self) { try FleetListenOptions(listen: "192.0.2.1:8443") }
        #expect(try FleetListenOptions(listen: "0.0.0.0:8443", allowInsecureHTTP: true).usesTLS == false)
        #expect(try FleetListenOptions(listen: "0.0.0.0:8443", tlsCertificatePath: "c.pem", tlsKeyPath: "k.pem").usesTLS)
        #expect(throws: FleetListenError.self) { try FleetListenOptions(listen: "127.0.0.1:8443", tlsCertificatePath: "c.pem") }
        #expect(throws: FleetListenError.self) { try FleetListenOptions(listen: "127.0.0.1") }
        #expect(throws: FleetListenError.self) { try FleetListenOptions(listen: "127.0.0.1:70000") }
        #expect(FleetListenOptions.isLoopback("127.8.9.10"))
        #expect(!FleetListenOptions.isLoopback("127.0.0.1.example.org"))
    }
}
