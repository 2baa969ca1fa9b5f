import VigilBinary

/// Bytes found after the logical end of an image (after PNG `IEND`, or after the last ICO image).
///
/// The 3CX ICO files carried a `$` followed by base64 of an encrypted C2 URL after the last image
/// (Volexity, "3CX Supply Chain Compromise Leads to ICONIC Incident", 2023-03-30). Image decoders ignore such bytes, so they are a classic hiding place.
public struct TrailingData: Codable, Hashable, Sendable {
    /// Absolute offset of the first trailing byte.
    public var offset: Int
    public var size: Int
    /// Shannon entropy in bits per byte.
    public var entropy: Double
    public var encoding: TrailingEncoding
    /// For base64 encodings: the number of bytes the text decodes to, when it is well-formed base64.
    public var decodedSize: Int?
    /// Up to 48 leading bytes, printable ASCII kept and anything else shown as `.`.
    public var preview: String

    public init(offset: Int, bytes: ArraySlice<UInt8>) {
        self.offset = offset
        self.size = bytes.count
        self.entropy = shannonEntropy(bytes)
        let (encoding, decoded) = TrailingEncoding.guess(bytes)
        self.encoding = encoding
        self.decodedSize = decoded
        self.preview = String(
            decoding: bytes.prefix(48).map { (0x20..<0x7F).contains($0) ? $0 : UInt8(ascii: ".") }, as: UTF8.self)
    }
}

/// What trailing bytes look like.
public enum TrailingEncoding: String, Codable, Hashable, Sendable {
    /// Only zero bytes (alignment padding).
    case zeros
    /// `$` followed by base64: the 3CX ICO payload format.
    case dollarBase64 = "dollar-base64"
    case base64
    case hex
    /// Printable ASCII text (with tabs and line breaks).
    case text
    case binary

    /// Classifies `bytes`; returns the decoded size for base64 forms that decode cleanly.
    /// Trailing line breaks are ignored. Hex is tested before base64 because hex digits are base64 too.
    static func guess(_ bytes: ArraySlice<UInt8>) -> (TrailingEncoding, Int?) {
        if bytes.allSatisfy({ $0 == 0 }) { return (.zeros, nil) }
        var body = bytes
        while let last = body.last, last == 0x0A || last == 0x0D || last == 0 { body = body.dropLast() }
        if body.first == UInt8(ascii: "$"), body.count > 4, let decoded = base64DecodedSize(body.dropFirst()) {
            return (.dollarBase64, decoded)
        }
        if body.count >= 8, body.count % 2 == 0, body.allSatisfy(isHexDigit) { return (.hex, nil) }
        if body.count >= 8, let decoded = base64DecodedSize(body) { return (.base64, decoded) }
        if !body.isEmpty, body.allSatisfy({ (0x20..<0x7F).contains($0) || $0 == 0x09 || $0 == 0x0A || $0 == 0x0D }) {
            return (.text, nil)
        }
        return (.binary, nil)
    }

    static func isHexDigit(_ b: UInt8) -> Bool {
        (0x30...0x39).contains(b) || (0x41...0x46).contains(b) || (0x61...0x66).contains(b)
    }

    /// The decoded length of standard or URL-safe base64 (line breaks allowed, `=` only at the end,
    /// length a multiple of 4 when padded), or `nil` if the text is not base64.
    static func base64DecodedSize(_ text: ArraySlice<UInt8>) -> Int? {
        var symbols = 0, padding = 0
        for b in text {
            switch b {
            case 0x41...0x5A, 0x61...0x7A, 0x30...0x39, UInt8(ascii: "+"), UInt8(ascii: "/"), UInt8(ascii: "-"),
                UInt8(ascii: "_"):
                guard padding == 0 else { return nil }
                symbols += 1
            case UInt8(ascii: "="):
                padding += 1
                guard padding <= 2 else { return nil }
            case 0x0A, 0x0D:
                continue
            default:
                return nil
            }
        }
        guard symbols > 0 else { return nil }
        if padding > 0, (symbols + padding) % 4 != 0 { return nil }
        if symbols % 4 == 1 { return nil }
        return symbols * 3 / 4
    }
}
