#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// `write(2)` and `open(2)` under names the classes here (which have `write`/`open` methods) can call.
func posixWrite(_ fd: Int32, _ buffer: UnsafeRawPointer, _ count: Int) -> Int { write(fd, buffer, count) }
func posixOpen(_ path: String, _ flags: Int32, _ mode: mode_t) -> Int32 { open(path, flags, mode) }

/// A file opened read-only, read with `pread` and bounds-checked against its size.
final class InputFile {
    let fd: Int32
    let size: UInt64
    let path: String

    init(path: String) throws(DiskImageError) {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw DiskImageError(.io, "cannot open \(path): \(String(cString: strerror(errno)))") }
        var st = stat()
        guard fstat(fd, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else {
            close(fd)
            throw DiskImageError(.io, "\(path) is not a regular file")
        }
        self.fd = fd
        self.size = UInt64(max(0, st.st_size))
        self.path = path
    }

    deinit { close(fd) }

    /// Exactly `count` bytes at `offset`, or an error naming the range.
    func read(at offset: UInt64, count: Int) throws(DiskImageError) -> [UInt8] {
        try readAll(fd: fd, at: offset, count: count, size: size, what: path)
    }
}

/// Reads exactly `count` bytes at `offset` of `fd` (a file of `size` bytes).
func readAll(fd: Int32, at offset: UInt64, count: Int, size: UInt64, what: String) throws(DiskImageError) -> [UInt8] {
    guard count >= 0, KolyTrailer.inside(offset, UInt64(count), size), offset <= UInt64(Int64.max) else {
        throw DiskImageError(.malformed, "\(what): \(count) bytes at offset \(offset) lie past the end (\(size) bytes)")
    }
    var buffer = [UInt8](repeating: 0, count: count)
    var done = 0
    while done < count {
        let n = buffer.withUnsafeMutableBytes { raw in
            pread(fd, raw.baseAddress! + done, count - done, off_t(offset) + off_t(done))
        }
        if n < 0 && errno == EINTR { continue }
        guard n > 0 else {
            throw DiskImageError(.io, "\(what): read failed at offset \(offset + UInt64(done)): \(n < 0 ? String(cString: strerror(errno)) : "unexpected end")")
        }
        done += n
    }
    return buffer
}

/// A private temporary file (mode 0600, created exclusively) in a work folder, removed when the
/// object goes away. Tracks the bytes written against a shared budget.
final class PrivateFile {
    let path: String
    let fd: Int32
    private(set) var size: UInt64 = 0

    init(directory: String, prefix: String) throws(DiskImageError) {
        var template = Array((directory + "/" + prefix + "-XXXXXX").utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard fd >= 0 else {
            throw DiskImageError(.io, "cannot create a temporary file in \(directory): \(String(cString: strerror(errno)))")
        }
        _ = fchmod(fd, 0o600)
        self.fd = fd
        self.path = String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    deinit {
        close(fd)
        unlink(path)
    }

    /// Sets the size (a sparse file: unwritten ranges read as zeros and take no space).
    func setSize(_ newSize: UInt64) throws(DiskImageError) {
        guard newSize <= UInt64(Int64.max), ftruncate(fd, off_t(newSize)) == 0 else {
            throw DiskImageError(.io, "cannot size the temporary file to \(newSize) bytes: \(String(cString: strerror(errno)))")
        }
        size = newSize
    }

    func write(_ bytes: [UInt8], at offset: UInt64) throws(DiskImageError) {
        var done = 0
        while done < bytes.count {
            let n = bytes.withUnsafeBytes { raw in
                pwrite(fd, raw.baseAddress! + done, bytes.count - done, off_t(offset) + off_t(done))
            }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { throw DiskImageError(.io, "cannot write the temporary file: \(String(cString: strerror(errno)))") }
            done += n
        }
    }

    func read(at offset: UInt64, count: Int) throws(DiskImageError) -> [UInt8] {
        try readAll(fd: fd, at: offset, count: count, size: size, what: "decoded disk")
    }
}

/// Makes a private work folder (mode 0700) under `$TMPDIR` (or /tmp).
func makeWorkDirectory() throws(DiskImageError) -> String {
    let base = getenv("TMPDIR").map { String(cString: $0) } ?? "/tmp"
    var template = Array((base + "/vigil-dmg-XXXXXX").utf8CString)
    guard template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) != nil else {
        throw DiskImageError(.io, "cannot create a private temporary folder in \(base): \(String(cString: strerror(errno)))")
    }
    return String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
}

/// Writes `bytes` to `fd` (at its current position).
func writeAll(fd: Int32, _ bytes: UnsafeRawBufferPointer) throws(DiskImageError) {
    var done = 0
    while done < bytes.count {
        let n = posixWrite(fd, bytes.baseAddress! + done, bytes.count - done)
        if n < 0 && errno == EINTR { continue }
        guard n > 0 else { throw DiskImageError(.io, "write failed: \(String(cString: strerror(errno)))") }
        done += n
    }
}
