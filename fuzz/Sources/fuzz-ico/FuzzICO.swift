import VigilFormats

/// libFuzzer entry point: the ICO parser (directory, PNG-in-ICO, trailing-data encoding guess) and its
/// text rendering.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzICO(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    guard let data else { return 0 }
    let ico = ICOFile.parse(Array(UnsafeBufferPointer(start: data, count: size)))
    _ = ico.trailing?.encoding
    _ = ico.textReport().utf8.count
    return 0
}
