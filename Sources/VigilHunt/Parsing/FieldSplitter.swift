/// Finds separator positions in a line eight bytes at a time (SWAR: a byte equal to the separator
/// becomes a zero byte after XOR, and zero bytes are flagged exactly with the carry-free test
/// `~(((x & 0x7f…) + 0x7f…) | x | 0x7f…)`). Zeek fields are short, so this beats one `memchr` per field.
enum FieldSplitter {
    /// Fills `bounds[k]` with the start offset of field `k` for `k = 0…upTo`, and `bounds[upTo + 1]`
    /// with one past the end of field `upTo` plus one (so field `k` is `bounds[k] ..< bounds[k+1] - 1`).
    /// - Returns: the number of fields found (at most `upTo + 1`).
    @inline(__always)
    static func split(_ line: UnsafeRawBufferPointer, separator: UInt8, upTo last: Int, into bounds: UnsafeMutableBufferPointer<Int>) -> Int {
        guard last >= 0, let base = line.baseAddress else { return 0 }
        let n = line.count
        bounds[0] = 0
        var field = 1
        let pattern = 0x0101_0101_0101_0101 &* UInt64(separator)
        let low7: UInt64 = 0x7f7f_7f7f_7f7f_7f7f
        var i = 0
        while i + 8 <= n {
            let word = UInt64(littleEndian: base.loadUnaligned(fromByteOffset: i, as: UInt64.self)) ^ pattern
            var mask = ~(((word & low7) &+ low7) | word | low7)
            while mask != 0 {
                bounds[field] = i + mask.trailingZeroBitCount >> 3 + 1
                if field == last + 1 { return field }
                field += 1
                mask &= mask &- 1
            }
            i += 8
        }
        while i < n {
            if line[i] == separator {
                bounds[field] = i + 1
                if field == last + 1 { return field }
                field += 1
            }
            i += 1
        }
        // The last field runs to the end of the line.
        bounds[field] = n + 1
        return field
    }
}
