// SwiftPM links every executable with `--defsym main=fuzz_macho_main` (it renames the entry point so tests
// can link executables), so a target without an entry point fails to link ("undefined symbol
// fuzz_macho_main"). This entry point hands control to libFuzzer's driver instead of relying on its main().

@_silgen_name("LLVMFuzzerRunDriver")
private func runLibFuzzer(
    _ argc: UnsafeMutablePointer<Int32>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> Int32
) -> Int32

@_cdecl("fuzz_macho_main")
public func fuzzMachOMain(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    var count = argc
    var arguments = argv
    return runLibFuzzer(&count, &arguments, fuzzMachO)
}
