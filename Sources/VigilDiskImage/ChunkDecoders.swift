internal import CVigilBzip2
internal import CVigilLzma
internal import CVigilZlib

/// Decoders for the compressed UDIF chunk types. Each decodes one chunk into a buffer of exactly the
/// declared size and fails when the stream ends short of it or would produce more (a lying size, a
/// decompression bomb): the output buffer has one spare byte, so "more" is seen without decoding on.
enum ChunkDecoders {
    struct Failure: Error { let message: String }

    /// Decodes `input` as `kind` into exactly `expected` bytes.
    static func decode(_ kind: ChunkKind, _ input: [UInt8], expected: Int) throws(Failure) -> [UInt8] {
        var output = [UInt8](repeating: 0, count: expected + 1)
        let produced: Int
        switch kind {
        case .zlib: produced = try zlib(input, &output)
        case .bzip2: produced = try bzip2(input, &output)
        case .lzma: produced = try lzma(input, &output)
        case .adc: produced = try adc(input, &output)
        default: throw Failure(message: "no decoder for \(kind)")
        }
        guard produced <= expected else {
            throw Failure(message: "decompresses to more than the declared \(expected) bytes (lying size or decompression bomb)")
        }
        guard produced == expected else {
            throw Failure(message: "decompresses to \(produced) bytes, declared \(expected)")
        }
        output.removeLast()
        return output
    }

    static func zlib(_ input: [UInt8], _ output: inout [UInt8]) throws(Failure) -> Int {
        var stream = z_stream()
        guard czlib_inflate_init2(&stream, 15) == Z_OK else { throw Failure(message: "zlib inflateInit failed") }
        defer { inflateEnd(&stream) }
        let outCount = output.count
        let result: (Int32, Int) = input.withUnsafeBufferPointer { inp in
            output.withUnsafeMutableBufferPointer { out in
                stream.next_in = UnsafeMutablePointer(mutating: inp.baseAddress)
                stream.avail_in = uInt(inp.count)
                stream.next_out = out.baseAddress
                stream.avail_out = uInt(outCount)
                let rc = CVigilZlib.inflate(&stream, Z_FINISH)
                return (rc, outCount - Int(stream.avail_out))
            }
        }
        switch result.0 {
        case Z_STREAM_END, Z_OK, Z_BUF_ERROR:
            // Z_BUF_ERROR/Z_OK with a full buffer means more output was pending: the size check catches it.
            if result.0 != Z_STREAM_END && result.1 < outCount {
                throw Failure(message: "zlib stream is truncated after \(result.1) bytes")
            }
            return result.1
        default:
            let msg = stream.msg.map { String(cString: $0) } ?? "code \(result.0)"
            throw Failure(message: "corrupt zlib data: \(msg)")
        }
    }

    static func bzip2(_ input: [UInt8], _ output: inout [UInt8]) throws(Failure) -> Int {
        var stream = bz_stream()
        guard BZ2_bzDecompressInit(&stream, 0, 0) == BZ_OK else { throw Failure(message: "BZ2_bzDecompressInit failed") }
        defer { BZ2_bzDecompressEnd(&stream) }
        let outCount = output.count
        let result: (Int32, Int) = input.withUnsafeBufferPointer { inp in
            output.withUnsafeMutableBufferPointer { out in
                stream.next_in = UnsafeMutableRawPointer(mutating: inp.baseAddress)?.assumingMemoryBound(to: CChar.self)
                stream.avail_in = UInt32(inp.count)
                stream.next_out = UnsafeMutableRawPointer(out.baseAddress)?.assumingMemoryBound(to: CChar.self)
                stream.avail_out = UInt32(outCount)
                var rc: Int32 = BZ_OK
                // libbz2 returns BZ_OK while it makes progress; stop when input or output is used up.
                while true {
                    rc = BZ2_bzDecompress(&stream)
                    if rc != BZ_OK || stream.avail_out == 0 || stream.avail_in == 0 { break }
                }
                return (rc, outCount - Int(stream.avail_out))
            }
        }
        switch result.0 {
        case BZ_STREAM_END: return result.1
        case BZ_OK:
            if result.1 < outCount { throw Failure(message: "bzip2 stream is truncated after \(result.1) bytes") }
            return result.1
        default: throw Failure(message: "corrupt bzip2 data (libbz2 code \(result.0))")
        }
    }

    /// LZMA chunks: liblzma's auto decoder accepts both .xz and legacy .lzma ("LZMA alone") streams.
    /// Memory for the dictionary is capped at 256 MiB.
    static func lzma(_ input: [UInt8], _ output: inout [UInt8]) throws(Failure) -> Int {
        var stream = cvigil_lzma_stream_init()
        guard lzma_auto_decoder(&stream, 256 << 20, 0) == LZMA_OK else { throw Failure(message: "lzma_auto_decoder failed") }
        defer { lzma_end(&stream) }
        let outCount = output.count
        let result: (lzma_ret, Int) = input.withUnsafeBufferPointer { inp in
            output.withUnsafeMutableBufferPointer { out in
                stream.next_in = inp.baseAddress
                stream.avail_in = inp.count
                stream.next_out = out.baseAddress
                stream.avail_out = outCount
                var rc = LZMA_OK
                while true {
                    rc = lzma_code(&stream, LZMA_FINISH)
                    if rc != LZMA_OK || stream.avail_out == 0 { break }
                }
                return (rc, outCount - stream.avail_out)
            }
        }
        switch result.0 {
        case LZMA_STREAM_END: return result.1
        case LZMA_OK:
            if result.1 < outCount { throw Failure(message: "LZMA stream is truncated after \(result.1) bytes") }
            return result.1
        case LZMA_BUF_ERROR:
            if result.1 == outCount { return result.1 }
            throw Failure(message: "LZMA stream is truncated after \(result.1) bytes")
        case LZMA_MEMLIMIT_ERROR: throw Failure(message: "LZMA stream needs more than 256 MiB of dictionary")
        default: throw Failure(message: "corrupt LZMA data (liblzma code \(result.0.rawValue))")
        }
    }

    /// Apple Data Compression (ADC), an LZ77 variant: a byte with the high bit set starts a literal run
    /// of (b & 0x7F) + 1 bytes; 0x40 set: a copy of (b & 0x3F) + 4 bytes from a 16-bit distance in the
    /// next two bytes; otherwise a copy of ((b >> 2) & 0x0F) + 3 bytes from a 10-bit distance. Distances
    /// count back from the last written byte (distance 0 repeats it).
    static func adc(_ input: [UInt8], _ output: inout [UInt8]) throws(Failure) -> Int {
        var i = 0, o = 0
        let limit = output.count
        while i < input.count {
            let b = Int(input[i])
            if b & 0x80 != 0 {
                let n = (b & 0x7F) + 1
                guard i + 1 + n <= input.count else { throw Failure(message: "ADC literal run past the end of the chunk at byte \(i)") }
                guard o + n <= limit else { return limit }  // over the declared size: the caller's check reports it
                output.replaceSubrange(o..<(o + n), with: input[(i + 1)..<(i + 1 + n)])
                o += n
                i += 1 + n
                continue
            }
            let length: Int, distance: Int
            if b & 0x40 != 0 {
                guard i + 2 < input.count else { throw Failure(message: "ADC copy truncated at byte \(i)") }
                length = (b & 0x3F) + 4
                distance = Int(input[i + 1]) << 8 | Int(input[i + 2])
                i += 3
            } else {
                guard i + 1 < input.count else { throw Failure(message: "ADC copy truncated at byte \(i)") }
                length = ((b >> 2) & 0x0F) + 3
                distance = (b & 0x03) << 8 | Int(input[i + 1])
                i += 2
            }
            guard distance < o else { throw Failure(message: "ADC copy reaches \(distance + 1) bytes back from output byte \(o)") }
            var from = o - distance - 1
            for _ in 0..<length {
                guard o < limit else { return limit }
                output[o] = output[from]
                o += 1
                from += 1
            }
        }
        return o
    }
}
