/// The format of a log file, detected from its first lines (never from the extension alone).
public enum LogFormat: Sendable, Equatable, CustomStringConvertible {
    /// Zeek ASCII with `#` headers (or the stripped one-header-row variant); the logs named by `#path`.
    case zeekTSV
    /// Zeek JSON lines (native or json-streaming-logs).
    case zeekJSON
    /// Suricata EVE JSON.
    case suricataEVE
    /// Squid native access.log.
    case squid
    /// Generic CSV read through `--map`.
    case mappedCSV
    /// Generic JSON lines read through `--map`.
    case mappedJSON

    public var description: String {
        switch self {
        case .zeekTSV: "zeek-tsv"
        case .zeekJSON: "zeek-json"
        case .suricataEVE: "suricata-eve"
        case .squid: "squid"
        case .mappedCSV: "csv (mapped)"
        case .mappedJSON: "json (mapped)"
        }
    }

    /// Detects the format from the first non-empty lines of a file.
    /// - Parameter mapped: whether a `--map` was given (generic CSV/JSON is only accepted then).
    /// - Returns: the format, or `nil` when the file is none of them.
    static func detect(firstLines: [[UInt8]], mapped: Bool) -> LogFormat? {
        guard let first = firstLines.first(where: { !$0.isEmpty }) else { return nil }
        return first.withUnsafeBytes { line -> LogFormat? in
            if line.count > 1, line[0] == UInt8(ascii: "#") {
                if line.slice(0, min(line.count, 10)).equals("#separator") || line.slice(0, min(line.count, 7)).equals("#fields") { return .zeekTSV }
                return nil
            }
            let firstByte = JSON.skipSpace(line, 0)
            if firstByte < line.count, line[firstByte] == UInt8(ascii: "{") {
                var eventType = false
                var zeek = false
                JSON.members(line) { key, _ in
                    if key.equals("event_type") { eventType = true }
                    if key.equals("_path") || key.equals("id.orig_h") || key.equals("uid") { zeek = true }
                }
                if eventType { return .suricataEVE }
                if zeek && !mapped { return .zeekJSON }
                return mapped ? .mappedJSON : nil
            }
            if SquidReader.looksLikeSquid(line) { return .squid }
            // Stripped Zeek TSV: one header row of tab-separated field names including ts.
            let names = line.split(separator: 0x09)
            if names.count > 3, names.contains(where: { $0.elementsEqual("ts".utf8) }),
               names.contains(where: { $0.elementsEqual("id.orig_h".utf8) }) { return .zeekTSV }
            if mapped && line.contains(UInt8(ascii: ",")) { return .mappedCSV }
            return nil
        }
    }
}

extension UnsafeRawBufferPointer {
    /// Index of the first `byte`, if any.
    func firstIndex(of byte: UInt8) -> Int? {
        for i in 0..<count where self[i] == byte { return i }
        return nil
    }

    /// Index of the last `byte`, if any.
    func lastIndex(of byte: UInt8) -> Int? {
        var i = count - 1
        while i >= 0 { if self[i] == byte { return i }; i -= 1 }
        return nil
    }
}
