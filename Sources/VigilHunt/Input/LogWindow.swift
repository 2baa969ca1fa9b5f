#if canImport(Glibc)
@preconcurrency import Glibc
#elseif canImport(Musl)
@preconcurrency import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import VigilGzip

/// A stretch of one log file, for readers that take a file in parts (the server's log follower).
///
/// Offsets count bytes of the log text: the file's bytes, or the decompressed stream of a gzip
/// file. `start` and `end` lie on line boundaries; `linesBefore` is how many lines precede `start`,
/// so the first line of the window is line `linesBefore + 1` of the file and every citation keeps
/// the file's true line numbers.
public struct LogWindow: Sendable, Hashable {
    public var path: String
    public var start: Int64
    public var end: Int64
    public var linesBefore: Int

    public init(path: String, start: Int64, end: Int64, linesBefore: Int) {
        self.path = path
        self.start = start
        self.end = end
        self.linesBefore = linesBefore
    }
}

/// Where the next window of a file ends (``LineReader/measureWindow(path:start:maxLines:maxBytes:includeUnterminated:)``).
public struct WindowExtent: Sendable {
    /// Offset just past the last complete line taken.
    public var end: Int64
    /// Lines in `start..<end`.
    public var lines: Int
    /// True when the window reaches the end of the data read (nothing complete is left after it).
    public var reachedEnd: Bool
    /// Bytes after `end` that form an incomplete last line (waiting for its newline).
    public var pendingBytes: Int64
    /// Set when the stream broke off (a corrupt or truncated gzip file, a read error): the window
    /// holds the complete lines before the damage.
    public var error: LogReadError?
}

extension LineReader {
    /// Streams the log text of a file from `offset` (seeking in a plain file; decompressing and
    /// skipping in a gzip file, which cannot seek). `body` returns `false` to stop.
    /// - Throws: ``LogReadError`` for an unreadable file or a corrupt gzip stream (after the data
    ///   before the damage was delivered).
    public func forEachChunk(path: String, from offset: Int64, _ body: (UnsafeRawBufferPointer) throws -> Bool) throws {
        let fd = try Self.openRegular(path)
        defer { close(fd) }
        let gzip = Self.isGzip(path: path)
        if !gzip && offset > 0 {
            guard lseek(fd, off_t(offset), SEEK_SET) == off_t(offset) else {
                throw LogReadError(path: path, message: "cannot seek to \(offset): \(String(cString: strerror(errno)))")
            }
        }
        let raw = UnsafeMutableRawBufferPointer.allocate(byteCount: chunkSize, alignment: 16)
        defer { raw.deallocate() }
        var decoder: GzipDecoder?
        if gzip {
            guard let d = try? GzipDecoder() else { throw LogReadError(path: path, message: "cannot start the gzip decoder") }
            decoder = d
        }
        var toSkip = gzip ? offset : 0
        var stopped = false
        func give(_ b: UnsafeRawBufferPointer) throws {
            if stopped || b.count == 0 { return }
            if toSkip >= Int64(b.count) {
                toSkip -= Int64(b.count)
                return
            }
            let rest = UnsafeRawBufferPointer(rebasing: b[Int(toSkip)...])
            toSkip = 0
            stopped = try !body(rest)
        }
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
                        try block.withUnsafeBytes { try give($0) }
                    }
                } catch let e as GzipError {
                    throw LogReadError(path: path, message: e.message)
                }
            } else {
                try give(chunk)
            }
        }
        if stopped { return }
        if let decoder {
            do { try decoder.finish() } catch let e as GzipError {
                throw LogReadError(path: path, message: e.message)
            }
        }
    }

    /// Finds where a window that starts at `start` ends: after at most `maxLines` lines and, unless
    /// one line alone is longer, `maxBytes` bytes, always at a line boundary. A last line without its
    /// newline is left out (it may still be being written) unless `includeUnterminated` is true (a
    /// file that will not grow). A damaged stream ends the window at the last complete line before
    /// the damage and sets ``WindowExtent/error``.
    public func measureWindow(path: String, start: Int64, maxLines: Int, maxBytes: Int64, includeUnterminated: Bool) throws(LogReadError) -> WindowExtent {
        var pos = start  // offset of the byte after the last newline taken
        var seen = start  // bytes of the stream seen so far
        var lines = 0
        var full = false
        var failure: LogReadError?
        // An unopenable file is an error; damage found while streaming ends the window instead.
        close(try Self.openRegular(path))
        do {
            try forEachChunk(path: path, from: start) { chunk in
                guard let base = chunk.baseAddress else { return true }
                var i = 0
                while i < chunk.count {
                    guard let nl = memchr(base + i, 0x0a, chunk.count - i) else { break }
                    let at = UnsafeRawPointer(nl) - base
                    let next = seen + Int64(at) + 1
                    // Past the byte budget: stop before this line, unless it is the first line.
                    if next - start > maxBytes && lines > 0 { full = true; return false }
                    pos = next
                    lines += 1
                    i = at + 1
                    if lines >= maxLines { full = true; return false }
                }
                seen += Int64(chunk.count)
                return true
            }
        } catch let e as LogReadError {
            failure = e
        } catch {
            failure = LogReadError(path: path, message: "\(error)")
        }
        if full { return WindowExtent(end: pos, lines: lines, reachedEnd: false, pendingBytes: 0, error: nil) }
        var pending = seen - pos
        if failure == nil, includeUnterminated, pending > 0 {
            pos = seen
            lines += 1
            pending = 0
        }
        return WindowExtent(end: pos, lines: lines, reachedEnd: true, pendingBytes: pending, error: failure)
    }

    /// Calls `body(line, lineNumber)` for every line of a window. With `replayHeader`, a window that
    /// does not start at the top of the file is preceded by the file's leading `#` lines (a Zeek
    /// TSV header, with their own line numbers), so a reader that needs the header can parse the
    /// window alone.
    public func forEachLine(
        window: LogWindow, replayHeader: Bool,
        onOversized: (Int) -> Void = { _ in },
        _ body: (UnsafeRawBufferPointer, Int) throws -> Bool
    ) throws {
        if replayHeader && window.start > 0 {
            try forEachLine(path: window.path) { line, number in
                guard line.count > 0, line[0] == UInt8(ascii: "#"), number <= window.linesBefore else { return false }
                return try body(line, number)
            }
        }
        var splitter = LineSplitter(maxLineLength: maxLineLength)
        splitter.lineNumber = window.linesBefore
        var remaining = window.end - window.start
        var stopped = false
        if remaining > 0 {
            try forEachChunk(path: window.path, from: window.start) { chunk in
                let take = Int(min(Int64(chunk.count), remaining))
                remaining -= Int64(take)
                stopped = try !splitter.feed(UnsafeRawBufferPointer(rebasing: chunk[0..<take]), onOversized: onOversized, body)
                return !stopped && remaining > 0
            }
        }
        if !stopped { try splitter.finish(onOversized: onOversized, body) }
    }
}
