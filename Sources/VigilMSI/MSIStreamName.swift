/// MSI's compression of stream names into compound-file names.
///
/// The compound file allows 31 UTF-16 units per name, so Windows Installer packs two characters of
/// the alphabet `0-9 A-Z a-z . _` (64 symbols, 6 bits each) into one code unit in U+3800–U+47FF
/// (`0x3800 + a + (b << 6)`), one trailing character into U+4800–U+483F, and marks the streams
/// that hold database tables with a leading U+4840. Other characters are stored as they are.
/// Vigil writes table streams as `!Name` (the convention of msitools and Wine), so `!_StringPool`,
/// `!File`; other streams (cabinets, `Binary` data, icons) keep their plain decoded name.
public enum MSIStreamName {
    static let alphabet: [Character] = Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz._")

    /// Decodes a compound-file name; a leading U+4840 becomes `!`.
    public static func decode(_ units: [UInt16]) -> String {
        var out = ""
        for (i, u) in units.enumerated() {
            if u == 0x4840 && i == 0 {
                out.append("!")
            } else if u >= 0x4800 && u < 0x4840 {
                out.append(alphabet[Int(u - 0x4800)])
            } else if u >= 0x3800 && u < 0x4800 {
                let v = Int(u - 0x3800)
                out.append(alphabet[v & 0x3F])
                out.append(alphabet[(v >> 6) & 0x3F])
            } else {
                out.append(Character(Unicode.Scalar(u).map { String($0) } ?? "\u{FFFD}"))
            }
        }
        return out
    }

    /// Encodes `name` the way Windows Installer does (`!Name` marks a table stream).
    public static func encode(_ name: String) -> [UInt16] {
        var units: [UInt16] = []
        var chars = Array(name)
        if chars.first == "!" {
            units.append(0x4840)
            chars.removeFirst()
        }
        func index(_ c: Character) -> Int? { alphabet.firstIndex(of: c) }
        var i = 0
        while i < chars.count {
            if let a = index(chars[i]) {
                if i + 1 < chars.count, let b = index(chars[i + 1]) {
                    units.append(UInt16(0x3800 + a + (b << 6)))
                    i += 2
                } else {
                    units.append(UInt16(0x4800 + a))
                    i += 1
                }
            } else {
                units += Array(String(chars[i]).utf16)
                i += 1
            }
        }
        return units
    }
}
