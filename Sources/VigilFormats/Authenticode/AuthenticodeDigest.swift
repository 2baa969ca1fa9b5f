/// Computes the Authenticode image digest of a PE file.
///
/// Everything is hashed except the 4-byte checksum, the 8-byte security-directory entry and the
/// certificate table. Bytes *after* the certificate table are hashed too, as LIEF does, so data
/// appended after a signed file makes the digest mismatch. On well-formed files (table at end of
/// file, sections contiguous) this equals the spec's section-ordered hash and osslsigncode's linear
/// hash (both measured on the fixtures and the signed EFI corpus).
public enum AuthenticodeDigest {
    /// The excluded ranges and the data ranges hashed, for `pe`.
    /// - Parameters:
    ///   - pe: The parsed file.
    ///   - fileSize: Its size.
    /// - Returns: The ranges hashed, in order; `nil` without an optional header.
    public static func hashedRanges(of pe: PEFile, fileSize: Int) -> [Range<Int>]? {
        guard let optional = pe.optionalHeader else { return nil }
        var excluded: [Range<Int>] = [
            optional.checksumOffset..<(optional.checksumOffset + 4),
            optional.securityDirectoryEntryOffset..<(optional.securityDirectoryEntryOffset + 8),
        ]
        if let table = pe.certificateTable, table.offset < fileSize {
            excluded.append(table.offset..<min(fileSize, table.offset + max(0, table.size)))
        }
        excluded.sort { $0.lowerBound < $1.lowerBound }
        var ranges: [Range<Int>] = []
        var position = 0
        for range in excluded {
            let start = min(max(range.lowerBound, 0), fileSize)
            if start > position { ranges.append(position..<start) }
            position = max(position, min(range.upperBound, fileSize))
        }
        if position < fileSize { ranges.append(position..<fileSize) }
        return ranges
    }

    /// The image digest of `bytes` with `algorithm`.
    /// - Parameters:
    ///   - bytes: The whole file.
    ///   - pe: The file parsed by ``PEParser``.
    ///   - algorithm: The digest algorithm.
    /// - Returns: The digest, or `nil` without an optional header.
    public static func compute(_ bytes: [UInt8], pe: PEFile, algorithm: DigestAlgorithm) -> [UInt8]? {
        guard let ranges = hashedRanges(of: pe, fileSize: bytes.count) else { return nil }
        var digest = IncrementalDigest(algorithm)
        bytes.withUnsafeBytes { raw in
            for r in ranges { digest.update(UnsafeRawBufferPointer(rebasing: raw[r])) }
        }
        return digest.finalize()
    }
}
