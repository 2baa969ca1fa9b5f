import Foundation

/// Bounded parsers for what browsers post: `application/x-www-form-urlencoded` and
/// `multipart/form-data`. Hostile input is expected; every count and size is capped.
enum FormParsing {
    static let maxFields = 64

    /// Decodes `a=1&b=x+y` (plus is a space, `%XX` escapes); malformed escapes make the field
    /// undecodable and it is left out. At most ``maxFields`` fields; the first of a repeated name wins.
    static func urlEncoded(_ bytes: [UInt8]) -> [String: String] {
        var out: [String: String] = [:]
        for pair in bytes.split(separator: UInt8(ascii: "&"), omittingEmptySubsequences: true).prefix(maxFields) {
            let parts = pair.split(separator: UInt8(ascii: "="), maxSplits: 1, omittingEmptySubsequences: false)
            guard let name = percentDecode(parts[0]) else { continue }
            let value = parts.count > 1 ? percentDecode(parts[1]) : ""
            if let value, out[name] == nil { out[name] = value }
        }
        return out
    }

    static func percentDecode(_ bytes: some Collection<UInt8>) -> String? {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var it = Array(bytes)[...]
        while let b = it.popFirst() {
            if b == UInt8(ascii: "+") {
                out.append(UInt8(ascii: " "))
            } else if b == UInt8(ascii: "%") {
                guard let h = it.popFirst(), let l = it.popFirst(), let hv = hexValue(h), let lv = hexValue(l) else { return nil }
                out.append(hv << 4 | lv)
            } else {
                out.append(b)
            }
        }
        return String(validating: out, as: UTF8.self)
    }

    private static func hexValue(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): c - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    /// One part of a multipart body.
    struct Part {
        var name: String
        var fileName: String?
        var body: [UInt8]
    }

    /// The boundary of a `multipart/form-data; boundary=…` content type (1 to 70 characters, RFC 2046).
    static func boundary(contentType: String) -> String? {
        let pieces = contentType.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
        guard pieces.first?.lowercased() == "multipart/form-data" else { return nil }
        for piece in pieces.dropFirst() where piece.lowercased().hasPrefix("boundary=") {
            var value = String(piece.dropFirst("boundary=".count))
            if value.hasPrefix("\""), value.hasSuffix("\""), value.count >= 2 { value = String(value.dropFirst().dropLast()) }
            return (1...70).contains(value.utf8.count) ? value : nil
        }
        return nil
    }

    /// Splits a multipart body into at most ``maxFields`` parts; nil when it is not well formed.
    static func multipart(_ body: [UInt8], boundary: String) -> [Part]? {
        let delimiter = Array("--\(boundary)".utf8)
        var positions: [Int] = []
        var i = 0
        while let found = find(delimiter, in: body, from: i) {
            positions.append(found)
            guard positions.count <= maxFields + 1 else { return nil }
            i = found + delimiter.count
        }
        guard positions.count >= 2 else { return nil }
        var parts: [Part] = []
        for (start, end) in zip(positions, positions.dropFirst()) {
            var from = start + delimiter.count
            // CRLF after the delimiter line.
            guard from + 2 <= end, body[from] == 13, body[from + 1] == 10 else { return nil }
            from += 2
            guard let headerEnd = find([13, 10, 13, 10], in: body, from: from), headerEnd < end else { return nil }
            guard let headers = String(validating: body[from..<headerEnd], as: UTF8.self) else { return nil }
            // The part's body ends with CRLF before the next delimiter.
            let contentEnd = end - 2
            let contentStart = headerEnd + 4
            guard contentEnd >= contentStart, body[contentEnd] == 13, body[contentEnd + 1] == 10 else { return nil }
            var name: String?
            var fileName: String?
            for line in headers.split(separator: "\r\n") where line.lowercased().hasPrefix("content-disposition:") {
                name = parameter("name", in: String(line))
                fileName = parameter("filename", in: String(line))
            }
            guard let name else { continue }
            parts.append(Part(name: name, fileName: fileName, body: Array(body[contentStart..<contentEnd])))
        }
        return parts
    }

    /// A quoted parameter of a header line (`name="x"`); the quoted value may not hold a quote.
    static func parameter(_ key: String, in line: String) -> String? {
        for piece in line.split(separator: ";").dropFirst() {
            let t = piece.trimmingCharacters(in: .whitespaces)
            guard t.lowercased().hasPrefix(key + "=") else { continue }
            var value = String(t.dropFirst(key.count + 1))
            if value.hasPrefix("\""), value.hasSuffix("\""), value.count >= 2 { value = String(value.dropFirst().dropLast()) }
            return String(value.prefix(255))
        }
        return nil
    }

    /// The first index of `needle` in `haystack` at or after `from`: Knuth–Morris–Pratt, linear in
    /// the haystack whatever a hostile body repeats.
    static func find(_ needle: [UInt8], in haystack: [UInt8], from: Int) -> Int? {
        guard !needle.isEmpty, from >= 0, haystack.count - from >= needle.count else { return nil }
        var failure = [Int](repeating: 0, count: needle.count)
        var k = 0
        for i in 1..<max(1, needle.count) {
            while k > 0 && needle[i] != needle[k] { k = failure[k - 1] }
            if needle[i] == needle[k] { k += 1 }
            failure[i] = k
        }
        var matched = 0
        for i in from..<haystack.count {
            while matched > 0 && haystack[i] != needle[matched] { matched = failure[matched - 1] }
            if haystack[i] == needle[matched] { matched += 1 }
            if matched == needle.count { return i - needle.count + 1 }
        }
        return nil
    }
}
