import CFuzzDriver

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif
import VigilDiskImage

/// One input: a raw disk. The partition-map reader of `VigilDiskImage` (GPT at 512- and 4096-byte
/// sectors, Apple Partition Map, bare HFS+/HFSX/APFS signatures) lists its partitions.
func fuzzPartitions(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    guard let data else { return 0 }
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    if let listing = try? PartitionMap.read(DiskBytes(bytes)) {
        for p in listing.partitions where p.offset > UInt64(size) || p.length > UInt64(size) - p.offset {
            fatalError("partition \(p.index) lies outside the \(size)-byte disk")
        }
    }
    return 0
}

var argc = CommandLine.argc
var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
exit(LLVMFuzzerRunDriver(&argc, &argv) { fuzzPartitions($0, $1) })
