/// Small allocation-free parsers over log bytes: numbers and timestamps.
enum ByteParsing {
    /// A non-negative decimal integer (digits only, at most 18), or `nil`.
    static func integer(_ b: UnsafeRawBufferPointer) -> Int? {
        guard b.count > 0, b.count <= 18 else { return nil }
        var v = 0
        for c in b {
            guard c >= 0x30 && c <= 0x39 else { return nil }
            v = v * 10 + Int(c - 0x30)
        }
        return v
    }

    /// A decimal number `[-]digits[.digits][e[+-]digits]` as a Double, or `nil`.
    static func double(_ b: UnsafeRawBufferPointer) -> Double? {
        guard b.count > 0, b.count <= 40 else { return nil }
        var i = 0
        var negative = false
        if b[0] == UInt8(ascii: "-") { negative = true; i = 1 }
        var whole: UInt64 = 0
        var digits = 0
        while i < b.count, b[i] >= 0x30, b[i] <= 0x39 {
            if digits < 19 { whole = whole &* 10 &+ UInt64(b[i] - 0x30) }
            digits += 1
            i += 1
        }
        var value = Double(whole)
        if digits > 19 { value *= pow10(digits - 19) }
        if i < b.count, b[i] == UInt8(ascii: ".") {
            i += 1
            var frac: UInt64 = 0
            var fracDigits = 0
            while i < b.count, b[i] >= 0x30, b[i] <= 0x39 {
                if fracDigits < 18 { frac = frac * 10 + UInt64(b[i] - 0x30); fracDigits += 1 }
                digits += 1
                i += 1
            }
            value += Double(frac) / pow10(fracDigits)
        }
        guard digits > 0 else { return nil }
        if i < b.count, b[i] == UInt8(ascii: "e") || b[i] == UInt8(ascii: "E") {
            i += 1
            var expNegative = false
            if i < b.count, b[i] == UInt8(ascii: "-") || b[i] == UInt8(ascii: "+") { expNegative = b[i] == UInt8(ascii: "-"); i += 1 }
            var exp = 0
            var expDigits = 0
            while i < b.count, b[i] >= 0x30, b[i] <= 0x39, expDigits < 4 { exp = exp * 10 + Int(b[i] - 0x30); i += 1; expDigits += 1 }
            guard expDigits > 0 else { return nil }
            value = expNegative ? value / pow10(exp) : value * pow10(exp)
        }
        guard i == b.count, value.isFinite else { return nil }
        return negative ? -value : value
    }

    private static func pow10(_ n: Int) -> Double {
        var r = 1.0
        for _ in 0..<min(n, 400) { r *= 10 }
        return r
    }

    /// An ISO 8601 / RFC 3339 timestamp (`2018-03-24T17:15:20.865716Z`, `…+0200`, `…+02:00`,
    /// space instead of `T`) as epoch seconds, or `nil`.
    static func iso8601(_ b: UnsafeRawBufferPointer) -> Double? {
        guard b.count >= 19, b.count <= 40 else { return nil }
        func num(_ at: Int, _ len: Int) -> Int? {
            var v = 0
            for k in at..<(at + len) {
                guard k < b.count, b[k] >= 0x30, b[k] <= 0x39 else { return nil }
                v = v * 10 + Int(b[k] - 0x30)
            }
            return v
        }
        guard let year = num(0, 4), b[4] == UInt8(ascii: "-"), let month = num(5, 2), b[7] == UInt8(ascii: "-"),
              let day = num(8, 2), b[10] == UInt8(ascii: "T") || b[10] == UInt8(ascii: " "),
              let hour = num(11, 2), b[13] == UInt8(ascii: ":"), let minute = num(14, 2), b[16] == UInt8(ascii: ":"),
              let second = num(17, 2),
              (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second <= 60
        else { return nil }
        var i = 19
        var fraction = 0.0
        if i < b.count, b[i] == UInt8(ascii: ".") {
            i += 1
            var scale = 0.1
            while i < b.count, b[i] >= 0x30, b[i] <= 0x39 {
                fraction += Double(b[i] - 0x30) * scale
                scale /= 10
                i += 1
            }
        }
        var offset = 0
        if i < b.count {
            let c = b[i]
            if c == UInt8(ascii: "Z") || c == UInt8(ascii: "z") {
                i += 1
            } else if c == UInt8(ascii: "+") || c == UInt8(ascii: "-") {
                guard let oh = num(i + 1, 2) else { return nil }
                var j = i + 3
                if j < b.count, b[j] == UInt8(ascii: ":") { j += 1 }
                guard let om = num(j, 2) else { return nil }
                offset = (oh * 3600 + om * 60) * (c == UInt8(ascii: "+") ? 1 : -1)
                i = j + 2
            }
        }
        guard i == b.count else { return nil }
        let days = daysFromCivil(year: year, month: month, day: day)
        return Double(days * 86400 + hour * 3600 + minute * 60 + second - offset) + fraction
    }

    /// Days since 1970-01-01 for a proleptic Gregorian date (Howard Hinnant's algorithm).
    static func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146097 + doe - 719468
    }

    /// A timestamp in any form logs use: epoch seconds (`1591367999.305988`), epoch milliseconds
    /// (an integer above 10^11, Zeek `TS_MILLIS`), or ISO 8601.
    static func timestamp(_ b: UnsafeRawBufferPointer) -> Double? {
        if let d = double(b) {
            if d > 1e11 && d < 1e14 { return d / 1000 }
            return d
        }
        return iso8601(b)
    }
}

extension UnsafeRawBufferPointer {
    /// Whether these bytes equal the ASCII text `s`.
    @inline(__always)
    func equals(_ s: StaticString) -> Bool {
        guard count == s.utf8CodeUnitCount else { return false }
        if count == 0 { return true }
        return memcmp(baseAddress!, s.utf8Start, count) == 0
    }

    /// Whether these bytes equal `other`.
    @inline(__always)
    func equals(_ other: [UInt8]) -> Bool {
        guard count == other.count else { return false }
        if count == 0 { return true }
        return other.withUnsafeBytes { memcmp(baseAddress!, $0.baseAddress!, count) == 0 }
    }

    /// The bytes as a `String` (invalid UTF-8 repaired).
    var string: String { String(decoding: self, as: UTF8.self) }

    /// A sub-range.
    @inline(__always)
    func slice(_ start: Int, _ end: Int) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: self[start..<end])
    }
}

#if canImport(Glibc)
@preconcurrency import Glibc
#elseif canImport(Musl)
@preconcurrency import Musl
#elseif canImport(Darwin)
import Darwin
#endif
