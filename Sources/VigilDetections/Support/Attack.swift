/// MITRE ATT&CK technique ids used by the structural checks.
enum Attack {
    /// Supply Chain Compromise: Compromise Software Supply Chain.
    static let supplyChain = "T1195.002"
    /// Hijack Execution Flow: DLL Side-Loading.
    static let dllSideLoading = "T1574.002"
    /// Hijack Execution Flow: Dylib Hijacking.
    static let dylibHijacking = "T1574.004"
    /// Subvert Trust Controls: Code Signing.
    static let codeSigning = "T1553.002"
    /// Obfuscated Files or Information.
    static let obfuscation = "T1027"
    /// Obfuscated Files or Information: Steganography.
    static let steganography = "T1027.003"
}
