#if canImport(Glibc)
@preconcurrency import Glibc
#elseif canImport(Musl)
@preconcurrency import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// An IPv4 or IPv6 address as 128 bits (IPv4 is stored IPv4-mapped, `::ffff:a.b.c.d`), parsed from
/// log bytes without building a `String`. Hashable and 16 bytes, so pair keys stay small.
public struct IPAddress: Hashable, Sendable, Comparable, CustomStringConvertible {
    public var high: UInt64
    public var low: UInt64

    public init(high: UInt64, low: UInt64) {
        self.high = high
        self.low = low
    }

    /// An IPv4 address.
    public init(v4: UInt32) {
        high = 0
        low = 0x0000_ffff_0000_0000 | UInt64(v4)
    }

    /// Whether this is an IPv4(-mapped) address.
    public var isIPv4: Bool { high == 0 && low >> 32 == 0x0000_ffff }

    /// The IPv4 value, when this is IPv4.
    public var v4: UInt32? { isIPv4 ? UInt32(truncatingIfNeeded: low) : nil }

    /// Parses dotted-quad IPv4 or IPv6 text (an IPv6 zone `%eth0` is ignored).
    public init?(_ bytes: UnsafeRawBufferPointer) {
        if let v4 = IPAddress.parseV4(bytes) { self.init(v4: v4); return }
        guard bytes.count >= 2, bytes.count <= 63, bytes.contains(UInt8(ascii: ":")) else { return nil }
        var buffer = [CChar](repeating: 0, count: 64)
        var n = 0
        for b in bytes {
            if b == UInt8(ascii: "%") { break }
            buffer[n] = CChar(bitPattern: b)
            n += 1
        }
        var addr = in6_addr()
        guard inet_pton(AF_INET6, buffer, &addr) == 1 else { return nil }
        let b = withUnsafeBytes(of: &addr) { Array($0) }
        var hi: UInt64 = 0, lo: UInt64 = 0
        for i in 0..<8 { hi = hi << 8 | UInt64(b[i]) }
        for i in 8..<16 { lo = lo << 8 | UInt64(b[i]) }
        self.init(high: hi, low: lo)
    }

    /// Parses IPv4 or IPv6 text.
    public init?(_ text: String) {
        var t = text
        guard let v = t.withUTF8({ IPAddress(UnsafeRawBufferPointer($0)) }) else { return nil }
        self = v
    }

    static func parseV4(_ bytes: UnsafeRawBufferPointer) -> UInt32? {
        guard bytes.count >= 7, bytes.count <= 15 else { return nil }
        var value: UInt32 = 0
        var octet: UInt32 = 0
        var digits = 0
        var dots = 0
        for b in bytes {
            if b == UInt8(ascii: ".") {
                guard digits > 0, dots < 3 else { return nil }
                value = value << 8 | octet
                octet = 0
                digits = 0
                dots += 1
            } else if b >= 0x30 && b <= 0x39 {
                guard digits < 3 else { return nil }
                octet = octet * 10 + UInt32(b - 0x30)
                digits += 1
                guard octet <= 255 else { return nil }
            } else {
                return nil
            }
        }
        guard dots == 3, digits > 0 else { return nil }
        return value << 8 | octet
    }

    /// Canonical text (dotted quad, or RFC 5952 IPv6 via `inet_ntop`).
    public var description: String {
        if let v4 { return "\(v4 >> 24).\((v4 >> 16) & 0xff).\((v4 >> 8) & 0xff).\(v4 & 0xff)" }
        var bytes = [UInt8](repeating: 0, count: 16)
        for i in 0..<8 { bytes[i] = UInt8(truncatingIfNeeded: high >> (56 - 8 * UInt64(i))) }
        for i in 0..<8 { bytes[8 + i] = UInt8(truncatingIfNeeded: low >> (56 - 8 * UInt64(i))) }
        var out = [CChar](repeating: 0, count: 64)
        let ok = bytes.withUnsafeBytes { inet_ntop(AF_INET6, $0.baseAddress, &out, 64) } != nil
        return ok ? String(decoding: out.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self) : "?"
    }

    public static func < (a: IPAddress, b: IPAddress) -> Bool { (a.high, a.low) < (b.high, b.low) }
}

/// An address range in CIDR notation, for the internal-network and allow lists.
public struct IPNetwork: Hashable, Sendable, CustomStringConvertible {
    public var address: IPAddress
    /// Prefix length over the 128-bit form (IPv4 prefixes are stored + 96).
    public var bits: Int

    /// Parses `10.0.0.0/8`, `fd00::/8`, or a single address.
    public init?(_ text: String) {
        let parts = text.split(separator: "/", maxSplits: 1)
        guard let first = parts.first, let address = IPAddress(String(first)) else { return nil }
        var bits = address.isIPv4 ? 32 : 128
        if parts.count == 2 {
            guard let b = Int(parts[1]), b >= 0, b <= bits else { return nil }
            bits = b
        }
        self.address = address
        self.bits = address.isIPv4 ? bits + 96 : bits
    }

    /// Whether `ip` lies inside this network.
    public func contains(_ ip: IPAddress) -> Bool {
        let hb = min(bits, 64), lb = max(bits - 64, 0)
        let hm: UInt64 = hb == 0 ? 0 : ~UInt64(0) << UInt64(64 - hb)
        let lm: UInt64 = lb == 0 ? 0 : ~UInt64(0) << UInt64(64 - lb)
        return ip.high & hm == address.high & hm && ip.low & lm == address.low & lm
    }

    public var description: String {
        "\(address)/\(address.isIPv4 ? bits - 96 : bits)"
    }

    /// RITA's default internal subnets: RFC 1918 and IPv6 unique-local `fd00::/8`.
    public static let defaultInternal: [IPNetwork] = ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fd00::/8"].compactMap(IPNetwork.init)
}
