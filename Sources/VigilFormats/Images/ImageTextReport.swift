/// Human-readable rendering of parsed images for `vigil inspect`.
extension PNGImage {
    /// Size, chunk list with CRC results, where `IEND` ends, the trailing bytes and (unless
    /// `includeProblems` is false) the problems.
    public func textReport(includeProblems: Bool = true) -> String {
        textLines(includeProblems: includeProblems).joined(separator: "\n") + "\n"
    }

    public func textLines(indent: String = "", includeProblems: Bool = true) -> [String] {
        var out: [String] = []
        let dims = width.flatMap { w in height.map { "\(w)x\($0)" } } ?? "unknown size"
        out.append(
            "\(indent)PNG at \(offset): \(dims), bit depth \(bitDepth.map(String.init) ?? "?"), colour type \(colorType.map(String.init) ?? "?"), \(chunkCount) chunk(s), \(badCRCCount) bad CRC"
        )
        for c in chunks.prefix(64) {
            out.append("\(indent)  chunk \(c.type) at \(c.offset) length \(c.length) crc \(c.crcValid ? "ok" : "BAD")")
        }
        if chunks.count > 64 { out.append("\(indent)  … \(chunks.count - 64) more chunk(s)") }
        out.append("\(indent)  IEND ends at \(iendEnd.map(String.init) ?? "n/a (no IEND)")")
        if let t = trailing { out.append("\(indent)  \(t.textLine)") }
        if includeProblems { out.append(contentsOf: problems.map { "\(indent)  problem \($0)" }) }
        return out
    }
}

extension ICOFile {
    /// Directory entries with their ranges and formats, where the last image ends, trailing bytes and
    /// (unless `includeProblems` is false) the problems.
    public func textReport(includeProblems: Bool = true) -> String {
        textLines(includeProblems: includeProblems).joined(separator: "\n") + "\n"
    }

    /// The report's lines, unescaped (renderers escape each line).
    public func textLines(includeProblems: Bool = true) -> [String] {
        var out: [String] = [
            "\(type == 2 ? "CUR" : "ICO"): \(declaredCount) image(s), \(fileSize) bytes, images end at \(imagesEnd)"
        ]
        for e in entries {
            out.append(
                "  image \(e.index): \(e.width)x\(e.height) \(e.bitCount) bpp, offset \(e.offset) size \(e.size), \(e.format.rawValue)")
            if let png = e.png { out.append(contentsOf: png.textLines(indent: "    ", includeProblems: false)) }
        }
        if let t = trailing { out.append("  \(t.textLine)") }
        if includeProblems { out.append(contentsOf: problems.map { "  problem \($0)" }) }
        return out
    }
}

extension TrailingData {
    var textLine: String {
        let e = (entropy * 1000).rounded() / 1000
        var line = "trailing bytes: \(size) at offset \(offset), entropy \(e), looks like \(encoding.rawValue)"
        if let d = decodedSize { line += " (decodes to \(d) bytes)" }
        return line + ", starts \"\(preview)\""
    }
}
