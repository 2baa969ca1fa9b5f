/// The stable identifiers of the structural checks (`Finding.check`), documented in
/// `docs/detections.md`. Tools that filter or suppress findings key on these strings.
public enum CheckID {
    /// Data hidden inside the Authenticode certificate table (slack, padding, marker).
    public static let certificateTableSlack = "pe.cert-table-slack"
    /// The Authenticode image digest does not match the file.
    public static let digestMismatch = "pe.signature-digest-mismatch"
    /// Bytes after the certificate table (outside every signed and excluded range).
    public static let dataAfterCertificateTable = "pe.data-after-cert-table"
    /// The security directory size disagrees with the WIN_CERTIFICATE lengths.
    public static let certificateTableSize = "pe.cert-table-size-mismatch"
    /// A signed program imports a DLL from its own folder that is unsigned, signed by someone else,
    /// or itself tampered.
    public static let sideloadedDependency = "pe.sideload-dependency"
    /// A DLL named like a Windows system library sits in an application folder.
    public static let systemLibraryName = "pe.system-dll-name"
    /// A HijackLibs vulnerable executable and its DLL sit together outside the expected locations.
    public static let hijackLibsPair = "pe.hijacklibs-pair"
    /// Bytes after the last image of an ICO or after IEND of a PNG.
    public static let imageTrailer = "image.trailing-data"
    /// A weak dylib that is missing or resolves outside the bundle.
    public static let weakDylib = "macho.weak-dylib"
    /// An `@rpath` dylib that resolves first into a writable or unexpected folder.
    public static let rpathHijack = "macho.rpath-hijack"
    /// A (non-weak) dylib missing from where the binary expects it.
    public static let missingDylib = "macho.missing-dylib"
    /// A library signed by another team, ad-hoc or unsigned inside a certificate-signed bundle.
    public static let librarySigner = "macho.library-signer-mismatch"
    /// Page hashes of a Mach-O code signature do not match the code.
    public static let pageHashes = "macho.page-hash-mismatch"
}
