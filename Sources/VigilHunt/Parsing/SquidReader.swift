/// Reads Squid's native `access.log` (`logformat squid %ts.%03tu %6tr %>a %Ss/%03>Hs %<st %rm %ru %[un %Sh/%<a %mt`):
/// space-separated, padded fields. The request start is `ts − elapsed` (Squid logs at completion);
/// the size is the reply size, since the native format has no request size.
final class SquidReader {
    func read(_ line: UnsafeRawBufferPointer, at location: SourceLocation, filter: PassFilter, sink: any RecordSink) -> String? {
        guard filter.others else { return nil }
        var fields: [UnsafeRawBufferPointer] = []
        fields.reserveCapacity(10)
        var i = 0
        while i < line.count, fields.count < 10 {
            while i < line.count, line[i] == 0x20 || line[i] == 0x09 { i += 1 }
            let start = i
            while i < line.count, line[i] != 0x20, line[i] != 0x09 { i += 1 }
            if i > start { fields.append(line.slice(start, i)) }
        }
        if fields.isEmpty { return nil }
        guard fields.count >= 7, let ts = ByteParsing.double(fields[0]), let elapsed = ByteParsing.integer(fields[1]) else {
            return "not a Squid native access.log line"
        }
        let url = fields[6]
        let method = fields[5]
        let host = SquidReader.host(ofURL: url, isConnect: method.equals("CONNECT"))
        sink.proxy(ProxyRecord(
            ts: ts - Double(elapsed) / 1000, client: IPAddress(fields[2]), method: method, host: host, url: url,
            bytes: ByteParsing.integer(fields[4]) ?? 0, location: location))
        return nil
    }

    /// Whether a line looks like Squid native format (for detection).
    static func looksLikeSquid(_ line: UnsafeRawBufferPointer) -> Bool {
        let parts = line.split(separator: 0x20, omittingEmptySubsequences: true)
        guard parts.count >= 10, parts.count <= 12 else { return false }
        let first = UnsafeRawBufferPointer(rebasing: parts[0])
        guard let ts = ByteParsing.double(first), ts > 1e8, ts < 1e10, first.contains(UInt8(ascii: ".")) else { return false }
        return parts[3].contains(UInt8(ascii: "/")) && ByteParsing.integer(UnsafeRawBufferPointer(rebasing: parts[1])) != nil
    }

    /// The host of `host:port` (CONNECT) or of an absolute URL `scheme://[user@]host[:port]/…`.
    static func host(ofURL url: UnsafeRawBufferPointer, isConnect: Bool) -> UnsafeRawBufferPointer? {
        var start = 0
        if !isConnect {
            guard let sep = findSchemeSeparator(url) else { return nil }
            start = sep + 3
        }
        var end = start
        while end < url.count, url[end] != UInt8(ascii: "/"), url[end] != UInt8(ascii: "?"), url[end] != UInt8(ascii: "#") { end += 1 }
        var authority = url.slice(start, end)
        if let at = authority.lastIndex(of: UInt8(ascii: "@")) { authority = authority.slice(at + 1, authority.count) }
        if authority.first == UInt8(ascii: "[") {
            guard let close = authority.firstIndex(of: UInt8(ascii: "]")) else { return nil }
            return authority.slice(1, close)
        }
        if let colon = authority.lastIndex(of: UInt8(ascii: ":")) { authority = authority.slice(0, colon) }
        return authority.count > 0 ? authority : nil
    }

    private static func findSchemeSeparator(_ b: UnsafeRawBufferPointer) -> Int? {
        guard b.count >= 3 else { return nil }
        for i in 0..<(min(b.count, 16) - 2) where b[i] == UInt8(ascii: ":") && b[i + 1] == UInt8(ascii: "/") && b[i + 2] == UInt8(ascii: "/") {
            return i
        }
        return nil
    }
}
