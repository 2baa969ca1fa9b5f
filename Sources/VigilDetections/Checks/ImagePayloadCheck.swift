import VigilCore
import VigilFormats

/// Check 4: bytes after the last image of an ICO file, after the IEND chunk of a PNG, or after the
/// IEND of a PNG inside an icon entry.
///
/// The 3CX ICONIC loader fetched icons from GitHub whose PNG ended with `IEND` followed by `$` and a
/// base64 blob (AES-GCM encrypted C2 URLs). Image viewers ignore anything after the image data, so it
/// is a quiet carrier. Rated by encoding, size and entropy.
enum ImagePayloadCheck {
    /// Trailing runs at most this long (and not `$`+base64) are ignored: editors leave stray bytes.
    static let ignoreAtOrBelow = 16

    /// Findings for hidden trailing data, and the parse problems as `malformed` diagnostics.
    static func run(_ file: ScannedFile) -> (findings: [Finding], diagnostics: [Diagnostic]) {
        var regions: [(TrailingData, String)] = []
        let problems: [FormatIssue]
        if file.format == .ico {
            let ico = ICOFile.parse(file.bytes)
            problems = ico.problems
            for entry in ico.entries {
                if let inner = entry.png?.trailing {
                    regions.append((inner, "after IEND of the PNG in icon image \(entry.index + 1), inside its directory entry"))
                }
            }
            if let tail = ico.trailing {
                regions.append((tail, "after the last icon image (images end at offset \(ico.imagesEnd))"))
            }
        } else {
            let png = PNGImage.parse(file.bytes)
            problems = png.problems
            if let tail = png.trailing { regions.append((tail, "after the PNG IEND chunk")) }
        }
        return (regions.compactMap { finding(file: file, trailer: $0.0, location: $0.1) },
                problems.map { FormatIssueDiagnostic.make($0, path: file.path) })
    }

    static func rate(_ trailer: TrailingData) -> (Severity, String)? {
        switch trailer.encoding {
        case .dollarBase64:
            return (.high, "a '$' followed by base64 (\(trailer.decodedSize ?? 0) bytes once decoded): the exact form "
                + "of the 3CX ICONIC stage, whose icons carried encrypted command-and-control addresses this way")
        case .base64, .hex:
            return (trailer.size >= 64 ? .medium : .low,
                "\(trailer.encoding.rawValue)-encoded text, a common way to smuggle configuration or payloads in images")
        case .binary where trailer.size >= 64 && trailer.entropy >= 7.0:
            return (.medium, "high-entropy binary data (\(decimal2(trailer.entropy)) bits/byte): compressed or encrypted content")
        case .text where trailer.preview.contains("://"):
            return (.medium, "text holding a URL")
        case .zeros:
            return trailer.size > 4096 ? (.low, "only zero bytes (padding left by some encoders)") : nil
        default:
            return trailer.size > ignoreAtOrBelow ? (.low, "data that is neither encoded text nor high-entropy (often left by image editors)") : nil
        }
    }

    static func finding(file: ScannedFile, trailer: TrailingData, location: String) -> Finding? {
        guard let (severity, why) = rate(trailer) else { return nil }
        let kind = file.format == .ico ? "ICO" : "PNG"
        return Finding(
            check: CheckID.imageTrailer,
            title: "\(trailer.size) bytes hidden after the image data of \(kind == "ICO" ? "an" : "a") \(kind) file (\(trailer.encoding.rawValue))",
            severity: severity,
            path: file.path,
            offset: trailer.offset,
            explanation: "At offset \(trailer.offset), \(location), the file holds \(trailer.size) bytes that are no "
                + "part of any image: \(why). Viewers never show these bytes; a loader that knows where to look reads them.",
            attack: [Attack.steganography, Attack.obfuscation],
            evidence: [
                "trailing_offset": .int(trailer.offset),
                "trailing_size": .int(trailer.size),
                "trailing_entropy": .double(trailer.entropy),
                "trailing_encoding": .string(trailer.encoding.rawValue),
                "decoded_size": .int(trailer.decodedSize ?? 0),
                "trailing_preview": .string(trailer.preview),
                "location": .string(location),
            ])
    }
}
