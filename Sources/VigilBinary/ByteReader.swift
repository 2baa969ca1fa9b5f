/// Why a bounds-checked read failed.
public enum BinaryReadError: Error, Sendable, Hashable, CustomStringConvertible {
    /// `needed` bytes were wanted at `offset`, past the end of the input.
    case truncated(offset: Int, needed: Int)
    /// An offset or size read from the input does not fit in the input or overflowed.
    case outOfRange(offset: Int, what: String)

    public var description: String {
        switch self {
        case .truncated(let offset, let needed): "truncated: \(needed) bytes needed at offset \(offset)"
        case .outOfRange(let offset, let what): "out of range: \(what) at offset \(offset)"
        }
    }
}

/// A bounds-checked view over bytes for parsing hostile binaries.
///
/// Every read checks the length and throws ``BinaryReadError`` instead of trapping; offsets are
/// absolute within `bytes`. The reader never copies the input. Integers are read unaligned with an
/// explicit byte order, because PE and Mach-O fields are often unaligned.
public struct ByteReader: Sendable {
    /// The whole input.
    public let bytes: [UInt8]

    public init(_ bytes: [UInt8]) { self.bytes = bytes }

    /// Number of bytes in the input.
    @inlinable public var count: Int { bytes.count }

    /// Returns `true` when `length` bytes starting at `offset` lie inside the input (overflow-safe).
    @inlinable public func contains(offset: Int, length: Int) -> Bool {
        guard offset >= 0, length >= 0 else { return false }
        let (end, overflow) = offset.addingReportingOverflow(length)
        return !overflow && end <= bytes.count
    }

    @inlinable func check(_ offset: Int, _ length: Int) throws(BinaryReadError) {
        guard contains(offset: offset, length: length) else {
            throw .truncated(offset: offset, needed: length)
        }
    }

    @inlinable public func u8(at offset: Int) throws(BinaryReadError) -> UInt8 {
        try check(offset, 1)
        return bytes[offset]
    }

    @inlinable public func u16le(at offset: Int) throws(BinaryReadError) -> UInt16 {
        try check(offset, 2)
        return UInt16(bytes[offset]) | UInt16(bytes[offset + 1]) << 8
    }

    @inlinable public func u32le(at offset: Int) throws(BinaryReadError) -> UInt32 {
        try check(offset, 4)
        return UInt32(bytes[offset]) | UInt32(bytes[offset + 1]) << 8 | UInt32(bytes[offset + 2]) << 16
            | UInt32(bytes[offset + 3]) << 24
    }

    @inlinable public func u64le(at offset: Int) throws(BinaryReadError) -> UInt64 {
        let lo = try u32le(at: offset)
        let hi = try u32le(at: offset + 4)
        return UInt64(lo) | UInt64(hi) << 32
    }

    @inlinable public func u16be(at offset: Int) throws(BinaryReadError) -> UInt16 {
        try check(offset, 2)
        return UInt16(bytes[offset]) << 8 | UInt16(bytes[offset + 1])
    }

    @inlinable public func u32be(at offset: Int) throws(BinaryReadError) -> UInt32 {
        try check(offset, 4)
        return UInt32(bytes[offset]) << 24 | UInt32(bytes[offset + 1]) << 16 | UInt32(bytes[offset + 2]) << 8
            | UInt32(bytes[offset + 3])
    }

    @inlinable public func u64be(at offset: Int) throws(BinaryReadError) -> UInt64 {
        let hi = try u32be(at: offset)
        let lo = try u32be(at: offset + 4)
        return UInt64(hi) << 32 | UInt64(lo)
    }

    /// The bytes in `offset ..< offset + length`, as a slice sharing storage with the input.
    @inlinable public func slice(at offset: Int, length: Int) throws(BinaryReadError) -> ArraySlice<UInt8> {
        try check(offset, length)
        return bytes[offset..<(offset + length)]
    }

    /// A NUL-terminated string starting at `offset`, at most `maxLength` bytes, decoded as UTF-8
    /// (invalid sequences become U+FFFD). Stops at the end of the input if no NUL is found.
    public func cString(at offset: Int, maxLength: Int = 4096) throws(BinaryReadError) -> String {
        try check(offset, 0)
        var end = offset
        let limit = min(bytes.count, offset + max(0, maxLength))
        while end < limit, bytes[end] != 0 { end += 1 }
        return String(decoding: bytes[offset..<end], as: UTF8.self)
    }

    /// A fixed-size field holding a NUL-padded string (e.g. a PE section name or Mach-O segment name).
    public func fixedString(at offset: Int, length: Int) throws(BinaryReadError) -> String {
        let field = try slice(at: offset, length: length)
        let end = field.firstIndex(of: 0) ?? field.endIndex
        return String(decoding: field[field.startIndex..<end], as: UTF8.self)
    }
}

/// Overflow-checked arithmetic helpers for offsets read from hostile input.
extension Int {
    /// `self + other`, or `nil` on overflow.
    @inlinable public func adding(_ other: Int) -> Int? {
        let (r, o) = addingReportingOverflow(other)
        return o ? nil : r
    }

    /// `self * other`, or `nil` on overflow.
    @inlinable public func multiplying(_ other: Int) -> Int? {
        let (r, o) = multipliedReportingOverflow(by: other)
        return o ? nil : r
    }
}
