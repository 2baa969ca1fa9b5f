import Crypto
import Foundation
import Testing
import VigilFleetProtocol
import VigilVerdicts

@testable import VigilNotify

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A loopback socket bound to a free port, for the notifiers to send to.
final class LoopbackListener: @unchecked Sendable {
    let fd: Int32
    let port: UInt16
    /// A loopback address of this suite's own (`127.77.x.y`, all of 127/8 is loopback on Linux):
    /// other suites' clients still retrying a closed listener on 127.0.0.1 can never reach it.
    let host: String

    init(udp: Bool) throws {
        #if canImport(Glibc)
        let fd = socket(AF_INET, Int32(udp ? SOCK_DGRAM.rawValue : SOCK_STREAM.rawValue), 0)
        #else
        let fd = socket(AF_INET, udp ? SOCK_DGRAM : SOCK_STREAM, 0)
        #endif
        self.fd = fd
        #if os(Linux)
        let host = "127.77.\(Int.random(in: 0...255)).\(Int.random(in: 1...254))"
        #else
        let host = "127.0.0.1"  // macOS configures only 127.0.0.1 on lo0
        #endif
        self.host = host
        // No SO_REUSEADDR: with it, the kernel may hand the same ephemeral port to another socket of
        // this process that also sets it (NIO's servers do), and connections or datagrams go astray.
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr(host)
        address.sin_port = 0
        let bound = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        guard bound == 0 else { throw NotifyError("bind failed") }
        if !udp { listen(fd, 8) }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        port = UInt16(bigEndian: address.sin_port)
    }

    deinit {
        close(fd)
    }

    /// Waits up to `milliseconds` for `fd` to become readable, without blocking a thread of the
    /// cooperative pool (the notifier under test needs one to send).
    static func readable(_ fd: Int32, _ milliseconds: Int) async -> Bool {
        let deadline = ContinuousClock.now + .milliseconds(milliseconds)
        while ContinuousClock.now < deadline {
            var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            if poll(&p, 1, 0) == 1 { return true }
            try? await Task.sleep(for: .milliseconds(5))
        }
        return false
    }

    /// One datagram.
    func receiveDatagram(timeoutMilliseconds: Int = 30_000) async -> [UInt8]? {
        guard await Self.readable(fd, timeoutMilliseconds) else { return nil }
        var buffer = [UInt8](repeating: 0, count: 65_536)
        let n = recv(fd, &buffer, buffer.count, 0)
        return n > 0 ? Array(buffer.prefix(n)) : nil
    }

    /// Accepts one connection.
    func accept(timeoutMilliseconds: Int = 30_000) async -> Int32? {
        guard await Self.readable(fd, timeoutMilliseconds) else { return nil }
        #if canImport(Glibc)
        let c = Glibc.accept(fd, nil, nil)
        #else
        let c = Darwin.accept(fd, nil, nil)
        #endif
        return c >= 0 ? c : nil
    }

    /// Reads from a connection until `done` says the bytes are complete, the peer closes, or time runs out.
    static func read(_ c: Int32, timeoutMilliseconds: Int = 30_000, until done: ([UInt8]) -> Bool) async -> [UInt8] {
        var all: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while !done(all), await readable(c, timeoutMilliseconds) {
            let n = recv(c, &buffer, buffer.count, 0)
            if n <= 0 { break }
            all += buffer.prefix(n)
        }
        return all
    }

    static func write(_ c: Int32, _ text: String) {
        let bytes = Array(text.utf8)
        _ = bytes.withUnsafeBytes { send(c, $0.baseAddress!, $0.count, 0) }
    }
}

/// A parsed HTTP/1.1 request with a Content-Length body.
struct ReceivedRequest {
    var head: String
    var headers: [String: String]
    var body: [UInt8]

    init?(_ bytes: [UInt8]) {
        guard let end = Self.headEnd(bytes) else { return nil }
        head = String(decoding: bytes[..<end], as: UTF8.self)
        headers = [:]
        for line in head.components(separatedBy: "\r\n").dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        let length = Int(headers["content-length"] ?? "0") ?? 0
        guard bytes.count >= end + 4 + length else { return nil }
        body = Array(bytes[(end + 4)..<(end + 4 + length)])
    }

    static func headEnd(_ b: [UInt8]) -> Int? {
        guard b.count >= 4 else { return nil }
        for i in 0...(b.count - 4) where b[i] == 13 && b[i + 1] == 10 && b[i + 2] == 13 && b[i + 3] == 10 { return i }
        return nil
    }
}

let hostileName = "evil|host=x\\y\nCEF:0|Forged|x|1|x|x|10|"

func sampleChange(_ hostname: String = "pc-17.corp", to: VerdictState = .active) -> VerdictChange {
    VerdictChange(
        hostID: 17, hostname: hostname, from: .dormant, to: to, at: Date(timeIntervalSince1970: 1_680_000_000.25),
        reasons: ["compromised-file", "c2-contact-after-file"])
}

let fastRetry = RetryPolicy(attempts: 4, initialDelay: .milliseconds(20), maximumDelay: .milliseconds(100))

/// One test at a time: several tests open and close loopback sockets and HTTP clients in one
/// process, and a port or descriptor one test closes must not be reused under another.
@Suite("Notifiers over loopback sockets", .serialized)
struct NotifyTests {
    @Test("the webhook POSTs the change as JSON with a valid HMAC, after retrying a 503")
    func webhookSignedAndRetried() async throws {
        let listener = try LoopbackListener(udp: false)
        let secret = Array("s3cret-key".utf8)
        let notifier = try WebhookNotifier(url: "http://\(listener.host):\(listener.port)/hook", secret: secret, retry: fastRetry, timeout: .seconds(90))
        notifier.enqueue([sampleChange()])

        // The HTTP side runs on a thread of its own with blocking polls: with the whole suite running,
        // other tests can occupy the cooperative pool for many seconds, and a server that needs a pool
        // thread to answer would let the notifier's request time out. The first request of this
        // notifier is answered 503, so it must retry; the second gets 204.
        let served = await withCheckedContinuation { (done: CheckedContinuation<(Bool, ReceivedRequest?), Never>) in
            let thread = Thread {
                var answered503 = false
                let deadline = Date().addingTimeInterval(120)
                while Date() < deadline {
                    var p = pollfd(fd: listener.fd, events: Int16(POLLIN), revents: 0)
                    guard poll(&p, 1, 1000) == 1 else { continue }
                    #if canImport(Glibc)
                    let c = Glibc.accept(listener.fd, nil, nil)
                    #else
                    let c = Darwin.accept(listener.fd, nil, nil)
                    #endif
                    guard c >= 0 else { continue }
                    var all: [UInt8] = []
                    var buffer = [UInt8](repeating: 0, count: 65_536)
                    while ReceivedRequest(all) == nil {
                        var q = pollfd(fd: c, events: Int16(POLLIN), revents: 0)
                        guard poll(&q, 1, 30_000) == 1 else { break }
                        let n = recv(c, &buffer, buffer.count, 0)
                        if n <= 0 { break }
                        all += buffer.prefix(n)
                    }
                    guard let request = ReceivedRequest(all) else { close(c); continue }
                    if !answered503 {
                        LoopbackListener.write(c, "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
                        close(c)
                        answered503 = true
                        continue
                    }
                    LoopbackListener.write(c, "HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n")
                    close(c)
                    done.resume(returning: (true, request))
                    return
                }
                done.resume(returning: (answered503, nil))
            }
            thread.start()
        }
        #expect(served.0, "the first attempt was never answered 503")
        let request = try #require(served.1)
        #expect(request.head.hasPrefix("POST /hook HTTP/1.1"))
        #expect(request.headers["content-type"] == "application/json")
        let signature = try #require(request.headers["x-vigil-signature"])
        let expected = HMAC<SHA256>.authenticationCode(for: request.body, using: SymmetricKey(data: secret)).map { String(format: "%02x", $0) }.joined()
        #expect(signature == "sha256=" + expected)
        // A different key must not verify.
        let wrong = HMAC<SHA256>.authenticationCode(for: request.body, using: SymmetricKey(data: Array("other".utf8))).map { String(format: "%02x", $0) }.joined()
        #expect(signature != "sha256=" + wrong)
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        let change = try decoder.decode(VerdictChange.self, from: Data(request.body))
        #expect(change.hostname == "pc-17.corp" && change.to == .active && change.from == .dormant)

        await notifier.shutdown(timeout: .seconds(30))  // returns once drained; long only when the pool is starved
        withExtendedLifetime(listener) {}
        let stats = notifier.statistics()
        #expect(stats.delivered == 1)
        #expect(stats.retries >= 1)
        #expect(stats.failed == 0 && stats.dropped == 0)
    }

    @Test("a full queue drops and counts, never blocks")
    func boundedQueue() async throws {
        // Nothing listens on this port; the single worker is busy retrying the first change.
        let listener = try LoopbackListener(udp: false)
        let port = listener.port
        let notifier = try WebhookNotifier(
            url: "http://127.0.0.1:\(port)/", secret: nil, capacity: 3,
            retry: RetryPolicy(attempts: 2, initialDelay: .seconds(30), maximumDelay: .seconds(30)))
        let clock = ContinuousClock()
        let start = clock.now
        notifier.enqueue((0..<50).map { sampleChange("h\($0)") })
        #expect(clock.now - start < .seconds(1))
        let stats = notifier.statistics()
        // At most capacity waiting plus the one the worker took.
        #expect(stats.dropped >= 46 && stats.dropped <= 47)
        await notifier.shutdown(timeout: .milliseconds(200))
        withExtendedLifetime(listener) {}
    }

    @Test("UDP syslog: one RFC 5424 datagram with the JSON change")
    func udpJSON() async throws {
        let listener = try LoopbackListener(udp: true)
        let notifier = SyslogNotifier(target: try SyslogTarget("udp://\(listener.host):\(listener.port)"), payload: .json, version: "9.9.9", retry: fastRetry)
        notifier.enqueue([sampleChange()])
        let datagram = try #require(await listener.receiveDatagram())
        let text = String(decoding: datagram, as: UTF8.self)
        // PRI = local0 (16) * 8 + critical (2) = 130.
        #expect(text.hasPrefix("<130>1 2023-03-28T10:40:00.250Z "))
        let parts = text.split(separator: " ", maxSplits: 6)
        #expect(parts.count == 7)
        #expect(parts[3] == "vigil" && parts[5] == "verdict")
        let body = String(parts[6].dropFirst(2))  // "- " (no structured data)
        #expect(parts[6].hasPrefix("- {"))
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        let change = try decoder.decode(VerdictChange.self, from: Data(body.utf8))
        #expect(change.hostID == 17 && change.reasons == ["compromised-file", "c2-contact-after-file"])
        await notifier.shutdown(timeout: .seconds(1))
        withExtendedLifetime(listener) {}
        #expect(notifier.statistics().delivered == 1)
    }

    @Test("TCP syslog: octet-counted CEF with a hostile host name escaped")
    func tcpCEF() async throws {
        let listener = try LoopbackListener(udp: false)
        let notifier = SyslogNotifier(target: try SyslogTarget("tcp://\(listener.host):\(listener.port)"), payload: .cef, version: "9.9.9", retry: fastRetry)
        notifier.enqueue([sampleChange(hostileName), sampleChange("second", to: .clean)])
        let c = try #require(await listener.accept())
        defer { close(c) }
        // Parse octet-counted frames: LENGTH SP MESSAGE.
        var frames: [String] = []
        let bytes = await LoopbackListener.read(c) { all in
            var rest = all[...]
            var n = 0
            while let sp = rest.firstIndex(of: 32), let length = Int(String(decoding: rest[..<sp], as: UTF8.self)), rest.count >= sp - rest.startIndex + 1 + length {
                rest = rest[(sp + 1 + length)...]
                n += 1
            }
            return n >= 2
        }
        var rest = bytes[...]
        while let sp = rest.firstIndex(of: 32), let length = Int(String(decoding: rest[..<sp], as: UTF8.self)) {
            let start = sp + 1
            guard rest.endIndex - start >= length else { break }
            frames.append(String(decoding: rest[start..<(start + length)], as: UTF8.self))
            rest = rest[(start + length)...]
        }
        try #require(frames.count == 2)
        #expect(!frames[0].contains("\n"))
        let cef = try #require(frames[0].range(of: "CEF:0|")).lowerBound
        let line = String(frames[0][cef...])
        #expect(line.hasPrefix("CEF:0|Vigil|vigil|9.9.9|verdict-active|Host verdict changed to active|10|dhost="))
        // The host name's `=`, `\` and line feed are escaped; its pipes need no escaping in an extension value.
        #expect(line.contains(#"dhost=evil|host\=x\\y\nCEF:0|Forged|x|1|x|x|10| externalId=17"#))
        #expect(line.contains("cs1Label=previousState cs1=dormant cs2Label=newState cs2=active cs3Label=reasons cs3=compromised-file,c2-contact-after-file"))
        #expect(line.contains("rt=1680000000250"))
        // The header ends at the 7th unescaped pipe, right before the extension: the hostile name's
        // pipes and its forged "CEF:0|" cannot end the header early or start a second one.
        var pipes = 0
        var escaped = false
        var headerEnd = line.endIndex
        for i in line.indices {
            if escaped { escaped = false; continue }
            if line[i] == "\\" { escaped = true } else if line[i] == "|" {
                pipes += 1
                if pipes == 7 { headerEnd = line.index(after: i); break }
            }
        }
        #expect(pipes == 7)
        #expect(line[headerEnd...].hasPrefix("dhost=evil|host\\="))
        #expect(frames[1].hasPrefix("<134>1 "))  // local0, informational: clean
        #expect(frames[1].contains("|verdict-clean|Host verdict changed to clean|0|dhost=second "))
        await notifier.shutdown(timeout: .seconds(1))
        withExtendedLifetime(listener) {}
        #expect(notifier.statistics().delivered == 2)
    }

    @Test("CEF header fields escape pipes and backslashes")
    func cefHeaderEscaping() {
        #expect(SyslogMessage.cefHeader(#"a|b\c"#) == #"a\|b\\c"#)
        #expect(SyslogMessage.cefHeader("a\nb") == "a b")
        #expect(SyslogMessage.cefValue("a=b\r\n\u{1}") == #"a\=b\r\n "#)
    }

    @Test("syslog targets parse, bad ones are refused")
    func targets() throws {
        let t = try SyslogTarget("tcp://[::1]:6514")
        #expect(t.transport == .tcp && t.host == "::1" && t.port == 6514)
        #expect(try SyslogTarget("udp://siem.example:514").host == "siem.example")
        #expect(throws: NotifyError.self) { try SyslogTarget("http://x:1") }
        #expect(throws: NotifyError.self) { try SyslogTarget("udp://x:0") }
        #expect(throws: NotifyError.self) { try SyslogTarget("udp://x") }
        #expect(throws: NotifyError.self) { try WebhookNotifier(url: "ftp://x/", secret: nil) }
    }

    @Test("backoff grows, stays under the cap, and jitters")
    func backoff() {
        let p = RetryPolicy(attempts: 10, initialDelay: .seconds(1), maximumDelay: .seconds(60))
        let d1 = p.delay(beforeRetry: 1)
        #expect(d1 >= .milliseconds(500) && d1 <= .seconds(1))
        let d5 = p.delay(beforeRetry: 5)
        #expect(d5 >= .seconds(8) && d5 <= .seconds(16))
        let d20 = p.delay(beforeRetry: 20)
        #expect(d20 >= .seconds(30) && d20 <= .seconds(60))
        let samples = Set((0..<20).map { _ in p.delay(beforeRetry: 6) })
        #expect(samples.count > 1)
    }
}
