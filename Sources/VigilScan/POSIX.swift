import VigilCore

#if canImport(Glibc)
@preconcurrency import Glibc
#elseif canImport(Musl)
@preconcurrency import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A path as raw bytes (file names need not be UTF-8) plus its display form.
struct RawPath: Sendable, Hashable {
    /// NUL-terminated bytes for system calls.
    var bytes: [CChar]
    /// The path for reports: the name itself when it is valid UTF-8 (JSON escapes it; text renderers
    /// escape it with ``TerminalSafe``), else with every byte of each invalid sequence written `\xHH`
    /// (``TerminalSafe/escape(bytes:)``), so two names that differ only in invalid bytes stay
    /// distinguishable instead of both becoming U+FFFD.
    var display: String

    init(bytes: [CChar]) {
        self.bytes = bytes
        let end = bytes.firstIndex(of: 0) ?? bytes.count
        let raw = bytes[..<end].map { UInt8(bitPattern: $0) }
        self.display = String(validating: raw, as: UTF8.self) ?? TerminalSafe.escape(bytes: raw)
    }

    init(_ string: String) {
        self.init(bytes: Array(string.utf8CString))
    }

    /// `self/name`.
    func appending(_ name: UnsafeRawBufferPointer) -> RawPath {
        var b = Array(bytes.dropLast())  // drop NUL
        if b.last != CChar(UInt8(ascii: "/")) { b.append(CChar(UInt8(ascii: "/"))) }
        b += name.map { CChar(bitPattern: $0) }
        b.append(0)
        return RawPath(bytes: b)
    }
}

/// File kind from `st_mode`.
enum FileKind: Sendable {
    case regular, directory, symlink, fifo, socket, characterDevice, blockDevice, other

    init(mode: mode_t) {
        switch mode & S_IFMT {
        case S_IFREG: self = .regular
        case S_IFDIR: self = .directory
        case S_IFLNK: self = .symlink
        case S_IFIFO: self = .fifo
        case S_IFSOCK: self = .socket
        case S_IFCHR: self = .characterDevice
        case S_IFBLK: self = .blockDevice
        default: self = .other
        }
    }

    var label: String {
        switch self {
        case .regular: "regular file"
        case .directory: "directory"
        case .symlink: "symbolic link"
        case .fifo: "FIFO (named pipe)"
        case .socket: "socket"
        case .characterDevice: "character device"
        case .blockDevice: "block device"
        case .other: "special file"
        }
    }
}

/// The reason for the last failed system call.
func errnoMessage(_ code: Int32 = errno) -> String { String(cString: strerror(code)) }

/// Diagnostic kind for an `errno` from open/opendir/stat.
func diagnosticKind(forErrno code: Int32) -> String {
    switch code {
    case ENOENT, ENOTDIR: "vanished"
    case EACCES, EPERM: "unreadable"
    case ELOOP: "changed"
    default: "unreadable"
    }
}

/// The current working directory, for absolute paths.
func currentDirectory() -> String {
    guard let pointer = getcwd(nil, 0) else { return "/" }
    defer { free(pointer) }
    return String(cString: pointer)
}
