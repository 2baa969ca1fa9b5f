#if canImport(Glibc)
@preconcurrency import Glibc
#elseif canImport(Musl)
@preconcurrency import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import VigilGzip

/// Why a log file could not be read at all (the run continues with the next file).
public struct LogReadError: Error, Sendable, CustomStringConvertible {
    public var path: String
    public var message: String
    public var description: String { "\(path): \(message)" }

    public init(path: String, message: String) {
        self.path = path
        self.message = message
    }
}

/// Streams the lines of a file as raw bytes, decompressing gzip on the fly.
///
/// Lines are handed out as `UnsafeRawBufferPointer`s into a large read buffer (no `String` per line),
/// valid only during the callback. `\r\n` endings lose the `\r`. A line longer than
/// ``maxLineLength`` is not buffered without bound: it is skipped and reported through
/// `onOversized` with its line number.
///
/// Gzip is detected by its magic bytes (`1f 8b`), not by the file name, and decoded with
/// ``GzipDecoder`` (streaming, concatenated members as written by log rotation).
public struct LineReader {
    /// The longest line kept; longer lines are reported and skipped.
    public var maxLineLength = 1 << 20
    /// Bytes read per `read(2)` call.
    public var chunkSize = 4 << 20

    public init() {}

    /// Opens a regular file for reading. FIFOs, devices and sockets are refused: opening a FIFO
    /// waits for a writer and a device may never end, so the hunt would hang on them.
    /// `O_NONBLOCK` keeps the open itself from waiting; it has no effect on regular files.
    static func openRegular(_ path: String) throws(LogReadError) -> Int32 {
        let fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else { throw LogReadError(path: path, message: "cannot open: \(String(cString: strerror(errno)))") }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            close(fd)
            throw LogReadError(path: path, message: "cannot stat: \(String(cString: strerror(errno)))")
        }
        guard info.st_mode & S_IFMT == S_IFREG else {
            close(fd)
            let kind: String
            switch info.st_mode & S_IFMT {
            case S_IFIFO: kind = "FIFO (named pipe)"
            case S_IFCHR: kind = "character device"
            case S_IFBLK: kind = "block device"
            case S_IFSOCK: kind = "socket"
            default: kind = "special file"
            }
            throw LogReadError(path: path, message: "is a \(kind), not a regular file: not read (it could block or never end; copy the log to a file)")
        }
        return fd
    }

    /// Whether a file starts with the gzip magic (false for anything but a regular file).
    public static func isGzip(path: String) -> Bool {
        guard let fd = try? openRegular(path) else { return false }
        defer { close(fd) }
        var magic: (UInt8, UInt8) = (0, 0)
        let n = withUnsafeMutableBytes(of: &magic) { read(fd, $0.baseAddress, 2) }
        return n == 2 && magic.0 == 0x1f && magic.1 == 0x8b
    }

    /// Calls `body(line, lineNumber)` for every line; `onOversized(lineNumber)` for skipped long lines.
    /// Returning `false` from `body` stops reading early.
    /// - Throws: ``LogReadError`` when the file cannot be opened or read, or the gzip stream is corrupt
    ///   (lines before the damage have already been delivered).
    public func forEachLine(
        path: String,
        onOversized: (Int) -> Void = { _ in },
        _ body: (UnsafeRawBufferPointer, Int) throws -> Bool
    ) throws {
        let fd = try Self.openRegular(path)
        defer { close(fd) }
        var splitter = LineSplitter(maxLineLength: maxLineLength)
        var stopped = false
        let raw = UnsafeMutableRawBufferPointer.allocate(byteCount: chunkSize, alignment: 16)
        defer { raw.deallocate() }
        let gzip = Self.isGzip(path: path)
        let decoder: GzipDecoder? = gzip ? try? GzipDecoder() : nil
        if gzip && decoder == nil { throw LogReadError(path: path, message: "cannot start the gzip decoder") }
        while !stopped {
            let n = read(fd, raw.baseAddress, raw.count)
            if n < 0 {
                if errno == EINTR { continue }
                throw LogReadError(path: path, message: "read failed: \(String(cString: strerror(errno)))")
            }
            if n == 0 { break }
            let chunk = UnsafeRawBufferPointer(rebasing: raw[0..<n])
            if let decoder {
                do {
                    try decoder.decompress(RawChunk(buffer: chunk)) { block in
                        if stopped { return }
                        try block.withUnsafeBytes { b in
                            stopped = try !splitter.feed(b, onOversized: onOversized, body)
                        }
                    }
                } catch let e as GzipError {
                    try splitter.finish(onOversized: onOversized, body)
                    throw LogReadError(path: path, message: e.message)
                }
            } else {
                stopped = try !splitter.feed(chunk, onOversized: onOversized, body)
            }
        }
        if stopped { return }
        try splitter.finish(onOversized: onOversized, body)
        if let decoder {
            do { try decoder.finish() } catch let e as GzipError {
                throw LogReadError(path: path, message: e.message)
            }
        }
    }
}

/// A borrowed buffer handed to the gzip decoder without copying.
struct RawChunk: ContiguousBytesLike {
    var buffer: UnsafeRawBufferPointer
    func withBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R { try body(buffer) }
}

/// Splits a stream of chunks into lines, carrying a partial line between chunks.
struct LineSplitter {
    let maxLineLength: Int
    private var carry: [UInt8] = []
    private var skippingOversized = false
    var lineNumber = 0

    init(maxLineLength: Int) { self.maxLineLength = maxLineLength }

    /// Feeds one chunk; returns `false` when `body` asked to stop.
    mutating func feed(
        _ chunk: UnsafeRawBufferPointer,
        onOversized: (Int) -> Void,
        _ body: (UnsafeRawBufferPointer, Int) throws -> Bool
    ) throws -> Bool {
        guard let base = chunk.baseAddress, chunk.count > 0 else { return true }
        var start = 0
        let end = chunk.count
        while start < end {
            guard let nl = memchr(base + start, 0x0a, end - start) else {
                // No newline in the rest: keep it for the next chunk (bounded).
                let rest = end - start
                if skippingOversized { return true }
                if carry.count + rest > maxLineLength {
                    skippingOversized = true
                    carry.removeAll(keepingCapacity: true)
                } else {
                    carry.append(contentsOf: UnsafeRawBufferPointer(start: base + start, count: rest))
                }
                return true
            }
            let nlOffset = UnsafeRawPointer(nl) - base
            lineNumber += 1
            if skippingOversized {
                skippingOversized = false
                onOversized(lineNumber)
            } else if carry.isEmpty {
                if nlOffset - start > maxLineLength {
                    onOversized(lineNumber)
                } else if try !deliver(UnsafeRawBufferPointer(start: base + start, count: nlOffset - start), body) {
                    return false
                }
            } else {
                if carry.count + nlOffset - start > maxLineLength {
                    onOversized(lineNumber)
                    carry.removeAll(keepingCapacity: true)
                } else {
                    carry.append(contentsOf: UnsafeRawBufferPointer(start: base + start, count: nlOffset - start))
                    let keepGoing = try carry.withUnsafeBytes { try deliver($0, body) }
                    carry.removeAll(keepingCapacity: true)
                    if !keepGoing { return false }
                }
            }
            start = nlOffset + 1
        }
        return true
    }

    /// Delivers a last line without a trailing newline.
    mutating func finish(onOversized: (Int) -> Void, _ body: (UnsafeRawBufferPointer, Int) throws -> Bool) throws {
        if skippingOversized {
            lineNumber += 1
            onOversized(lineNumber)
            skippingOversized = false
        } else if !carry.isEmpty {
            lineNumber += 1
            _ = try carry.withUnsafeBytes { try deliver($0, body) }
        }
        carry.removeAll()
    }

    private func deliver(_ line: UnsafeRawBufferPointer, _ body: (UnsafeRawBufferPointer, Int) throws -> Bool) throws -> Bool {
        var l = line
        if l.count > 0, l[l.count - 1] == 0x0d { l = UnsafeRawBufferPointer(rebasing: l[0..<(l.count - 1)]) }
        return try body(l, lineNumber)
    }
}
