import Foundation
import VigilFleetProtocol

#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// The facts an agent reports about its machine.
public enum HostFacts {
    public static func current(agentVersion: String) -> AgentFacts {
        var name = [CChar](repeating: 0, count: 256)
        gethostname(&name, name.count - 1)
        let hostname = cString(name)
        var u = utsname()
        uname(&u)
        let release = withUnsafeBytes(of: &u.release) { raw in String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self) }
        let machineID = ["/etc/machine-id", "/var/lib/dbus/machine-id"]
            .lazy.compactMap { try? String(contentsOfFile: $0, encoding: .utf8) }
            .map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
            .first { !$0.isEmpty }
        #if os(Linux)
        let os = "linux"
        #elseif os(macOS)
        let os = "macos"
        #else
        let os = "unknown"
        #endif
        return AgentFacts(
            hostname: hostname, hostIdentifier: machineID ?? "hostname:" + hostname, os: os, osVersion: release,
            agentVersion: agentVersion, addresses: addresses())
    }

    /// IPv4 and IPv6 addresses of the machine's interfaces, loopback and link-local excluded.
    public static func addresses() -> [String] {
        var head: UnsafeMutablePointer<ifaddrs>?
        guard getifaddrs(&head) == 0, let first = head else { return [] }
        defer { freeifaddrs(head) }
        var result: Set<String> = []
        var cursor: UnsafeMutablePointer<ifaddrs>? = first
        while let entry = cursor {
            defer { cursor = entry.pointee.ifa_next }
            guard let sa = entry.pointee.ifa_addr else { continue }
            let family = Int32(sa.pointee.sa_family)
            guard family == AF_INET || family == AF_INET6 else { continue }
            var host = [CChar](repeating: 0, count: Int(NI_MAXHOST))
            let length = socklen_t(family == AF_INET ? MemoryLayout<sockaddr_in>.size : MemoryLayout<sockaddr_in6>.size)
            guard getnameinfo(sa, length, &host, socklen_t(host.count), nil, 0, NI_NUMERICHOST) == 0 else { continue }
            let text = cString(host)
            if text.hasPrefix("127.") || text == "::1" || text.lowercased().hasPrefix("fe80") { continue }
            result.insert(text)
        }
        return Array(result.sorted().prefix(64))  // a server takes a bounded list
    }
}

/// A NUL-terminated C buffer as text.
private func cString(_ buffer: [CChar]) -> String {
    let end = buffer.firstIndex(of: 0) ?? buffer.count
    return String(decoding: buffer[..<end].map { UInt8(bitPattern: $0) }, as: UTF8.self)
}
