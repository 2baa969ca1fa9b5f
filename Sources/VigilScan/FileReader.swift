import Dispatch
import VigilBinary
import VigilContainers
import VigilCore

#if canImport(Glibc)
@preconcurrency import Glibc
#elseif canImport(Musl)
@preconcurrency import Musl
#elseif canImport(Darwin)
import Darwin
#endif


/// A file read once: its bytes (capped), hashes computed from that same read, and ownership.
struct ReadFile {
    var bytes: [UInt8]
    var hashes: FileHashes
    var ownerID: UInt32
    /// Set when the file changed while it was read (the bytes are what was read; a diagnostic says so).
    var changeNote: String?
    /// Device, inode, size and times as `fstat` gave them before the read (the scan cache's key).
    var stamp = FileStamp(device: 0, inode: 0, size: 0, modifiedNanoseconds: 0, changedNanoseconds: 0)
    /// The file is larger than ``LargeFileGate/threshold``: its bytes live in the gate's storage and the
    /// reader holds the gate; the caller must ``LargeFileGate/leave()`` once it no longer uses `bytes`.
    var holdsLargeFileGate = false
}

/// Why a file was not read.
enum ReadRefusal: Error {
    /// A diagnostic to report instead of scanning (unreadable, vanished, special file, too large…).
    case diagnostic(Diagnostic)
    /// The caller's `reuse` check accepted this stamp: the file was opened and `fstat`ed, not read.
    case reused(FileStamp)
}

/// Opens and reads files without following a final symbolic link unless allowed, never blocking on
/// FIFOs, never updating access times when the system allows it, and hashing while reading.
///
/// Uses `pread` into an owned buffer rather than `mmap`: a mapped file truncated by another process
/// would raise SIGBUS and kill the sweep.
enum FileReader {
    /// Chunk size for reading and hashing (keeps each chunk in cache between the two steps).
    static let chunkSize = 1 << 20
    /// Files from this size on get `read`'s `onHead` call: 1 MiB (below it, reading the rest takes
    /// too little time to matter).
    static let headCallbackMinimum = 1 << 20

    /// Reads `item` into fresh storage (for callers that read one file).
    static func read(
        _ item: WorkItem, maxFileSize: Int, extraDigests: ExtraDigests = [.md5, .sha1], largeFileGate: LargeFileGate
    ) throws(ReadRefusal) -> ReadFile {
        var buffer = ReadBuffer()
        let file = try read(item, maxFileSize: maxFileSize, extraDigests: extraDigests, largeFileGate: largeFileGate, into: &buffer)
        if file.holdsLargeFileGate { largeFileGate.leave() }
        return file
    }

    /// Reads `item` into `buffer`'s storage, or into the gate's storage (holding the gate) when the
    /// file is larger than ``LargeFileGate/threshold``. The returned ``ReadFile/bytes`` share that
    /// storage until it is filled again.
    /// - Parameters:
    ///   - throttle: a read budget shared by the sweep's workers, consulted per chunk.
    ///   - reuse: asked with the file's stamp before any byte is read; `true` stops with
    ///     ``ReadRefusal/reused(_:)`` (the scan cache holds a result for exactly this file).
    ///   - statFirst: ask `reuse` with the stamp `fstatat` gives by path before opening the file, so
    ///     an unchanged file costs one system call instead of three (`open`, `fstat`, `close`); the
    ///     stamp names the same file either way. Set when a scan cache is in use.
    ///   - onHead: for a file of at least ``headCallbackMinimum`` bytes, called once with its first
    ///     ``ContainerProbe/headBytes`` bytes (and its size) as soon as they are read, before the rest
    ///     (a container can then be walked while the rest is read and hashed).
    static func read(
        _ item: WorkItem, maxFileSize: Int, extraDigests: ExtraDigests, largeFileGate: LargeFileGate,
        into buffer: inout ReadBuffer, throttle: ReadThrottle? = nil, statFirst: Bool = false,
        reuse: (FileStamp) -> Bool = { _ in false }, onHead: ((UnsafeRawBufferPointer, Int) -> Void)? = nil
    ) throws(ReadRefusal) -> ReadFile {
        let path = item.path
        if statFirst, path.bytes.count <= QuietFile.pathMax {
            var early = stat()
            if fstatat(AT_FDCWD, path.bytes, &early, item.mayFollow ? 0 : AT_SYMLINK_NOFOLLOW) == 0,
               FileKind(mode: early.st_mode) == .regular, Int(early.st_size) <= maxFileSize {
                let stamp = FileStamp(early)
                if reuse(stamp) { throw .reused(stamp) }
            }
        }
        // O_NOATIME where permitted, O_NONBLOCK (a FIFO swapped in never blocks), O_NOFOLLOW unless allowed.
        let fd = QuietFile.open(path.bytes, followFinalSymlink: item.mayFollow)
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
        let stamp = FileStamp(before)
        if reuse(stamp) { throw .reused(stamp) }

        if size > LargeFileGate.threshold {
            largeFileGate.enter()
            do {
                var file = try read(
                    fd, before: before, path: path, extraDigests: extraDigests, into: &largeFileGate.buffer, throttle: throttle, onHead: onHead)
                file.holdsLargeFileGate = true
                file.stamp = stamp
                return file
            } catch {
                largeFileGate.leave()
                throw error
            }
        }
        var file = try read(fd, before: before, path: path, extraDigests: extraDigests, into: &buffer, throttle: throttle, onHead: onHead)
        file.stamp = stamp
        return file
    }

    /// A container member the walker kept in memory, hashed like a file read from disk (in the
    /// same chunks), owned by this process's user as its file in the private folder would be.
    /// - Throws: ``ReadRefusal/diagnostic(_:)`` when it is larger than `maxFileSize`.
    static func read(memory bytes: [UInt8], name: String, maxFileSize: Int, extraDigests: ExtraDigests) throws(ReadRefusal) -> ReadFile {
        guard bytes.count <= maxFileSize else {
            throw .diagnostic(Diagnostic(
                kind: "skipped-size", path: name,
                message: "\(bytes.count) bytes exceeds --max-file-size \(maxFileSize): not hashed or scanned (file name indicators still checked)"))
        }
        var hasher = MultiHasher(extra: extraDigests)
        bytes.withUnsafeBytes { all in
            var offset = 0
            while offset < all.count {
                let n = min(chunkSize, all.count - offset)
                hasher.update(UnsafeRawBufferPointer(rebasing: all[offset..<offset + n]))
                offset += n
            }
        }
        return ReadFile(bytes: bytes, hashes: hasher.finalize(), ownerID: UInt32(geteuid()), changeNote: nil)
    }

    private static func read(
        _ fd: Int32, before: stat, path: RawPath, extraDigests: ExtraDigests, into buffer: inout ReadBuffer,
        throttle: ReadThrottle?, onHead: ((UnsafeRawBufferPointer, Int) -> Void)? = nil
    ) throws(ReadRefusal) -> ReadFile {
        let size = Int(before.st_size)
        var hasher = MultiHasher(extra: extraDigests)
        var readError: Int32 = 0
        var headPending = onHead != nil && size >= headCallbackMinimum
        buffer.fill(count: size) { destination in
            var offset = 0
            while offset < size {
                let want = min(chunkSize, size - offset)
                throttle?.consume(want)
                let n = pread(fd, destination.baseAddress! + offset, want, off_t(offset))
                if n < 0 {
                    if errno == EINTR { continue }
                    readError = errno
                    break
                }
                if n == 0 { break }  // the file shrank
                hasher.update(UnsafeRawBufferPointer(start: destination.baseAddress! + offset, count: n))
                offset += n
                if headPending, offset >= min(size, ContainerProbe.headBytes) {
                    headPending = false
                    onHead?(UnsafeRawBufferPointer(start: destination.baseAddress!, count: min(offset, ContainerProbe.headBytes)), size)
                }
            }
            return offset
        }
        let bytes = buffer.bytes
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
        return ReadFile(bytes: bytes, hashes: hasher.finalize(), ownerID: UInt32(before.st_uid), changeNote: note)
    }
}

/// The bytes of the file being scanned, in storage that is reused from file to file.
///
/// A fresh whole-file array per file costs the kernel a page fault for every 4 KiB of it (glibc maps
/// allocations this size on demand and unmaps them when freed), which was about half the time of a
/// sweep without rules. Reused storage is faulted in once. Each worker keeps one buffer for files up to
/// ``LargeFileGate/threshold``; larger files go to the one buffer the ``LargeFileGate`` owns.
/// The storage is a copy-on-write array: a consumer still holding the previous file's bytes when the
/// buffer is refilled keeps them intact (the refill then copies instead of reusing).
struct ReadBuffer {
    /// The current file's bytes.
    private(set) var bytes: [UInt8] = []

    /// Makes room for `count` bytes and lets `write` fill them; `write` returns how many it wrote
    /// (at most `count`), and ``bytes`` ends up exactly that long.
    mutating func fill(count: Int, _ write: (UnsafeMutableRawBufferPointer) -> Int) {
        if count <= bytes.capacity {
            if bytes.count > count {
                bytes.removeLast(bytes.count - count)
            } else if bytes.count < count {
                bytes.append(contentsOf: repeatElement(0, count: count - bytes.count))
            }
            let written = bytes.withUnsafeMutableBytes { write($0) }
            if written < count { bytes.removeLast(count - written) }
        } else {
            // Grow geometrically up to the gate's threshold, so a rising run of sizes allocates rarely;
            // above it, allocate exactly (the large-file buffer is one per sweep).
            let threshold = LargeFileGate.threshold
            let capacity = count <= threshold ? min(threshold, max(count, bytes.capacity * 2)) : count
            bytes = []
            bytes = [UInt8](unsafeUninitializedCapacity: capacity) { storage, initialized in
                initialized = min(count, write(UnsafeMutableRawBufferPointer(UnsafeMutableBufferPointer(rebasing: storage[0..<count]))))
            }
        }
    }
}

/// Lets one thread at a time hold a large file in memory, so peak memory stays near
/// `threads × threshold + max-file-size` instead of `threads × max-file-size`. The gate owns the
/// storage large files are read into, reused from one large file to the next.
final class LargeFileGate: @unchecked Sendable {
    /// Files above 32 MiB take the gate.
    static let threshold = 32 << 20
    private let semaphore = DispatchSemaphore(value: 1)
    /// Storage for the large file being scanned; used only by the thread holding the gate.
    var buffer = ReadBuffer()

    func enter() { semaphore.wait() }
    func leave() { semaphore.signal() }
}

extension FileStamp {
    /// The scan cache's key of a file from its `stat`.
    init(_ status: stat) {
        self.init(
            device: UInt64(status.st_dev), inode: UInt64(status.st_ino), size: Int64(status.st_size),
            modifiedNanoseconds: Int64(status.st_mtim.tv_sec) * 1_000_000_000 + Int64(status.st_mtim.tv_nsec),
            changedNanoseconds: Int64(status.st_ctim.tv_sec) * 1_000_000_000 + Int64(status.st_ctim.tv_nsec))
    }
}
