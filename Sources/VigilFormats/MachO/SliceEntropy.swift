#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Shannon entropy (bits per byte) of a contiguous slice, counting through a buffer pointer.
///
/// Same result as VigilBinary's generic `shannonEntropy`, but non-generic: in debug builds the generic
/// version walks the bytes through protocol witnesses, which made a 78 MB corpus take tens of seconds
/// (segment and section entropy read most bytes twice).
func sliceEntropy(_ bytes: ArraySlice<UInt8>) -> Double {
    guard !bytes.isEmpty else { return 0 }
    var counts = [Int](repeating: 0, count: 256)
    counts.withUnsafeMutableBufferPointer { c in
        bytes.withUnsafeBufferPointer { b in
            for byte in b { c[Int(byte)] &+= 1 }
        }
    }
    let n = Double(bytes.count)
    var h = 0.0
    for c in counts where c > 0 {
        let p = Double(c) / n
        h -= p * log2(p)
    }
    return h
}
