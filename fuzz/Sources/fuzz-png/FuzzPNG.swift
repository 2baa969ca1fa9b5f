import VigilFormats

/// libFuzzer entry point: the PNG chunk walker (CRC-32, IHDR, IEND, trailing data) and its text rendering.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzPNG(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    guard let data else { return 0 }
    let png = PNGImage.parse(Array(UnsafeBufferPointer(start: data, count: size)))
    _ = png.chunks.map(\.crcValid)
    _ = png.textReport().utf8.count
    return 0
}
