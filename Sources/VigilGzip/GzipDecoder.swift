internal import CVigilZlib

/// Why gzip data could not be decompressed.
public struct GzipError: Error, Sendable, CustomStringConvertible {
    public var message: String
    /// True when decoding stopped because the output cap was reached (the data may be valid), false
    /// for corrupt or truncated data.
    public var limitExceeded = false
    public var description: String { message }
}

/// A streaming gzip (RFC 1952) decoder over zlib, with concatenated members supported (as `gzip -d`
/// and rotated logs produce them) and an optional cap on the total output (zip-bomb guard).
///
/// Feed compressed chunks with ``decompress(_:emit:)`` and call ``finish()`` at the end of input.
/// Not `Sendable`: one decoder belongs to one reader.
public final class GzipDecoder {
    private var stream = z_stream()
    private var initialised = false
    private var memberOpen = false
    private var output = [UInt8](repeating: 0, count: 1 << 16)
    /// Total bytes produced so far.
    public private(set) var totalOut: Int = 0
    /// Total compressed bytes consumed so far.
    public private(set) var totalIn: Int = 0
    /// The most output this decoder will produce before throwing.
    public let maxOutput: Int

    /// - Parameter maxOutput: stop with an error once this many bytes were produced.
    public init(maxOutput: Int = Int.max) throws {
        self.maxOutput = maxOutput
        try startMember()
    }

    deinit {
        if initialised { inflateEnd(&stream) }
    }

    private func startMember() throws {
        if initialised { inflateEnd(&stream) }
        stream = z_stream()
        // 15 + 16: gzip wrapper only (not raw zlib), full window.
        let rc = czlib_inflate_init2(&stream, 15 + 16)
        guard rc == Z_OK else { throw GzipError(message: "zlib inflateInit2 failed (\(rc))") }
        initialised = true
        memberOpen = false
    }

    /// Decompresses one chunk of input and passes every produced block to `emit`.
    /// - Throws: ``GzipError`` on corrupt data or when `maxOutput` is exceeded.
    public func decompress(_ input: some ContiguousBytesLike, emit: ([UInt8]) throws -> Void) throws {
        try input.withBytes { (raw: UnsafeRawBufferPointer) in
            guard let base = raw.baseAddress, raw.count > 0 else { return }
            var offset = 0
            while offset < raw.count {
                // Skip padding zeros between members is not standard; a new member must start with 1f 8b.
                stream.next_in = UnsafeMutablePointer(mutating: base.assumingMemoryBound(to: Bytef.self) + offset)
                stream.avail_in = uInt(min(raw.count - offset, Int(UInt32.max)))
                let before = Int(stream.avail_in)
                var rc: Int32 = Z_OK
                repeat {
                    let produced: Int = output.withUnsafeMutableBytes { out in
                        stream.next_out = out.baseAddress!.assumingMemoryBound(to: Bytef.self)
                        stream.avail_out = uInt(out.count)
                        rc = inflate(&stream, Z_NO_FLUSH)
                        return out.count - Int(stream.avail_out)
                    }
                    if rc != Z_OK && rc != Z_STREAM_END && rc != Z_BUF_ERROR {
                        let msg = stream.msg.map { String(cString: $0) } ?? "code \(rc)"
                        throw GzipError(message: "corrupt gzip data after \(totalIn) compressed bytes: \(msg)")
                    }
                    memberOpen = rc != Z_STREAM_END
                    if produced > 0 {
                        totalOut += produced
                        if totalOut > maxOutput {
                            throw GzipError(message: "decompressed size exceeds the limit of \(maxOutput) bytes", limitExceeded: true)
                        }
                        try emit(Array(output[0..<produced]))
                    }
                } while rc == Z_OK && (stream.avail_out == 0 || stream.avail_in > 0)
                let consumed = before - Int(stream.avail_in)
                offset += consumed
                totalIn += consumed
                if rc == Z_STREAM_END {
                    try startMember()  // concatenated member may follow
                } else if consumed == 0 {
                    break
                }
            }
        }
    }

    /// Checks that the input ended on a member boundary.
    /// - Throws: ``GzipError`` when the last member was cut short.
    public func finish() throws {
        if memberOpen { throw GzipError(message: "gzip data is truncated (ended inside a member)") }
    }

    /// Decompresses a whole in-memory gzip buffer.
    public static func gunzip(_ bytes: [UInt8], maxOutput: Int = Int.max) throws -> [UInt8] {
        let decoder = try GzipDecoder(maxOutput: maxOutput)
        var out: [UInt8] = []
        try decoder.decompress(bytes) { out.append(contentsOf: $0) }
        try decoder.finish()
        return out
    }
}

/// Byte containers the decoder accepts without copying.
public protocol ContiguousBytesLike {
    func withBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R
}

extension Array: ContiguousBytesLike where Element == UInt8 {
    public func withBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try withUnsafeBytes(body)
    }
}

extension ArraySlice: ContiguousBytesLike where Element == UInt8 {
    public func withBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try withUnsafeBytes(body)
    }
}
