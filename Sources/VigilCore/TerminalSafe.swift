/// Making input-derived text safe to print or to write into a line-oriented file.
///
/// File names, SNI values, feed descriptions and log fields come from whoever wrote the input. Printed
/// raw, an ESC sequence retitles or rewrites the terminal, a newline forges a report line
/// (`FAKE: 0 findings`) and a TAB adds a field to a Zeek intel file. Every text renderer passes such
/// strings through ``TerminalSafe/escape(_:)`` (or ``TerminalSafe/escape(bytes:)`` for raw names).
///
/// What is escaped, and how:
/// - C0 controls and DEL: `\t`, `\n`, `\r`, the rest as `\xHH` (ESC is `\x1b`);
/// - C1 controls (U+0080…U+009F) and the bidirectional overrides and isolates (U+202A…U+202E,
///   U+2066…U+2069), which reorder what a reader sees: `\u{HHHH}`;
/// - bytes that are not valid UTF-8 (``escape(bytes:)``): `\xHH` each, so two names that differ only
///   in invalid bytes stay distinguishable (replacing them with U+FFFD would make them look alike).
///
/// Backslashes are left alone: Windows paths in logs stay readable. Everything else is unchanged.
public enum TerminalSafe {
    /// Whether `s` holds anything ``escape(_:)`` would change.
    public static func needsEscaping(_ s: some StringProtocol) -> Bool {
        s.unicodeScalars.contains(where: isUnsafe)
    }

    /// Whether one scalar is escaped.
    @inlinable public static func isUnsafe(_ u: Unicode.Scalar) -> Bool {
        let v = u.value
        return v < 0x20 || v == 0x7f || (0x80...0x9f).contains(v) || (0x202a...0x202e).contains(v) || (0x2066...0x2069).contains(v)
    }

    /// `s` with control characters, C1 controls and bidirectional overrides escaped.
    public static func escape(_ s: some StringProtocol) -> String {
        guard needsEscaping(s) else { return String(s) }
        var out = ""
        out.reserveCapacity(s.utf8.count + 8)
        for u in s.unicodeScalars { append(u, to: &out) }
        return out
    }

    /// Raw bytes (a file name as the kernel returned it) as safe text: valid UTF-8 as in
    /// ``escape(_:)``, every byte of an invalid sequence as `\xHH`.
    public static func escape(bytes: some Collection<UInt8>) -> String {
        let b = Array(bytes)
        var out = ""
        var i = 0
        while i < b.count {
            let length: Int
            switch b[i] {
            case 0x00...0x7f: length = 1
            case 0xc2...0xdf: length = 2
            case 0xe0...0xef: length = 3
            case 0xf0...0xf4: length = 4
            default: length = 0
            }
            // One scalar at a time; the decoder rejects overlong forms, surrogates and bad continuations.
            if length > 0, i + length <= b.count {
                var decoder = UTF8()
                var sub = b[i..<(i + length)].makeIterator()
                if case .scalarValue(let u) = decoder.decode(&sub), u.utf8.count == length {
                    append(u, to: &out)
                    i += length
                    continue
                }
            }
            out += hex(b[i])
            i += 1
        }
        return out
    }

    private static func hex(_ b: UInt8) -> String {
        let digits: [Character] = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "a", "b", "c", "d", "e", "f"]
        return "\\x" + String(digits[Int(b >> 4)]) + String(digits[Int(b & 0xf)])
    }

    private static func append(_ u: Unicode.Scalar, to out: inout String) {
        guard isUnsafe(u) else { out.unicodeScalars.append(u); return }
        switch u.value {
        case 0x09: out += "\\t"
        case 0x0a: out += "\\n"
        case 0x0d: out += "\\r"
        case 0..<0x80: out += hex(UInt8(u.value))
        default: out += "\\u{" + String(u.value, radix: 16) + "}"
        }
    }
}

extension DefaultStringInterpolation {
    /// `"\(safe: name)"`: interpolates `value` escaped by ``TerminalSafe/escape(_:)``. Every text
    /// renderer uses this for strings that come from inputs (file names, SNI values, log fields).
    public mutating func appendInterpolation(safe value: some StringProtocol) {
        appendLiteral(TerminalSafe.escape(value))
    }

    /// `"\(safe: optional)"`: the escaped value, or `-` when `nil`.
    public mutating func appendInterpolation(safe value: String?) {
        appendLiteral(value.map { TerminalSafe.escape($0) } ?? "-")
    }
}
