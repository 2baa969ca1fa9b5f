import Foundation
import Logging
import Synchronization
import VigilFleetProtocol

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Where syslog messages go: `udp://HOST:PORT` or `tcp://HOST:PORT` (IPv6 in brackets).
public struct SyslogTarget: Sendable, Hashable, CustomStringConvertible {
    public enum Transport: String, Sendable { case udp, tcp }
    public var transport: Transport
    public var host: String
    public var port: UInt16

    public init(transport: Transport, host: String, port: UInt16) {
        self.transport = transport
        self.host = host
        self.port = port
    }

    /// Parses `udp://HOST:PORT` or `tcp://HOST:PORT`.
    public init(_ text: String) throws {
        let lower = text.lowercased()
        let transport: Transport
        if lower.hasPrefix("udp://") { transport = .udp } else if lower.hasPrefix("tcp://") { transport = .tcp } else {
            throw NotifyError("syslog target must be udp://HOST:PORT or tcp://HOST:PORT, not \(text.prefix(200))")
        }
        let rest = text.dropFirst(6)
        let host: Substring
        let portText: Substring
        if rest.hasPrefix("[") {
            guard let close = rest.firstIndex(of: "]"), rest[rest.index(after: close)...].hasPrefix(":") else {
                throw NotifyError("bad IPv6 syslog target \(text.prefix(200)): use udp://[ADDRESS]:PORT")
            }
            host = rest[rest.index(after: rest.startIndex)..<close]
            portText = rest[rest.index(close, offsetBy: 2)...]
        } else {
            guard let colon = rest.lastIndex(of: ":") else { throw NotifyError("syslog target \(text.prefix(200)) has no :PORT") }
            host = rest[..<colon]
            portText = rest[rest.index(after: colon)...]
        }
        guard !host.isEmpty, host.utf8.count <= 253 else { throw NotifyError("syslog target \(text.prefix(200)) has no host") }
        guard let port = UInt16(portText), port > 0 else { throw NotifyError("syslog target \(text.prefix(200)): port must be 1 to 65535") }
        self.init(transport: transport, host: String(host), port: port)
    }

    public var description: String {
        "\(transport.rawValue)://\(host.contains(":") ? "[\(host)]" : host):\(port)"
    }
}

/// Sends each ``VerdictChange`` as an RFC 5424 message (JSON or CEF, see ``SyslogMessage``) over UDP
/// (one datagram per message, RFC 5426) or TCP (octet-counting framing, RFC 6587: `LENGTH SP MESSAGE`).
///
/// The TCP connection is kept open and re-established after an error; a message that could not be
/// sent whole is retried with backoff. UDP gives no delivery guarantee: a datagram the network loses
/// is not noticed.
public final class SyslogNotifier: VerdictNotifier {
    public let name: String
    public let target: SyslogTarget
    private let queue: DeliveryQueue<VerdictChange>

    /// Largest message sent (a UDP datagram must fit; collectors commonly accept 64 KiB on TCP too).
    public static let maxMessageBytes = 60_000

    public init(
        target: SyslogTarget, payload: SyslogPayload, version: String, capacity: Int = 10_000, retry: RetryPolicy = RetryPolicy(),
        timeout: Duration = .seconds(5), logger: Logger = Logger(label: "vigil.notify.syslog")
    ) {
        self.target = target
        self.name = "syslog \(target) (\(payload.rawValue))"
        let connection = SyslogConnection(target: target, timeoutMilliseconds: Int32(clamping: timeout.components.seconds * 1000))
        let hostname = SyslogNotifier.localHostname()
        let pid = getpid()
        queue = DeliveryQueue(name: name, capacity: capacity, retry: retry, logger: logger) { change in
            let message = try SyslogMessage.rfc5424(change, payload: payload, hostname: hostname, processID: pid, version: version)
            guard message.count <= Self.maxMessageBytes else {
                throw NotifyError("message of \(message.count) bytes is over \(Self.maxMessageBytes)")
            }
            let framed = target.transport == .tcp ? Array("\(message.count) ".utf8) + message : message
            try connection.send(framed)
        }
    }

    static func localHostname() -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count - 1) == 0 else { return "-" }
        return String(decoding: buffer.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    public func enqueue(_ changes: [VerdictChange]) { queue.offer(changes) }
    public func statistics() -> NotifierStatistics { queue.statistics() }
    public func shutdown(timeout: Duration) async { await queue.shutdown(timeout: timeout) }
}

/// One socket to the collector, opened on first use and after any error. Used by one worker at a time.
final class SyslogConnection: Sendable {
    let target: SyslogTarget
    let timeoutMilliseconds: Int32
    private let descriptor = Mutex<Int32>(-1)

    init(target: SyslogTarget, timeoutMilliseconds: Int32) {
        self.target = target
        self.timeoutMilliseconds = max(100, timeoutMilliseconds)
    }

    deinit {
        descriptor.withLock { if $0 >= 0 { close($0) } }
    }

    func send(_ bytes: [UInt8]) throws {
        try descriptor.withLock { fd in
            if fd < 0 { fd = try open() }
            do {
                try sendAll(fd, bytes)
            } catch {
                close(fd)
                fd = -1
                throw error
            }
        }
    }

    private func sendAll(_ fd: Int32, _ bytes: [UInt8]) throws {
        var sent = 0
        while sent < bytes.count {
            let n = bytes.withUnsafeBytes { raw in
                #if canImport(Glibc)
                Glibc.send(fd, raw.baseAddress! + sent, raw.count - sent, Int32(MSG_NOSIGNAL))
                #else
                Darwin.send(fd, raw.baseAddress! + sent, raw.count - sent, 0)
                #endif
            }
            if n < 0 {
                if errno == EINTR { continue }
                throw NotifyError("send to \(target) failed: \(String(cString: strerror(errno)))")
            }
            if target.transport == .udp && n != bytes.count { throw NotifyError("datagram to \(target) truncated") }
            sent += n
        }
    }

    /// Resolves the target and connects (non-blocking connect bounded by the timeout).
    private func open() throws -> Int32 {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        #if canImport(Glibc)
        hints.ai_socktype = Int32(target.transport == .udp ? SOCK_DGRAM.rawValue : SOCK_STREAM.rawValue)
        #else
        hints.ai_socktype = target.transport == .udp ? SOCK_DGRAM : SOCK_STREAM
        #endif
        var list: UnsafeMutablePointer<addrinfo>?
        let rc = getaddrinfo(target.host, String(target.port), &hints, &list)
        guard rc == 0, let first = list else { throw NotifyError("cannot resolve \(target.host): \(String(cString: gai_strerror(rc)))") }
        defer { freeaddrinfo(list) }
        var lastError = "no address"
        var entry: UnsafeMutablePointer<addrinfo>? = first
        while let ai = entry {
            entry = ai.pointee.ai_next
            let fd = socket(ai.pointee.ai_family, ai.pointee.ai_socktype, ai.pointee.ai_protocol)
            if fd < 0 {
                lastError = String(cString: strerror(errno))
                continue
            }
            var tv = timeval()
            tv.tv_sec = .init(timeoutMilliseconds / 1000)
            tv.tv_usec = .init(timeoutMilliseconds % 1000 * 1000)
            _ = setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
            let flags = fcntl(fd, F_GETFL, 0)
            _ = fcntl(fd, F_SETFL, flags | O_NONBLOCK)
            var ok = connect(fd, ai.pointee.ai_addr, ai.pointee.ai_addrlen) == 0
            if !ok && errno == EINPROGRESS {
                var p = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
                if poll(&p, 1, timeoutMilliseconds) == 1 {
                    var error: Int32 = 0
                    var length = socklen_t(MemoryLayout<Int32>.size)
                    getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length)
                    ok = error == 0
                    if !ok { errno = error }
                } else {
                    errno = ETIMEDOUT
                }
            }
            if ok {
                _ = fcntl(fd, F_SETFL, flags)
                return fd
            }
            lastError = String(cString: strerror(errno))
            close(fd)
        }
        throw NotifyError("cannot connect to \(target): \(lastError)")
    }
}
