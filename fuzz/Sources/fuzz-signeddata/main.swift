import CFuzzDriver

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif
import VigilFormats

/// One input: the CMS SignedData parser and its checks on arbitrary DER/BER.
func fuzzSignedData(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    guard let data else { return 0 }
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    guard let signed = try? SignedData(contentInfoDER: bytes) else { return 0 }
    _ = signed.digestedContent?.count
    for signer in signed.signers {
        _ = signed.certificate(for: signer)
        _ = signed.messageDigestMatches(signer)
        _ = signed.signatureIsValid(signer)
        _ = signer.signingTime
    }
    return 0
}

var argc = CommandLine.argc
var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
exit(LLVMFuzzerRunDriver(&argc, &argv) { fuzzSignedData($0, $1) })
