internal import CVigilZlib

/// Gzip (RFC 1952) compression over zlib's deflate, for request bodies (the fleet agent's batches).
///
/// Bounded: ``gzip(_:level:maxOutput:)`` refuses to produce more than `maxOutput` bytes, so a caller
/// that must stay under a server's request limit learns it here rather than from a 413.
public enum GzipEncoder {
    /// Compresses `bytes` into one gzip member.
    /// - Parameters:
    ///   - level: zlib level 1 (fastest) … 9 (smallest); 6 is zlib's default.
    ///   - maxOutput: the most compressed bytes allowed.
    /// - Throws: ``GzipError`` when zlib fails or the output would exceed `maxOutput`.
    public static func gzip(_ bytes: [UInt8], level: Int32 = 6, maxOutput: Int = Int.max) throws -> [UInt8] {
        var stream = z_stream()
        // 15 + 16: gzip wrapper with a full window.
        let rc = czlib_deflate_init2(&stream, max(1, min(9, level)), 15 + 16)
        guard rc == Z_OK else { throw GzipError(message: "zlib deflateInit2 failed (\(rc))") }
        defer { deflateEnd(&stream) }
        var out: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        return try bytes.withUnsafeBytes { (input: UnsafeRawBufferPointer) throws -> [UInt8] in
            var offset = 0
            var status: Int32 = Z_OK
            repeat {
                // zlib counts in 32 bits; feed at most 1 GiB per call.
                let take = min(input.count - offset, 1 << 30)
                if let base = input.baseAddress {
                    stream.next_in = UnsafeMutablePointer(mutating: base.assumingMemoryBound(to: Bytef.self) + offset)
                }
                stream.avail_in = uInt(take)
                let last = offset + take == input.count
                repeat {
                    let produced: Int = chunk.withUnsafeMutableBytes { buffer in
                        stream.next_out = buffer.baseAddress!.assumingMemoryBound(to: Bytef.self)
                        stream.avail_out = uInt(buffer.count)
                        status = deflate(&stream, last ? Z_FINISH : Z_NO_FLUSH)
                        return buffer.count - Int(stream.avail_out)
                    }
                    guard status == Z_OK || status == Z_STREAM_END || status == Z_BUF_ERROR else {
                        throw GzipError(message: "zlib deflate failed (\(status))")
                    }
                    if out.count + produced > maxOutput {
                        throw GzipError(message: "compressed size exceeds the limit of \(maxOutput) bytes")
                    }
                    out.append(contentsOf: chunk[0..<produced])
                } while stream.avail_out == 0 || (last && status != Z_STREAM_END)
                offset += take - Int(stream.avail_in)
            } while offset < input.count && status != Z_STREAM_END
            return out
        }
    }
}
