/// Byte limits on the text fields of a network report (what `vigil hunt --report-to` and
/// `vigil serve --logs` send the fleet server). The producers here (``DHCPLogReader``, the contact
/// summary) and the server's checks (`NetworkReportLimits` in VigilFleetStore, defined from these)
/// use the same numbers, so a field a producer keeps is one the server accepts: the server refuses a
/// whole report for one field over its limit.
///
/// Limits count UTF-8 bytes, as the server and the databases do, never characters: a host name of
/// 255 four-byte characters is 1,020 bytes.
public enum ReportFieldLimits {
    /// Names: DNS names (at most 253 bytes, up to four times that once escaped), DHCP host names.
    public static let maxNameBytes = 1_024
    /// Addresses and address-like fields: client and server addresses, MAC addresses.
    public static let maxAddressBytes = 64
    public static let maxSensorBytes = 256
    public static let maxReportIDBytes = 128
    /// Paths (evidence files, cursor paths), URLs and other long values (an indicator, what a log held).
    public static let maxPathBytes = 4_096
    /// Short free text (a channel name).
    public static let maxTextBytes = 1_024

    /// `text` cut to at most `maxBytes` UTF-8 bytes at a character boundary (a grapheme cluster, so
    /// no accent is separated from its letter); a single character longer than the limit is cut
    /// between its Unicode scalars. Never splits a UTF-8 sequence.
    public static func prefix(_ text: String, maxBytes: Int) -> String {
        guard text.utf8.count > maxBytes else { return text }
        guard maxBytes > 0 else { return "" }
        var end = text.startIndex
        var bytes = 0
        var i = text.startIndex
        while i < text.endIndex {
            let next = text.index(after: i)
            let n = text.utf8.distance(from: i, to: next)
            if bytes + n > maxBytes { break }
            bytes += n
            end = next
            i = next
        }
        if end != text.startIndex { return String(text[..<end]) }
        var scalars = String.UnicodeScalarView()
        bytes = 0
        for s in text.unicodeScalars {
            let n = UTF8.width(s)
            if bytes + n > maxBytes { break }
            bytes += n
            scalars.append(s)
        }
        return String(scalars)
    }

    /// `text` as a report field the server stores: control characters (NUL, which no database text
    /// column takes, and the others below 0x20, and DEL) written `\xNN` as Zeek writes them, then cut
    /// to `maxBytes` UTF-8 bytes at a character boundary (``prefix(_:maxBytes:)``).
    /// An escape is never cut in half.
    public static func storable(_ text: String, maxBytes: Int) -> String {
        guard text.utf8.contains(where: { $0 < 0x20 || $0 == 0x7f }) else { return prefix(text, maxBytes: maxBytes) }
        let hex = Array("0123456789abcdef")
        var escaped = String.UnicodeScalarView()
        for s in text.unicodeScalars {
            if s.value < 0x20 || s.value == 0x7f {
                escaped.append(contentsOf: "\\x\(hex[Int(s.value >> 4)])\(hex[Int(s.value & 15)])".unicodeScalars)
            } else {
                escaped.append(s)
            }
        }
        let t = String(escaped)
        let cut = prefix(t, maxBytes: maxBytes)
        guard cut.utf8.count < t.utf8.count else { return cut }
        // The cut may have fallen inside an escape just written (`\`, `\x` or `\xN` left at the end).
        let tail = Array(cut.utf8.suffix(3))
        for k in stride(from: tail.count, through: 1, by: -1) {
            let end = Array(tail.suffix(k))
            let partial = end[0] == 0x5c && (k == 1 || end[1] == UInt8(ascii: "x")) && (k < 3 || isHex(end[2]))
            if partial { return String(decoding: cut.utf8.dropLast(k), as: UTF8.self) }
        }
        return cut
    }

    private static func isHex(_ c: UInt8) -> Bool {
        (c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x66)
    }
}
