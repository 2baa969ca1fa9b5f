internal import CVigilZlib

/// A streaming decoder for raw deflate data (RFC 1951, no wrapper), as stored in ZIP members.
/// Not `Sendable`: one decoder belongs to one reader.
public final class RawInflater {
    private var stream = z_stream()
    private var output = [UInt8](repeating: 0, count: 1 << 16)
    /// Whether the deflate stream's final block was reached.
    public private(set) var finished = false

    public init() throws {
        // Negative window bits: raw deflate, full 32 KiB window.
        let rc = czlib_inflate_init2(&stream, -15)
        guard rc == Z_OK else { throw GzipError(message: "zlib inflateInit2 failed (\(rc))") }
    }

    deinit { inflateEnd(&stream) }

    /// Decompresses one chunk and passes every produced block to `emit`; input after the end of the
    /// stream is ignored (check ``finished``).
    /// - Throws: ``GzipError`` on corrupt data, or what `emit` throws.
    public func inflate(_ input: [UInt8], emit: ([UInt8]) throws -> Void) throws {
        guard !finished, !input.isEmpty else { return }
        try input.withUnsafeBufferPointer { raw in
            stream.next_in = UnsafeMutablePointer(mutating: raw.baseAddress!)
            stream.avail_in = uInt(raw.count)
            var rc: Int32 = Z_OK
            repeat {
                let produced: Int = output.withUnsafeMutableBytes { out in
                    stream.next_out = out.baseAddress!.assumingMemoryBound(to: Bytef.self)
                    stream.avail_out = uInt(out.count)
                    rc = CVigilZlib.inflate(&stream, Z_NO_FLUSH)
                    return out.count - Int(stream.avail_out)
                }
                if rc != Z_OK && rc != Z_STREAM_END && rc != Z_BUF_ERROR {
                    let msg = stream.msg.map { String(cString: $0) } ?? "code \(rc)"
                    throw GzipError(message: "corrupt deflate data: \(msg)")
                }
                if produced > 0 { try emit(Array(output[0..<produced])) }
                if rc == Z_STREAM_END { finished = true }
            } while rc == Z_OK && (stream.avail_out == 0 || stream.avail_in > 0)
        }
    }
}

/// CRC-32 (ISO 3309, as ZIP and gzip use it), computed by zlib.
public struct CRC32: Sendable {
    public private(set) var value: UInt32 = 0
    public init() {}

    public mutating func update(_ bytes: [UInt8]) {
        bytes.withUnsafeBufferPointer { raw in
            var at = 0
            while at < raw.count {
                let n = min(raw.count - at, Int(UInt32.max))
                value = UInt32(crc32(uLong(value), raw.baseAddress! + at, uInt(n)))
                at += n
            }
        }
    }
}
