import VigilCore

#if canImport(Glibc)
@preconcurrency import Glibc
#elseif canImport(Musl)
@preconcurrency import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes one line to standard error without Foundation. The message is escaped (``TerminalSafe``):
/// it often quotes input (a path, a feed value), which must not rewrite the terminal or add lines.
func printToStandardError(_ message: String) {
    let line = TerminalSafe.escape(message.hasSuffix("\n") ? message.dropLast() : Substring(message)) + "\n"
    var bytes = Array(line.utf8)
    var offset = 0
    while offset < bytes.count {
        let n = bytes.withUnsafeMutableBytes { write(2, $0.baseAddress! + offset, $0.count - offset) }
        if n <= 0 { break }
        offset += n
    }
}

/// Exits the process with `code`.
func Foundation_exit(_ code: Int32) -> Never {
    exit(code)
}

/// Whether standard error is a terminal (progress is shown only then).
var standardErrorIsTerminal: Bool { isatty(2) == 1 }

/// Whether standard output is a terminal (colour is used only then).
var standardOutputIsTerminal: Bool { isatty(1) == 1 }
