/// A reason a structure could not be read completely, with the absolute file offset where it was found.
///
/// Parsers in this module never fail on malformed input: they return what they could read plus a list
/// of problems, so a hostile file is reported instead of hiding behind an error.
public struct FormatProblem: Codable, Hashable, Sendable, CustomStringConvertible {
    /// Absolute offset in the file where the problem was detected.
    public var offset: Int
    /// What is wrong, in words.
    public var reason: String

    public init(offset: Int, reason: String) {
        self.offset = offset
        self.reason = reason
    }

    public var description: String { "at offset \(offset) (0x\(String(offset, radix: 16))): \(reason)" }
}

/// Hex rendering shared by the Mach-O and image models.
enum Hex {
    static func string<C: Collection>(_ bytes: C) -> String where C.Element == UInt8 {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(bytes.count * 2)
        for b in bytes {
            out.append(digits[Int(b >> 4)])
            out.append(digits[Int(b & 0xF)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    static func offset(_ value: Int) -> String { "0x" + String(value, radix: 16) }
}
