#if canImport(Glibc)
@preconcurrency import Glibc
#elseif canImport(Musl)
@preconcurrency import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Opening and reading files the way every Vigil command does: read-only, never blocking on a FIFO,
/// never becoming the controlling terminal, and without updating the access time where the system
/// allows it, so that a sweep or an inspection leaves no trace in what forensics later reads.
///
/// `O_NOATIME` (Linux) needs the caller to own the file or hold `CAP_FOWNER`; otherwise `open` fails
/// with `EPERM` and the file is opened again without it, silently.
public enum QuietFile {
    /// `O_NOATIME` (from `_GNU_SOURCE`, not visible to Swift); 0 where it does not exist.
    #if os(Linux)
    public static let noAccessTimeFlag: Int32 = 0o1000000
    #else
    public static let noAccessTimeFlag: Int32 = 0
    #endif

    /// Opens `path` (NUL-terminated bytes) for reading; a final symbolic link is followed only when
    /// `followFinalSymlink`. Returns the descriptor, or -1 with `errno` set.
    public static func open(_ path: UnsafePointer<CChar>, followFinalSymlink: Bool = true, relativeTo directory: Int32? = nil) -> Int32 {
        var flags = O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC
        if !followFinalSymlink { flags |= O_NOFOLLOW }
        let base = directory ?? AT_FDCWD
        var fd = openLong(path, flags: flags | noAccessTimeFlag, relativeTo: base)
        if fd < 0, errno == EPERM, noAccessTimeFlag != 0 { fd = openLong(path, flags: flags, relativeTo: base) }
        return fd
    }

    /// The longest path the kernel accepts in one call, with its NUL.
    #if os(Linux)
    public static let pathMax = 4096
    #else
    public static let pathMax = 1024
    #endif

    /// `openat(base, path, flags)`, also for paths longer than ``pathMax`` (a file below thousands of
    /// nested folders): such a path is opened folder by folder in pieces shorter than ``pathMax``, each
    /// with `openat` relative to the descriptor of the piece before, so the reported path stays the
    /// full path. Returns -1 with `errno` set on failure.
    public static func openLong(_ path: UnsafePointer<CChar>, flags: Int32, relativeTo base: Int32 = AT_FDCWD) -> Int32 {
        let length = strlen(path)
        if length < pathMax { return openat(base, path, flags) }
        let bytes = UnsafeRawBufferPointer(start: path, count: length)
        let slash = UInt8(ascii: "/")
        var directory = base
        var ownsDirectory = false
        var start = 0
        func fail(_ code: Int32) -> Int32 {
            if ownsDirectory { close(directory) }
            errno = code
            return -1
        }
        if bytes[0] == slash {
            directory = openat(AT_FDCWD, "/", O_RDONLY | O_DIRECTORY | O_CLOEXEC)
            guard directory >= 0 else { return -1 }
            ownsDirectory = true
            start = 1
        }
        while length - start >= pathMax - 1 {
            // The last `/` that keeps this piece under the limit.
            var cut = start + pathMax - 2
            while cut > start && bytes[cut] != slash { cut -= 1 }
            guard cut > start else { return fail(ENAMETOOLONG) }
            let piece = Array(bytes[start..<cut]) + [0]
            let next = piece.withUnsafeBufferPointer { openat(directory, UnsafeRawPointer($0.baseAddress!).assumingMemoryBound(to: CChar.self), O_RDONLY | O_DIRECTORY | O_CLOEXEC) }
            guard next >= 0 else { return fail(errno) }
            if ownsDirectory { close(directory) }
            directory = next
            ownsDirectory = true
            start = cut + 1
        }
        let rest = Array(bytes[start...]) + [0]
        let fd = rest.withUnsafeBufferPointer { openat(directory, UnsafeRawPointer($0.baseAddress!).assumingMemoryBound(to: CChar.self), flags) }
        let code = errno
        if ownsDirectory { close(directory) }
        errno = code
        return fd
    }

    /// Why ``readRegularFile(atPath:maximumSize:)`` failed.
    public enum ReadError: Error, Sendable, Hashable, CustomStringConvertible {
        /// `open`, `fstat` or `read` failed: the system's reason.
        case system(String)
        /// Not a regular file: a folder, FIFO, socket or device (never read: it could block or never end).
        case notRegular(String)
        /// Larger than the limit.
        case tooLarge(size: Int, limit: Int)

        public var description: String {
            switch self {
            case .system(let message): message
            case .notRegular(let kind): "is a \(kind), not a regular file"
            case .tooLarge(let size, let limit): "file is \(size) bytes, more than the \(limit)-byte limit"
            }
        }
    }

    /// Reads a whole regular file of at most `maximumSize` bytes, opened with ``open(_:followFinalSymlink:relativeTo:)``.
    public static func readRegularFile(atPath path: String, maximumSize: Int) throws(ReadError) -> [UInt8] {
        let fd = path.withCString { open($0) }
        guard fd >= 0 else {
            let code = errno
            throw .system(code == ENOENT ? "no such file" : "cannot open: " + String(cString: strerror(code)))
        }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw .system("cannot stat: " + String(cString: strerror(errno))) }
        switch st.st_mode & S_IFMT {
        case S_IFREG: break
        case S_IFDIR: throw .notRegular("directory")
        case S_IFIFO: throw .notRegular("FIFO (named pipe)")
        case S_IFSOCK: throw .notRegular("socket")
        case S_IFCHR: throw .notRegular("character device")
        case S_IFBLK: throw .notRegular("block device")
        default: throw .notRegular("special file")
        }
        let size = Int(st.st_size)
        guard size <= maximumSize else { throw .tooLarge(size: size, limit: maximumSize) }
        // Read up to the limit plus one byte: a file that grew since fstat is caught, never read without end.
        var bytes = [UInt8](repeating: 0, count: min(size, maximumSize) + 1)
        var filled = 0
        while filled < bytes.count {
            let n = bytes.withUnsafeMutableBytes { read(fd, $0.baseAddress! + filled, $0.count - filled) }
            if n < 0 {
                if errno == EINTR || errno == EAGAIN { continue }
                throw .system("cannot read: " + String(cString: strerror(errno)))
            }
            if n == 0 { break }
            filled += n
            if filled == bytes.count, filled <= maximumSize { bytes += [UInt8](repeating: 0, count: min(1 << 20, maximumSize + 1 - filled)) }
        }
        guard filled <= maximumSize else { throw .tooLarge(size: filled, limit: maximumSize) }
        bytes.removeSubrange(filled...)
        return bytes
    }
}
