/// A minimal byte-level JSON reader for one log line.
///
/// Written by hand because log hunting reads tens of millions of JSON lines and only needs a handful
/// of fields from each: Foundation's `JSONSerialization` builds a full object tree per line and is
/// far slower (see `docs/hunt.md`). This scanner walks the members of one object, handing out each
/// value's raw byte range; nested objects and arrays are skipped by bracket matching (string-aware,
/// depth-capped) unless the caller descends into them. Strings are decoded (all escapes, including
/// `\uXXXX` surrogate pairs) only when asked.
enum JSON {
    /// The type of a JSON value.
    enum Kind: Equatable { case string, number, object, array, bool, null }

    /// One value: its kind and raw bytes (for a string: the bytes between the quotes, still escaped).
    struct Value {
        var kind: Kind
        var raw: UnsafeRawBufferPointer
        /// For strings: whether `raw` contains backslash escapes.
        var escaped: Bool

        /// Calls `body` with the value as text: strings decoded (into `scratch` when escaped),
        /// numbers and literals as written; `nil` for objects, arrays, null and bad escapes.
        func withText<R>(_ scratch: inout [UInt8], _ body: (UnsafeRawBufferPointer) -> R) -> R? {
            switch kind {
            case .string:
                if !escaped { return body(raw) }
                guard JSON.unescape(raw, into: &scratch) else { return nil }
                return scratch.withUnsafeBytes(body)
            case .number, .bool: return body(raw)
            default: return nil
            }
        }

        /// The value as a `String` (strings decoded; numbers as written).
        var string: String? {
            var scratch: [UInt8] = []
            switch kind {
            case .string:
                if !escaped { return raw.string }
                guard JSON.unescape(raw, into: &scratch) else { return nil }
                return String(decoding: scratch, as: UTF8.self)
            case .number, .bool: return raw.string
            default: return nil
            }
        }
    }

    /// Maximum nesting depth accepted.
    static let maxDepth = 64

    /// Calls `body(key, value)` for each member of the object in `bytes` (leading/trailing spaces
    /// allowed). Keys are raw (escapes not decoded; log keys never need them).
    /// - Returns: `false` when the text is not a well-formed object (members seen so far were delivered).
    @discardableResult
    static func members(_ bytes: UnsafeRawBufferPointer, _ body: (UnsafeRawBufferPointer, Value) -> Void) -> Bool {
        var i = skipSpace(bytes, 0)
        guard i < bytes.count, bytes[i] == UInt8(ascii: "{") else { return false }
        i = skipSpace(bytes, i + 1)
        if i < bytes.count, bytes[i] == UInt8(ascii: "}") { return skipSpace(bytes, i + 1) == bytes.count }
        while true {
            guard i < bytes.count, bytes[i] == UInt8(ascii: "\"") else { return false }
            guard let (keyEnd, _) = stringEnd(bytes, i + 1) else { return false }
            let key = bytes.slice(i + 1, keyEnd)
            i = skipSpace(bytes, keyEnd + 1)
            guard i < bytes.count, bytes[i] == UInt8(ascii: ":") else { return false }
            i = skipSpace(bytes, i + 1)
            guard let (value, next) = parseValue(bytes, i) else { return false }
            body(key, value)
            i = skipSpace(bytes, next)
            guard i < bytes.count else { return false }
            if bytes[i] == UInt8(ascii: ",") {
                i = skipSpace(bytes, i + 1)
                continue
            }
            guard bytes[i] == UInt8(ascii: "}") else { return false }
            return skipSpace(bytes, i + 1) == bytes.count
        }
    }

    /// Calls `body` for each element of the array in `bytes` (the raw range of an `.array` value
    /// including brackets). Returns `false` when malformed.
    @discardableResult
    static func elements(_ bytes: UnsafeRawBufferPointer, _ body: (Value) -> Void) -> Bool {
        var i = skipSpace(bytes, 0)
        guard i < bytes.count, bytes[i] == UInt8(ascii: "[") else { return false }
        i = skipSpace(bytes, i + 1)
        if i < bytes.count, bytes[i] == UInt8(ascii: "]") { return true }
        while true {
            guard let (value, next) = parseValue(bytes, i) else { return false }
            body(value)
            i = skipSpace(bytes, next)
            guard i < bytes.count else { return false }
            if bytes[i] == UInt8(ascii: ",") { i = skipSpace(bytes, i + 1); continue }
            return bytes[i] == UInt8(ascii: "]")
        }
    }

    @inline(__always)
    static func skipSpace(_ b: UnsafeRawBufferPointer, _ from: Int) -> Int {
        var i = from
        while i < b.count, b[i] == 0x20 || b[i] == 0x09 || b[i] == 0x0d || b[i] == 0x0a { i += 1 }
        return i
    }

    /// The index of the closing quote of a string whose content starts at `from`, and whether it has escapes.
    @inline(__always)
    static func stringEnd(_ b: UnsafeRawBufferPointer, _ from: Int) -> (Int, Bool)? {
        var i = from
        var escaped = false
        while i < b.count {
            let c = b[i]
            if c == UInt8(ascii: "\"") { return (i, escaped) }
            if c == UInt8(ascii: "\\") { escaped = true; i += 2; continue }
            if c < 0x20 { return nil }
            i += 1
        }
        return nil
    }

    /// Parses the value starting at `i`; returns it and the index after it.
    static func parseValue(_ b: UnsafeRawBufferPointer, _ i: Int) -> (Value, Int)? {
        guard i < b.count else { return nil }
        switch b[i] {
        case UInt8(ascii: "\""):
            guard let (end, escaped) = stringEnd(b, i + 1) else { return nil }
            return (Value(kind: .string, raw: b.slice(i + 1, end), escaped: escaped), end + 1)
        case UInt8(ascii: "{"), UInt8(ascii: "["):
            guard let end = containerEnd(b, i) else { return nil }
            return (Value(kind: b[i] == UInt8(ascii: "{") ? .object : .array, raw: b.slice(i, end), escaped: false), end)
        case UInt8(ascii: "t"):
            guard i + 4 <= b.count, b.slice(i, i + 4).equals("true") else { return nil }
            return (Value(kind: .bool, raw: b.slice(i, i + 4), escaped: false), i + 4)
        case UInt8(ascii: "f"):
            guard i + 5 <= b.count, b.slice(i, i + 5).equals("false") else { return nil }
            return (Value(kind: .bool, raw: b.slice(i, i + 5), escaped: false), i + 5)
        case UInt8(ascii: "n"):
            guard i + 4 <= b.count, b.slice(i, i + 4).equals("null") else { return nil }
            return (Value(kind: .null, raw: b.slice(i, i + 4), escaped: false), i + 4)
        default:
            var j = i
            while j < b.count {
                let c = b[j]
                guard (c >= 0x30 && c <= 0x39) || c == UInt8(ascii: "-") || c == UInt8(ascii: "+") || c == UInt8(ascii: ".")
                    || c == UInt8(ascii: "e") || c == UInt8(ascii: "E") else { break }
                j += 1
            }
            guard j > i else { return nil }
            return (Value(kind: .number, raw: b.slice(i, j), escaped: false), j)
        }
    }

    /// The index after the bracket closing the object or array opened at `start` (string-aware, depth-capped).
    static func containerEnd(_ b: UnsafeRawBufferPointer, _ start: Int) -> Int? {
        var depth = 0
        var i = start
        while i < b.count {
            let c = b[i]
            if c == UInt8(ascii: "\"") {
                guard let (end, _) = stringEnd(b, i + 1) else { return nil }
                i = end + 1
                continue
            }
            if c == UInt8(ascii: "{") || c == UInt8(ascii: "[") {
                depth += 1
                if depth > maxDepth { return nil }
            } else if c == UInt8(ascii: "}") || c == UInt8(ascii: "]") {
                depth -= 1
                if depth == 0 { return i + 1 }
            }
            i += 1
        }
        return nil
    }

    /// Decodes the escapes of a JSON string body into `out` (UTF-8). `false` on a bad escape.
    static func unescape(_ raw: UnsafeRawBufferPointer, into out: inout [UInt8]) -> Bool {
        out.removeAll(keepingCapacity: true)
        var i = 0
        func hex4(_ at: Int) -> UInt32? {
            guard at + 4 <= raw.count else { return nil }
            var v: UInt32 = 0
            for k in at..<(at + 4) {
                let c = raw[k]
                let d: UInt32
                switch c {
                case 0x30...0x39: d = UInt32(c - 0x30)
                case 0x61...0x66: d = UInt32(c - 0x61 + 10)
                case 0x41...0x46: d = UInt32(c - 0x41 + 10)
                default: return nil
                }
                v = v << 4 | d
            }
            return v
        }
        while i < raw.count {
            let c = raw[i]
            guard c == UInt8(ascii: "\\") else { out.append(c); i += 1; continue }
            guard i + 1 < raw.count else { return false }
            let e = raw[i + 1]
            i += 2
            switch e {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(e)
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0c)
            case UInt8(ascii: "n"): out.append(0x0a)
            case UInt8(ascii: "r"): out.append(0x0d)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "u"):
                guard var scalar = hex4(i) else { return false }
                i += 4
                if scalar >= 0xD800 && scalar < 0xDC00 {
                    // High surrogate: a low surrogate escape must follow.
                    if i + 6 <= raw.count, raw[i] == UInt8(ascii: "\\"), raw[i + 1] == UInt8(ascii: "u"),
                       let lowHalf = hex4(i + 2), lowHalf >= 0xDC00 && lowHalf < 0xE000 {
                        scalar = 0x10000 + ((scalar - 0xD800) << 10) + (lowHalf - 0xDC00)
                        i += 6
                    } else {
                        scalar = 0xFFFD
                    }
                } else if scalar >= 0xDC00 && scalar < 0xE000 {
                    scalar = 0xFFFD
                }
                let u = Unicode.Scalar(scalar) ?? "\u{FFFD}"
                out.append(contentsOf: Array(String(Character(u)).utf8))
            default:
                return false
            }
        }
        return true
    }
}
