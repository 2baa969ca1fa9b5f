import VigilBinary

extension MeasuredRegion {
    /// Measures `bytes[offset ..< offset + size]`, clamped to the input (never traps).
    /// - Parameters:
    ///   - bytes: The whole file.
    ///   - offset: Start of the region.
    ///   - size: Length of the region.
    /// - Returns: The measured region; its `size` is the clamped length actually measured.
    public static func measure(_ bytes: [UInt8], offset: Int, size: Int) -> MeasuredRegion {
        let start = min(max(0, offset), bytes.count)
        let end = min(bytes.count, start.adding(max(0, size)) ?? bytes.count)
        let stats = ByteStatistics(bytes[start..<end])
        return MeasuredRegion(offset: start, size: end - start, entropy: stats.entropy, allZero: stats.allZero)
    }
}
