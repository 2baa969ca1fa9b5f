/// How the follower treats a file, decided from its name and folder (never from its content: the
/// content's format is detected by VigilHunt, as `vigil hunt` detects it).
struct LogName: Sendable, Hashable {
    enum Kind: Sendable, Hashable {
        /// Read by ``VigilHunt/HuntEngine``: Zeek conn/dns/http/ssl, Suricata EVE, Squid access logs.
        case hunt
        /// Read by ``VigilHunt/DHCPLogReader``: Zeek dhcp logs (leases for address attribution).
        case dhcp
    }

    var kind: Kind
    /// True for the file a logger is still writing (`conn.log`, `eve.json`, `access.log`): it may
    /// grow, so a last line without its newline waits. Every other name is a rotation: complete,
    /// read once to its end.
    var live: Bool
    /// The group whose rotated files are scored for beacons together once all are read: a Zeek day
    /// folder (`day:2023-03-29`), the files of one Zeek rotation (`rotation:2023-03-29-10-00-00`),
    /// or a single file (`nil`: the file alone).
    var beaconGroup: String?

    static let zeekLogs: Set<String> = ["conn", "dns", "http", "ssl", "dhcp"]

    /// Classifies a file by its path relative to the followed folder; `nil` for files the follower
    /// does not read (other Zeek logs such as `x509.log` or `stats.log`, anything else).
    static func classify(relativePath: String) -> LogName? {
        let parts = relativePath.split(separator: "/", omittingEmptySubsequences: true)
        guard let last = parts.last else { return nil }
        let name = last.lowercased()
        let parent = parts.count >= 2 ? String(parts[parts.count - 2]) : nil
        let parentPath = parts.dropLast().joined(separator: "/")
        let inDayFolder = parent.map(isDay) ?? false
        let dayGroup = inDayFolder ? "day:" + parentPath : nil
        let first = name.split(separator: ".", maxSplits: 1).first.map(String.init) ?? name
        if zeekLogs.contains(first), name.contains(".log") {
            let live = name == first + ".log" && !inDayFolder
            var group = dayGroup
            if group == nil, !live {
                // conn.2023-03-29-10-00-00.log(.gz): the rotation stamp between the log name and `.log`.
                var rest = String(name.dropFirst(first.count + 1))
                if rest.hasSuffix(".gz") { rest.removeLast(3) }
                if rest.hasSuffix(".log") { rest.removeLast(4) }
                if !rest.isEmpty { group = "rotation:" + (parentPath.isEmpty ? "" : parentPath + "/") + rest }
            }
            return LogName(kind: first == "dhcp" ? .dhcp : .hunt, live: live, beaconGroup: group)
        }
        if name.hasPrefix("eve"), name.contains(".json") {
            return LogName(kind: .hunt, live: name == "eve.json" && !inDayFolder, beaconGroup: dayGroup)
        }
        if name.hasPrefix("access"), name.contains(".log") {
            return LogName(kind: .hunt, live: name == "access.log" && !inDayFolder, beaconGroup: dayGroup)
        }
        return nil
    }

    /// `YYYY-MM-DD`, as Zeek names its archive folders.
    static func isDay(_ s: String) -> Bool {
        let b = Array(s.utf8)
        guard b.count == 10, b[4] == UInt8(ascii: "-"), b[7] == UInt8(ascii: "-") else { return false }
        return b.enumerated().allSatisfy { i, c in i == 4 || i == 7 || (c >= 0x30 && c <= 0x39) }
    }
}
