import Foundation
import _VigilTestSupport

#if canImport(Glibc)
import Glibc
#endif

/// The Python stand-in server (fake_fleet_server.py) on a loopback port, stopped on release.
final class FakeServer {
    let work: URL
    let process = Process()
    let port: Int
    var url: String { "http://127.0.0.1:\(port)" }

    init(work: URL, plan: [String: Any] = [:], port fixedPort: Int? = nil, tls: (cert: String, key: String)? = nil) throws {
        self.work = work
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("fake_fleet_server.py")
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", script.path, work.path]
        var environment = ProcessInfo.processInfo.environment
        if let fixedPort { environment["FAKE_PORT"] = String(fixedPort) }
        if let tls {
            environment["FAKE_TLS_CERT"] = tls.cert
            environment["FAKE_TLS_KEY"] = tls.key
        }
        process.environment = environment
        let out = Pipe()
        process.standardOutput = out
        try Self.writePlan(plan, in: work)
        try process.run()
        var line = Data()
        while true {
            let byte = out.fileHandleForReading.readData(ofLength: 1)
            if byte.isEmpty || byte == Data("\n".utf8) { break }
            line.append(byte)
        }
        guard let p = Int(String(decoding: line, as: UTF8.self)) else {
            process.terminate()
            throw FakeServerError(message: "fake server did not start (is python3 installed?)")
        }
        port = p
    }

    deinit { stop() }

    func stop() {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }

    static func writePlan(_ plan: [String: Any], in work: URL) throws {
        try JSONSerialization.data(withJSONObject: plan).write(to: work.appendingPathComponent("plan.json"), options: .atomic)
    }

    func setPlan(_ plan: [String: Any]) throws { try Self.writePlan(plan, in: work) }

    /// The server's state.json: inventory per host id (path → sha256), counters.
    func state() throws -> [String: Any] {
        let data = try Data(contentsOf: work.appendingPathComponent("state.json"))
        return try JSONSerialization.jsonObject(with: data) as? [String: Any] ?? [:]
    }

    func inventory(host: Int = 7) throws -> [String: String] {
        ((try state()["inventory"] as? [String: Any])?[String(host)] as? [String: String]) ?? [:]
    }

    /// Every request logged, in order.
    func log() throws -> [[String: Any]] {
        guard let text = try? String(contentsOf: work.appendingPathComponent("log.jsonl"), encoding: .utf8) else { return [] }
        return text.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
    }
}

struct FakeServerError: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}

/// A free loopback TCP port (bound and released; good enough for a test).
func freePort() -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var addr = sockaddr_in()
    addr.sin_family = sa_family_t(AF_INET)
    addr.sin_addr.s_addr = inet_addr("127.0.0.1")
    addr.sin_port = 0
    _ = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
    var len = socklen_t(MemoryLayout<sockaddr_in>.size)
    _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
    return Int(UInt16(bigEndian: addr.sin_port))
}
