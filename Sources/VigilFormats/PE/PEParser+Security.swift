import VigilBinary

extension PEParseContext {
    /// The `FE ED FA CE FE ED FA CE` egg that SigFlip-style tools (and the 3CX carrier) put in front
    /// of data hidden in the certificate table.
    static let slackMarker: [UInt8] = [0xFE, 0xED, 0xFA, 0xCE, 0xFE, 0xED, 0xFA, 0xCE]

    /// The certificate table (data directory 4; its address is a file offset) and its entries.
    mutating func readCertificateTable() -> PECertificateTable? {
        guard let dir = optional?.directory(4), dir.virtualAddress != 0 || dir.size != 0 else { return nil }
        let start = Int(dir.virtualAddress)
        let size = Int(dir.size)
        let declaredEnd = start + size
        guard start < reader.count else {
            note("certificate table", start, "certificate table offset \(start) is past end of file (\(reader.count) bytes)")
            return PECertificateTable(
                offset: start, size: size, atEndOfFile: false, bytesAfter: 0, sumOfAlignedLengths: 0, entries: [],
                markerOffsets: [])
        }
        if declaredEnd > reader.count {
            note("certificate table", start, "certificate table [\(start), +\(size)) extends \(declaredEnd - reader.count) bytes past end of file")
        }
        if start % 8 != 0 { note("certificate table", start, "certificate table is not 8-byte aligned") }
        let end = min(declaredEnd, reader.count)
        var entries: [WinCertificate] = []
        var sum = 0
        var o = start
        while o + 8 <= end {
            guard entries.count < PELimits.maxCertificates else {
                note("certificate table", o, "more than \(PELimits.maxCertificates) WIN_CERTIFICATE entries; the rest were not read")
                break
            }
            guard let length = try? reader.u32le(at: o), let revision = try? reader.u16le(at: o + 4),
                let type = try? reader.u16le(at: o + 6)
            else { break }
            guard length >= 8, Int(length) <= end - o else {
                note("certificate table", o, "WIN_CERTIFICATE dwLength 0x\(String(length, radix: 16)) out of range (\(end - o) bytes left in the table)")
                break
            }
            let entryEnd = o + Int(length)
            let content = o + 8
            let der = DERLength.ofFirstElement(reader.bytes, at: content, limit: entryEnd)
            var slack: MeasuredRegion?
            if let der, let derEnd = content.adding(der), derEnd <= entryEnd {
                slack = .measure(reader.bytes, offset: derEnd, size: entryEnd - derEnd)
            } else {
                note("certificate table", content, "bCertificate does not start with a DER element that fits in dwLength")
            }
            let aligned = (Int(length) + 7) & ~7
            let paddingEnd = min(o + aligned, end)
            let padding = MeasuredRegion.measure(reader.bytes, offset: entryEnd, size: paddingEnd - entryEnd)
            entries.append(
                WinCertificate(
                    offset: o, length: length, revision: revision, certificateType: type, contentOffset: content,
                    derLength: der, slack: slack, alignmentPadding: padding))
            sum += aligned
            o += aligned
        }
        if sum != size {
            note("certificate table", start, "directory size \(size) differs from the sum of aligned dwLengths \(sum)")
        }
        let bytesAfter = max(0, reader.count - declaredEnd)
        if bytesAfter > 0 {
            note("certificate table", declaredEnd, "certificate table is not at end of file (\(bytesAfter) bytes follow it)")
        }
        return PECertificateTable(
            offset: start, size: size, atEndOfFile: declaredEnd == reader.count, bytesAfter: bytesAfter,
            sumOfAlignedLengths: sum, entries: entries,
            markerOffsets: Self.find(Self.slackMarker, in: reader.bytes, from: start, to: end, limit: 64))
    }

    /// Offsets of `needle` in `bytes[from..<to]`, at most `limit` of them.
    static func find(_ needle: [UInt8], in bytes: [UInt8], from: Int, to: Int, limit: Int) -> [Int] {
        var hits: [Int] = []
        guard let first = needle.first, to - from >= needle.count else { return hits }
        var i = from
        while i <= to - needle.count, hits.count < limit {
            if bytes[i] == first, bytes[i..<(i + needle.count)].elementsEqual(needle) { hits.append(i) }
            i += 1
        }
        return hits
    }

    /// The overlay: bytes after everything the headers account for. Its start follows pefile's
    /// `get_overlay_data_start_offset()`: the largest end (within the file) of the optional header,
    /// every section's raw data and every data directory except the security directory.
    func computeOverlay(coff: COFFHeader, optionalOffset: Int, certificateTable: PECertificateTable?) -> PEOverlay? {
        let fileSize = reader.count
        var largest = 0
        func consider(_ offset: Int, _ size: Int) {
            guard let end = offset.adding(size), end <= fileSize, end > largest else { return }
            largest = end
        }
        consider(optionalOffset, Int(coff.sizeOfOptionalHeader))
        for s in sections { consider(Int(s.pointerToRawData), Int(s.sizeOfRawData)) }
        for d in optional?.dataDirectories ?? [] where d.index != 4 {
            if let o = offset(forRVA: d.virtualAddress) { consider(o, Int(d.size)) }
        }
        guard fileSize > largest else { return nil }
        let overlayRange = largest..<fileSize
        var symbolTable: Range<Int>?
        let pointer = Int(coff.pointerToSymbolTable)
        if pointer != 0, overlayRange.contains(pointer) {
            let symbols = Int(coff.numberOfSymbols) * 18
            var end = min(fileSize, pointer + symbols)
            if let stringTableSize = try? reader.u32le(at: pointer + symbols) {
                end = min(fileSize, pointer + symbols + Int(stringTableSize))
            }
            symbolTable = pointer..<max(pointer, end)
        }
        var certificateRange: Range<Int>?
        var after: MeasuredRegion?
        if let t = certificateTable, overlayRange.contains(t.offset) {
            let end = min(fileSize, t.offset + t.size)
            certificateRange = t.offset..<max(t.offset, end)
            if end < fileSize { after = .measure(reader.bytes, offset: end, size: fileSize - end) }
        }
        let explained = (symbolTable?.count ?? 0) + (certificateRange?.count ?? 0) + (after?.size ?? 0)
        return PEOverlay(
            offset: largest, size: fileSize - largest,
            entropy: MeasuredRegion.measure(reader.bytes, offset: largest, size: fileSize - largest).entropy,
            symbolTable: symbolTable, certificateTable: certificateRange, afterCertificateTable: after,
            otherBytes: max(0, fileSize - largest - explained))
    }
}

/// The PE checksum as computed by `CheckSumMappedFile` (and osslsigncode, and pefile).
public enum PEChecksumCalculator {
    /// Sums the file as little-endian 16-bit words, skipping the checksum field, folding the carry
    /// after each addition, then adds the file length.
    /// - Parameters:
    ///   - bytes: The whole file.
    ///   - checksumOffset: File offset of the stored checksum (skipped), or `nil`.
    /// - Returns: The checksum the file should carry.
    public static func compute(_ bytes: [UInt8], checksumOffset: Int?) -> UInt32 {
        // Folding the carry after every word gives the one's-complement sum of the words, which is
        // the same whether it is folded per word or at the end, and whether it is summed 16 or 64 bits
        // at a time (RFC 1071, section 2); summing 8 bytes at a time is about 8 times faster.
        // Words are at even offsets; a word is skipped when its offset lies in the 4 checksum bytes.
        let n = bytes.count
        let skip = checksumOffset ?? -8
        let firstSkipped = min(max(0, skip + (skip & 1)), n & ~1)  // first even offset >= skip
        let endSkipped = min(max(firstSkipped, skip + 4 + (skip & 1)), n & ~1)  // first even offset >= skip + 4
        var sum: UInt64 = 0
        bytes.withUnsafeBytes { p in
            sum = onesComplementAdd(sum, onesComplementSum(p, from: 0, to: firstSkipped))
            sum = onesComplementAdd(sum, onesComplementSum(p, from: endSkipped, to: n & ~1))
            if n % 2 == 1, !(n - 1 >= skip && n - 1 < skip + 4) { sum = onesComplementAdd(sum, UInt64(p[n - 1])) }
        }
        return UInt32(truncatingIfNeeded: UInt64(fold16(sum)) + UInt64(n))
    }

    /// One's-complement sum of the little-endian 16-bit words in `start..<end` (both even), as 64-bit
    /// lanes with end-around carry.
    private static func onesComplementSum(_ p: UnsafeRawBufferPointer, from start: Int, to end: Int) -> UInt64 {
        guard start < end, let base = p.baseAddress else { return 0 }
        var sum: UInt64 = 0
        var i = start
        while i + 8 <= end {
            sum = onesComplementAdd(sum, UInt64(littleEndian: base.loadUnaligned(fromByteOffset: i, as: UInt64.self)))
            i += 8
        }
        while i + 2 <= end {
            sum = onesComplementAdd(sum, UInt64(p[i]) | UInt64(p[i + 1]) << 8)
            i += 2
        }
        return sum
    }

    @inline(__always) private static func onesComplementAdd(_ a: UInt64, _ b: UInt64) -> UInt64 {
        let (s, carry) = a.addingReportingOverflow(b)
        return s &+ (carry ? 1 : 0)
    }

    /// Folds a 64-bit one's-complement sum to 16 bits.
    private static func fold16(_ value: UInt64) -> UInt16 {
        var v = value
        while v > 0xFFFF { v = (v & 0xFFFF) + (v >> 16) }
        return UInt16(v)
    }
}

/// Reads just the length of a DER/BER element, for measuring certificate-table slack. Hand-written
/// because it must also work on a truncated or padded blob that a full ASN.1 parser would reject.
public enum DERLength {
    /// The total encoded length (tag + length octets + content) of the element at `offset`, or `nil`
    /// when the header is malformed, uses indefinite length, or the element would pass `limit`.
    /// - Parameters:
    ///   - bytes: The buffer.
    ///   - offset: Where the element starts.
    ///   - limit: The element must end at or before this offset.
    /// - Returns: The encoded length.
    public static func ofFirstElement(_ bytes: [UInt8], at offset: Int, limit: Int) -> Int? {
        guard offset >= 0, offset + 2 <= min(limit, bytes.count) else { return nil }
        var p = offset + 1
        if bytes[offset] & 0x1F == 0x1F {  // high tag number form
            var n = 0
            while p < limit, bytes[p] & 0x80 != 0, n < 4 { p += 1; n += 1 }
            p += 1
        }
        guard p < min(limit, bytes.count) else { return nil }
        let first = bytes[p]
        p += 1
        var length = 0
        if first < 0x80 {
            length = Int(first)
        } else {
            let count = Int(first & 0x7F)
            guard count > 0, count <= 4, p + count <= min(limit, bytes.count) else { return nil }
            for _ in 0..<count {
                length = length << 8 | Int(bytes[p])
                p += 1
            }
        }
        guard let end = p.adding(length), end <= limit else { return nil }
        return end - offset
    }
}
