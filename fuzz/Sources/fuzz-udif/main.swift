import CFuzzDriver

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif
import VigilDiskImage

/// One input: a whole .dmg. The UDIF reader of `VigilDiskImage` reads the `koly` trailer, parses the
/// XML property list, checks every `mish` table and decodes every chunk (zlib, bzip2, LZMA, ADC, raw)
/// into an in-memory disk of at most 16 MiB; then the partition-map reader runs on the decoded disk.
var limits = DiskImageLimits()
limits.maximumDiskBytes = 16 << 20
limits.maximumWrittenBytes = 16 << 20
limits.maximumChunkBytes = 4 << 20
let fuzzLimits = limits

func fuzzUDIF(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    guard let data else { return 0 }
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    if let decoded = try? UDIFImage.decode(bytes: bytes, limits: fuzzLimits) {
        _ = try? PartitionMap.read(DiskBytes(decoded.disk), limits: fuzzLimits)
    }
    return 0
}

var argc = CommandLine.argc
var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
exit(LLVMFuzzerRunDriver(&argc, &argv) { fuzzUDIF($0, $1) })
