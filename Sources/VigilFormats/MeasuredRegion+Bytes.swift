#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

extension MeasuredRegion {
    /// Measures `bytes[offset ..< offset + size]`, clamped to the input (never traps).
    /// - Parameters:
    ///   - bytes: The whole file.
    ///   - offset: Start of the region.
    ///   - size: Length of the region.
    /// - Returns: The measured region; its `size` is the clamped length actually measured.
    public static func measure(_ bytes: [UInt8], offset: Int, size: Int) -> MeasuredRegion {
        let start = min(max(0, offset), bytes.count)
        let end = min(bytes.count, start.addingReportingOverflow(max(0, size)).overflow ? bytes.count : start + max(0, size))
        let (entropy, allZero) = bytes.withUnsafeBufferPointer { ByteStatistics.of(UnsafeBufferPointer(rebasing: $0[start..<end])) }
        return MeasuredRegion(offset: start, size: end - start, entropy: entropy, allZero: allZero)
    }
}

/// Entropy over a contiguous buffer. VigilBinary's `shannonEntropy` is generic over any collection
/// and, not being inlinable, runs unspecialised across the module boundary (about 4x slower on the
/// PE corpus, measured); PE sections and overlays are always contiguous, so this takes a buffer.
enum ByteStatistics {
    /// Shannon entropy in bits per byte and whether every byte is zero.
    static func of(_ buffer: UnsafeBufferPointer<UInt8>) -> (entropy: Double, allZero: Bool) {
        guard !buffer.isEmpty else { return (0, true) }
        var counts = [Int](repeating: 0, count: 256)
        counts.withUnsafeMutableBufferPointer { c in
            for b in buffer { c[Int(b)] &+= 1 }
        }
        let n = Double(buffer.count)
        var h = 0.0
        for c in counts where c > 0 {
            let p = Double(c) / n
            h -= p * log2(p)
        }
        return (h, counts[0] == buffer.count)
    }
}
