import VigilBinary

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Random-access bytes for the compound-file reader: a file read with `pread` (only the sectors that
/// are needed are read, so a large installer is never loaded whole) or an in-memory buffer (tests,
/// fuzzing).
public protocol ByteSource: Sendable {
    /// Total size in bytes.
    var size: Int { get }
    /// Reads exactly `count` bytes at `offset`, or throws ``CFBError/truncated``.
    func read(offset: Int, count: Int) throws(CFBError) -> [UInt8]
    /// Reads exactly `buffer.count` bytes at `offset` into `buffer`, or throws ``CFBError/truncated``.
    func read(offset: Int, into buffer: UnsafeMutableRawBufferPointer) throws(CFBError)
}

extension ByteSource {
    public func read(offset: Int, into buffer: UnsafeMutableRawBufferPointer) throws(CFBError) {
        let bytes = try read(offset: offset, count: buffer.count)
        bytes.withUnsafeBytes { buffer.copyMemory(from: $0) }
    }
}

/// Bytes held in memory.
public struct MemoryByteSource: ByteSource {
    public let bytes: [UInt8]
    public init(_ bytes: [UInt8]) { self.bytes = bytes }
    public var size: Int { bytes.count }
    public func read(offset: Int, count: Int) throws(CFBError) -> [UInt8] {
        guard offset >= 0, count >= 0, let end = offset.adding(count), end <= bytes.count else {
            throw .truncated(offset: offset, needed: count)
        }
        return Array(bytes[offset..<end])
    }
}

/// A regular file read with `pread`; the descriptor is closed when the last copy goes away.
public final class FileByteSource: ByteSource {
    private let fd: Int32
    public let size: Int
    /// The file's path, for messages.
    public let path: String

    /// Opens `path` read-only; throws ``CFBError/io`` when it cannot be opened or is not a regular file.
    public init(path: String) throws(CFBError) {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw .io("cannot open \(path): \(String(cString: strerror(errno)))") }
        var st = stat()
        guard fstat(fd, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else {
            close(fd)
            throw .io("\(path) is not a regular file")
        }
        self.fd = fd
        self.size = Int(st.st_size)
        self.path = path
    }

    deinit { close(fd) }

    public func read(offset: Int, count: Int) throws(CFBError) -> [UInt8] {
        guard offset >= 0, count >= 0, let end = offset.adding(count), end <= size else {
            throw .truncated(offset: offset, needed: count)
        }
        if count == 0 { return [] }
        var out = [UInt8](repeating: 0, count: count)
        var failure: CFBError?
        out.withUnsafeMutableBytes { buf in
            do throws(CFBError) { try read(offset: offset, into: buf) } catch { failure = error }
        }
        if let failure { throw failure }
        return out
    }

    public func read(offset: Int, into buffer: UnsafeMutableRawBufferPointer) throws(CFBError) {
        let count = buffer.count
        guard offset >= 0, let end = offset.adding(count), end <= size else {
            throw .truncated(offset: offset, needed: count)
        }
        var done = 0
        while done < count {
            let n = pread(fd, buffer.baseAddress! + done, count - done, off_t(offset + done))
            if n < 0 {
                if errno == EINTR { continue }
                throw .io("read failed at offset \(offset + done): \(String(cString: strerror(errno)))")
            }
            if n == 0 { throw .truncated(offset: offset + done, needed: count - done) }
            done += n
        }
    }
}
