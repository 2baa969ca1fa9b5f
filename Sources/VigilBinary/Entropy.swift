#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Entropy and zero-ness of a run of bytes, from one pass over a contiguous buffer.
///
/// Counts through a buffer pointer: a generic collection walk goes through protocol witnesses byte
/// by byte across the module boundary and was about 4x slower on the PE corpus (measured).
public struct ByteStatistics: Sendable, Hashable {
    /// Shannon entropy in bits per byte (0...8); 0 for empty input.
    public var entropy: Double
    /// Whether every byte is zero (true for empty input).
    public var allZero: Bool

    public init(_ bytes: UnsafeRawBufferPointer) {
        guard !bytes.isEmpty else {
            self.entropy = 0
            self.allZero = true
            return
        }
        // Four interleaved tables: consecutive equal bytes (zero padding, long runs) would otherwise make
        // every increment wait for the previous store to the same counter.
        var counts = [Int](repeating: 0, count: 256)
        withUnsafeTemporaryAllocation(of: Int.self, capacity: 4 * 256) { tables in
            tables.initialize(repeating: 0)
            let t = tables.baseAddress!
            let base = bytes.baseAddress!
            let n = bytes.count
            var i = 0
            while i + 4 <= n {
                let word = UInt32(littleEndian: base.loadUnaligned(fromByteOffset: i, as: UInt32.self))
                t[Int(word & 0xFF)] &+= 1
                t[256 + Int((word >> 8) & 0xFF)] &+= 1
                t[512 + Int((word >> 16) & 0xFF)] &+= 1
                t[768 + Int(word >> 24)] &+= 1
                i += 4
            }
            while i < n {
                t[Int(base.load(fromByteOffset: i, as: UInt8.self))] &+= 1
                i += 1
            }
            for b in 0..<256 {
                counts[b] = t[b] + t[256 + b] + t[512 + b] + t[768 + b]
            }
        }
        let n = Double(bytes.count)
        var h = 0.0
        for c in counts where c > 0 {
            let p = Double(c) / n
            h -= p * log2(p)
        }
        self.entropy = h
        self.allZero = counts[0] == bytes.count
    }

    public init(_ bytes: ArraySlice<UInt8>) {
        self = bytes.withUnsafeBytes { ByteStatistics($0) }
    }
}

/// Shannon entropy in bits per byte (0...8) of contiguous bytes; 0 for empty input.
public func shannonEntropy(_ bytes: UnsafeRawBufferPointer) -> Double {
    ByteStatistics(bytes).entropy
}

/// Shannon entropy in bits per byte (0...8) of an array slice; 0 for empty input.
public func shannonEntropy(_ bytes: ArraySlice<UInt8>) -> Double {
    bytes.withUnsafeBytes { shannonEntropy($0) }
}

/// Shannon entropy in bits per byte (0...8) of an array; 0 for empty input.
public func shannonEntropy(_ bytes: [UInt8]) -> Double {
    bytes.withUnsafeBytes { shannonEntropy($0) }
}
