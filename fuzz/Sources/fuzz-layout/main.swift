import CFuzzDriver
import VigilContainers

/// One input: the member-data layout of a tar and a ZIP (`MemberDataLayout`, which decides what
/// part of a container its own YARA search may leave to the members' scans), read as both formats
/// whatever its magic. Must hold for any input: no trap, and every layout found has
/// sorted, disjoint ranges inside the input whose complement (the framing) covers the rest exactly.
func fuzzLayout(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    guard let data else { return 0 }
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    for kind in [MemberDataLayout.Kind.tar, .zip] {
        guard let layout = MemberDataLayout.read(kind, size: Int64(size), read: { offset, count in
            guard offset >= 0, offset < Int64(bytes.count), count >= 0 else { return [] }
            return Array(bytes[Int(offset)..<Int(min(Int64(bytes.count), offset + Int64(count)))])
        }) else { continue }
        var at: Int64 = 0
        for r in layout.dataRanges {
            if r.lowerBound < at || r.upperBound > Int64(size) { fatalError("\(kind): range \(r) out of order or outside \(size) bytes") }
            at = r.upperBound
        }
        if layout.regularMemberSizes.contains(where: { $0 < 0 }) { fatalError("negative member size") }
        if layout.dataBytes > layout.regularMemberSizes.reduce(0, +) { fatalError("more data than the members hold") }
        let covered = layout.framing.reduce(Int64(0)) { $0 + ($1.upperBound - $1.lowerBound) } + layout.dataBytes
        if covered != Int64(size) { fatalError("\(kind): framing and data cover \(covered) of \(size) bytes") }
    }
    return 0
}

var argc = CommandLine.argc
var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
_ = LLVMFuzzerRunDriver(&argc, &argv) { data, size in fuzzLayout(data, size) }
