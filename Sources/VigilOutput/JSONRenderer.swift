import Foundation

/// Renders a ``ReportDocument`` as one pretty-printed JSON document with sorted keys.
public enum JSONRenderer {
    /// - Throws: an `EncodingError` when a value cannot be encoded (a non-finite double).
    public static func render(_ document: ReportDocument<some Encodable & Sendable>) throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        var bytes = Array(try encoder.encode(document))
        bytes.append(UInt8(ascii: "\n"))
        return bytes
    }
}
