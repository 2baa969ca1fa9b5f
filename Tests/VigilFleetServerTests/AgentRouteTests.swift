import Foundation
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing
import VigilCore
import VigilDefaults
import VigilFleetProtocol
import VigilFleetServer
import VigilFleetStore
import VigilIndicators

@Suite("Fleet server: agent routes")
struct AgentRouteTests {
    @Test("enrolment returns a prefixed random key that works, and an unknown secret is refused")
    func enrolment() async throws {
        let fx = try await FleetFixture()
        defer { Task { await fx.finish() } }
        try await fx.withClient { client in
            let wrong = try await client.execute(
                uri: FleetRoutes.enroll, method: .post,
                body: try jsonBuffer(EnrollmentRequest(secret: "vigil_es_" + String(repeating: "0", count: 64), agent: facts("a"))))
            #expect(wrong.status == .unauthorized)
            #expect(try decodeBody(APIError.self, wrong).code == "unauthenticated")

            // A revoked secret enrols nobody.
            let (revokedRecord, revokedSecret) = try await FleetServer.createEnrollmentSecret(name: "old", store: fx.store)
            #expect(try await fx.store.revokeEnrollmentSecret(id: revokedRecord.id, at: Date()))
            let stale = try await client.execute(
                uri: FleetRoutes.enroll, method: .post, body: try jsonBuffer(EnrollmentRequest(secret: revokedSecret, agent: facts("z"))))
            #expect(stale.status == .unauthorized)

            let first = try await enroll(client, secret: fx.secret, name: "a")
            #expect(first.hostKey.hasPrefix(FleetTokenPrefix.hostKey))
            #expect(first.hostKey.count == FleetTokenPrefix.hostKey.count + 64)
            let other = try await enroll(client, secret: fx.secret, name: "b")
            #expect(other.hostKey != first.hostKey)
            #expect(other.hostID != first.hostID)

            // The key works; the indicators come with an ETag that gives 304 when repeated.
            let indicators = try await client.execute(uri: FleetRoutes.agentIndicators, method: .get, headers: bearer(first.hostKey))
            #expect(indicators.status == .ok)
            let etag = try #require(indicators.headers[.eTag])
            let decoded = try JSONDecoder().decode([Indicator].self, from: Data(indicators.body.readableBytesView))
            #expect(decoded.count == DefaultIndicators.indicatorSet.count)
            var conditional = bearer(first.hostKey)
            conditional[.ifNoneMatch] = etag
            let again = try await client.execute(uri: FleetRoutes.agentIndicators, method: .get, headers: conditional)
            #expect(again.status == .notModified)
            let rules = try await client.execute(uri: FleetRoutes.agentRules, method: .get, headers: bearer(first.hostKey))
            #expect(rules.status == .ok)
            #expect(String(buffer: rules.body).contains("rule "))
        }
        // Only the hash is stored: the key itself finds the host through its hash.
        let enrolled = try await fx.store.hosts(matching: HostQuery())
        #expect(enrolled.count == 2)
    }

    @Test("a revoked host key gets 401 host-key-revoked, and enrolling again gives a working key")
    func revokedKey() async throws {
        let fx = try await FleetFixture()
        defer { Task { await fx.finish() } }
        try await fx.withClient { client in
            let host = try await enroll(client, secret: fx.secret, name: "a")
            #expect(try await fx.store.revokeHostKey(hostID: host.hostID, at: Date()))
            let refused = try await client.execute(
                uri: FleetRoutes.batches, method: .post, headers: bearer(host.hostKey, gzip: true),
                body: try gzipBatch(batch(agent: facts("a"), files: [file("/opt/a")])))
            #expect(refused.status == .unauthorized)
            #expect(try decodeBody(APIError.self, refused).code == "host-key-revoked")
            #expect(try await fx.store.inventoryCount() == 0)

            let again = try await enroll(client, secret: fx.secret, name: "a")
            #expect(again.hostID == host.hostID)  // same machine identifier, same host
            let accepted = try await client.execute(
                uri: FleetRoutes.batches, method: .post, headers: bearer(again.hostKey, gzip: true),
                body: try gzipBatch(batch(agent: facts("a"), files: [file("/opt/a")])))
            #expect(accepted.status == .ok)
        }
    }

    @Test("a host key writes only its own host, whatever the body says")
    func hostIsolation() async throws {
        let fx = try await FleetFixture()
        defer { Task { await fx.finish() } }
        try await fx.withClient { client in
            let a = try await enroll(client, secret: fx.secret, name: "a")
            let b = try await enroll(client, secret: fx.secret, name: "b")
            let sha = randomSHA256()
            // Host a's key, host b's facts and b's paths in the body.
            let response = try await client.execute(
                uri: FleetRoutes.batches, method: .post, headers: bearer(a.hostKey, gzip: true),
                body: try gzipBatch(batch(agent: facts("b"), files: [file("/b/only", sha256: sha)], removed: ["/b/other"])))
            #expect(response.status == .ok)
            let hits = try await fx.store.inventory(sha256: [Data(hex: sha)])
            #expect(hits.map(\.hostID) == [a.hostID])
            #expect(try await fx.store.hasInventory(hostID: b.hostID) == false)
            // b's record keeps b's facts; a's batch did not rename it.
            #expect(try await fx.store.host(id: b.hostID)?.hostname == "b")
        }
    }

    @Test("oversized, truncated, malformed, invalid and gzip-bomb batches are refused and nothing is stored")
    func hostileBatches() async throws {
        let fx = try await FleetFixture { c in
            c.limits.maxBatchBody = 256 << 10
            c.limits.maxBatchExpanded = 1 << 20
            c.limits.maxFilesPerBatch = 100
        }
        defer { Task { await fx.finish() } }
        try await fx.withClient { client in
            let host = try await enroll(client, secret: fx.secret, name: "a")
            func post(_ body: ByteBuffer, gzip: Bool = true) async throws -> (HTTPResponse.Status, String) {
                let r = try await client.execute(uri: FleetRoutes.batches, method: .post, headers: bearer(host.hostKey, gzip: gzip), body: body)
                return (r.status, (try? decodeBody(APIError.self, r).code) ?? "")
            }
            let good = try gzip(try JSONEncoder().encode(batch(agent: facts("a"), files: [file("/opt/a")])))

            // Over the compressed cap.
            var big = ByteBuffer()
            big.writeRepeatingByte(0x41, count: 300 << 10)
            #expect(try await post(big) == (.contentTooLarge, "too-large"))
            // Truncated gzip.
            #expect(try await post(ByteBuffer(bytes: good.prefix(good.count - 12))) == (.badRequest, "malformed"))
            // Not gzip at all.
            #expect(try await post(ByteBuffer(string: "{\"batchID\":")) == (.badRequest, "malformed"))
            // Valid gzip, broken JSON.
            #expect(try await post(ByteBuffer(bytes: try gzip(Data("{\"batchID\": [1,2".utf8)))) == (.badRequest, "malformed"))
            // Valid JSON, invalid SHA-256.
            var bad = batch(agent: facts("a"), files: [file("/opt/a", sha256: "zz")])
            #expect(try await post(try gzipBatch(bad)) == (.badRequest, "malformed"))
            // A path longer than PATH_MAX.
            bad = batch(agent: facts("a"), files: [file("/" + String(repeating: "x", count: 5000))])
            #expect(try await post(try gzipBatch(bad)) == (.badRequest, "malformed"))
            // Too many files.
            bad = batch(agent: facts("a"), files: (0..<101).map { file("/opt/\($0)") })
            #expect(try await post(try gzipBatch(bad)) == (.contentTooLarge, "too-large"))
            // A gzip bomb: 8 MiB of zeros is about 8 KiB compressed, over the 1 MiB expansion cap.
            let bomb = try gzip(Data(count: 8 << 20))
            #expect(bomb.count < 64 << 10)
            #expect(try await post(ByteBuffer(bytes: bomb)) == (.contentTooLarge, "too-large"))
            // Unsupported encoding.
            var headers = bearer(host.hostKey)
            headers[.contentEncoding] = "br"
            let br = try await client.execute(uri: FleetRoutes.batches, method: .post, headers: headers, body: ByteBuffer(bytes: good))
            #expect(br.status == .unsupportedMediaType)
        }
        #expect(try await fx.store.inventoryCount() == 0)
        #expect(try await fx.store.findings(matching: FindingQuery()).isEmpty)
    }

    @Test("a batch sent twice is applied once")
    func duplicateBatch() async throws {
        let fx = try await FleetFixture()
        defer { Task { await fx.finish() } }
        try await fx.withClient { client in
            let host = try await enroll(client, secret: fx.secret, name: "a")
            let b = batch(agent: facts("a"), files: [file("/opt/a"), file("/opt/b"), file("/opt/c")])
            let first = try await client.execute(uri: FleetRoutes.batches, method: .post, headers: bearer(host.hostKey, gzip: true), body: try gzipBatch(b))
            let ack1 = try decodeBody(BatchAcknowledgement.self, first)
            #expect(ack1.duplicate == false)
            #expect(ack1.filesApplied == 3)
            #expect(ack1.resync == false)
            let second = try await client.execute(uri: FleetRoutes.batches, method: .post, headers: bearer(host.hostKey, gzip: true), body: try gzipBatch(b))
            let ack2 = try decodeBody(BatchAcknowledgement.self, second)
            #expect(ack2.duplicate == true)
            #expect(ack2.batchID == b.batchID)
        }
        #expect(try await fx.store.inventoryCount() == 3)
    }

    @Test("a batch holding a known-bad SHA-256 gives a finding on arrival")
    func findingOnArrival() async throws {
        let fx = try await FleetFixture()
        defer { Task { await fx.finish() } }
        let bad = try #require(DefaultIndicators.indicatorSet.indicators.first { $0.kind == .sha256 })
        try await fx.withClient { client in
            let host = try await enroll(client, secret: fx.secret, name: "a")
            let b = batch(agent: facts("a"), files: [file("/opt/3cx/ffmpeg.dll", sha256: bad.value), file("/opt/clean")])
            let response = try await client.execute(uri: FleetRoutes.batches, method: .post, headers: bearer(host.hostKey, gzip: true), body: try gzipBatch(b))
            let ack = try decodeBody(BatchAcknowledgement.self, response)
            #expect(ack.findingsRecorded >= 1)
            let stored = try await fx.store.findings(matching: FindingQuery(hostID: host.hostID))
            let hit = try #require(stored.first { $0.finding.check == "ioc.hash" })
            #expect(hit.finding.path == "/opt/3cx/ffmpeg.dll")
            #expect(hit.finding.indicator == bad.value)
            #expect(hit.finding.attack.contains("T1195.002"))
        }
    }

    @Test("per-host rate limit answers 429 with Retry-After")
    func rateLimit() async throws {
        let fx = try await FleetFixture { c in c.limits.hostRate = RateLimit(burst: 3, perSecond: 0.01) }
        defer { Task { await fx.finish() } }
        try await fx.withClient { client in
            let host = try await enroll(client, secret: fx.secret, name: "a")
            for _ in 0..<3 {
                let r = try await client.execute(uri: FleetRoutes.agentRules, method: .get, headers: bearer(host.hostKey))
                #expect(r.status == .ok)
            }
            let limited = try await client.execute(uri: FleetRoutes.agentRules, method: .get, headers: bearer(host.hostKey))
            #expect(limited.status == .tooManyRequests)
            #expect(try decodeBody(APIError.self, limited).code == "rate-limited")
            let retry = try #require(limited.headers[.retryAfter].flatMap { Int($0) })
            #expect(retry >= 1)
            // Another host has its own bucket.
            let other = try await enroll(client, secret: fx.secret, name: "b")
            let fine = try await client.execute(uri: FleetRoutes.agentRules, method: .get, headers: bearer(other.hostKey))
            #expect(fine.status == .ok)
        }
    }
}



extension Data {
    /// Bytes from hex text (test inputs are well formed).
    init(hex: String) {
        var bytes: [UInt8] = []
        var i = hex.startIndex
        while i < hex.endIndex {
            let j = hex.index(i, offsetBy: 2)
            bytes.append(UInt8(hex[i..<j], radix: 16)!)
            i = j
        }
        self.init(bytes)
    }
}
