import Dispatch
import VigilCore

#if canImport(Glibc)
@preconcurrency import Glibc
#elseif canImport(Musl)
@preconcurrency import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// `O_NOATIME` (Linux, from `_GNU_SOURCE`, not visible to Swift): reading does not update the access time.
#if os(Linux)
let noAccessTimeFlag: Int32 = 0o1000000
#else
let noAccessTimeFlag: Int32 = 0
#endif

/// A file read once: its bytes (capped), hashes computed from that same read, and ownership.
struct ReadFile {
    var bytes: [UInt8]
    var hashes: FileHashes
    var ownerID: UInt32
    /// Set when the file changed while it was read (the bytes are what was read; a diagnostic says so).
    var changeNote: String?
}

/// Why a file was not read.
enum ReadRefusal: Error {
    /// A diagnostic to report instead of scanning (unreadable, vanished, special file, too large…).
    case diagnostic(Diagnostic)
}

/// Opens and reads files without following a final symbolic link unless allowed, never blocking on
/// FIFOs, never updating access times when the system allows it, and hashing while reading.
///
/// Uses `pread` into an owned buffer rather than `mmap`: a mapped file truncated by another process
/// would raise SIGBUS and kill the sweep.
enum FileReader {
    /// Chunk size for reading and hashing (keeps each chunk in cache between the two steps).
    static let chunkSize = 1 << 20

    static func read(
        _ item: WorkItem, maxFileSize: Int, extraDigests: ExtraDigests = [.md5, .sha1], largeFileGate: LargeFileGate
    ) throws(ReadRefusal) -> ReadFile {
        let path = item.path
        var flags = O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC
        if !item.mayFollow { flags |= O_NOFOLLOW }
        var fd = open(path.bytes, flags | noAccessTimeFlag)
        if fd < 0, errno == EPERM { fd = open(path.bytes, flags) }  // O_NOATIME needs ownership
        guard fd >= 0 else {
            let code = errno
            let message = code == ELOOP ? "became a symbolic link while scanning" : "cannot open: \(errnoMessage(code))"
            throw .diagnostic(Diagnostic(kind: diagnosticKind(forErrno: code), path: path.display, message: message))
        }
        defer { close(fd) }
        var before = stat()
        guard fstat(fd, &before) == 0 else {
            throw .diagnostic(Diagnostic(kind: "unreadable", path: path.display, message: "cannot stat: \(errnoMessage())"))
        }
        let kind = FileKind(mode: before.st_mode)
        guard kind == .regular else {
            throw .diagnostic(Diagnostic(kind: "special-file", path: path.display, message: "\(kind.label): not read or scanned"))
        }
        let size = Int(before.st_size)
        guard size <= maxFileSize else {
            throw .diagnostic(Diagnostic(
                kind: "skipped-size", path: path.display,
                message: "\(size) bytes exceeds --max-file-size \(maxFileSize): not hashed or scanned (file name indicators still checked)"))
        }

        let large = size > LargeFileGate.threshold
        if large { largeFileGate.enter() }
        defer { if large { largeFileGate.leave() } }

        var hasher = MultiHasher(extra: extraDigests)
        var readError: Int32 = 0
        var bytes = [UInt8](unsafeUninitializedCapacity: size) { buffer, initialized in
            var offset = 0
            while offset < size {
                let want = min(chunkSize, size - offset)
                let n = pread(fd, buffer.baseAddress! + offset, want, off_t(offset))
                if n < 0 {
                    if errno == EINTR { continue }
                    readError = errno
                    break
                }
                if n == 0 { break }  // the file shrank
                hasher.update(UnsafeRawBufferPointer(start: buffer.baseAddress! + offset, count: n))
                offset += n
            }
            initialized = offset
        }
        if readError != 0 {
            throw .diagnostic(Diagnostic(kind: "unreadable", path: path.display, offset: bytes.count, message: "read failed: \(errnoMessage(readError))"))
        }
        var note: String?
        if bytes.count < size {
            note = "file shrank from \(size) to \(bytes.count) bytes while being read; scanned what was read"
        } else {
            var probe: UInt8 = 0
            if pread(fd, &probe, 1, off_t(size)) > 0 { note = "file grew while being read; scanned the first \(size) bytes" }
        }
        var after = stat()
        if note == nil, fstat(fd, &after) == 0,
            after.st_mtim.tv_sec != before.st_mtim.tv_sec || after.st_mtim.tv_nsec != before.st_mtim.tv_nsec
        {
            note = "file was modified while being read; scanned the bytes as read"
        }
        if bytes.count < bytes.capacity / 2 { bytes = Array(bytes) }
        return ReadFile(bytes: bytes, hashes: hasher.finalize(), ownerID: UInt32(before.st_uid), changeNote: note)
    }
}

/// Lets one thread at a time hold a large file in memory, so peak memory stays near
/// `threads × threshold + max-file-size` instead of `threads × max-file-size`.
final class LargeFileGate: Sendable {
    /// Files above 32 MiB take the gate.
    static let threshold = 32 << 20
    private let semaphore = DispatchSemaphore(value: 1)

    func enter() { semaphore.wait() }
    func leave() { semaphore.signal() }
}
