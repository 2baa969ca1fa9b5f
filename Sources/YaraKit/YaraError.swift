internal import CYara

/// An error from libyara or from the wrapper around it.
public struct YaraError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What went wrong, for callers that branch on it.
    public enum Code: Sendable, Hashable {
        /// libyara could not be initialised.
        case initialisation
        /// A rule source failed to compile (details are in ``RuleCompilation/errors``).
        case compilation
        /// The scan exceeded its time limit.
        case timeout
        /// More concurrent scanners than libyara allows on one rule set (`YR_MAX_THREADS`, 32).
        case tooManyScanners
        /// An external variable was not declared when the rules were compiled.
        case undefinedExternal
        /// Memory allocation failed inside libyara.
        case outOfMemory
        /// Any other libyara error code.
        case library(Int32)
    }

    public var code: Code
    public var message: String

    public init(code: Code, message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }

    /// Maps a libyara return code to an error (the one place where C codes become Swift errors).
    @inline(never)
    static func fromLibrary(_ rc: Int32, context: String) -> YaraError {
        switch rc {
        case ERROR_SCAN_TIMEOUT: YaraError(code: .timeout, message: "\(context): YARA scan timed out")
        case ERROR_INSUFFICIENT_MEMORY: YaraError(code: .outOfMemory, message: "\(context): libyara ran out of memory")
        case ERROR_TOO_MANY_SCAN_THREADS:
            YaraError(code: .tooManyScanners, message: "\(context): too many concurrent YARA scans on one rule set")
        case ERROR_INVALID_ARGUMENT, ERROR_UNDEFINED_IDENTIFIER:
            YaraError(code: .undefinedExternal, message: "\(context): external variable not declared in the rules")
        default: YaraError(code: .library(rc), message: "\(context): libyara error \(rc)")
        }
    }
}

/// Initialises libyara once per process (thread-safe through Swift's lazy global initialisation).
/// libyara is never finalised: compiled rules may live until the process exits.
private let libraryStatus: Int32 = yr_initialize()

/// Throws when libyara could not be initialised.
func ensureLibraryInitialised() throws(YaraError) {
    guard libraryStatus == ERROR_SUCCESS else {
        throw YaraError(code: .initialisation, message: "libyara failed to initialise (error \(libraryStatus))")
    }
}
