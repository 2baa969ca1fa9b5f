#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Shannon entropy in bits per byte (0...8) of contiguous bytes; 0 for empty input.
///
/// Counts through a buffer pointer: the generic collection walk went through protocol witnesses
/// byte by byte and dominated section-entropy time in `inspect` and `diff`.
public func shannonEntropy(_ bytes: UnsafeRawBufferPointer) -> Double {
    guard !bytes.isEmpty else { return 0 }
    var counts = [Int](repeating: 0, count: 256)
    counts.withUnsafeMutableBufferPointer { c in
        for byte in bytes { c[Int(byte)] &+= 1 }
    }
    let n = Double(bytes.count)
    var h = 0.0
    for c in counts where c > 0 {
        let p = Double(c) / n
        h -= p * log2(p)
    }
    return h
}

/// Shannon entropy in bits per byte (0...8) of an array slice; 0 for empty input.
public func shannonEntropy(_ bytes: ArraySlice<UInt8>) -> Double {
    bytes.withUnsafeBytes { shannonEntropy($0) }
}

/// Shannon entropy in bits per byte (0...8) of an array; 0 for empty input.
public func shannonEntropy(_ bytes: [UInt8]) -> Double {
    bytes.withUnsafeBytes { shannonEntropy($0) }
}
