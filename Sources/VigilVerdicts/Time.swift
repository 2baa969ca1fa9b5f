/// A span of time in epoch seconds, both ends included.
public struct Period: Sendable, Hashable, Codable, CustomStringConvertible {
    public var start: Double
    public var end: Double

    public init(start: Double, end: Double) {
        self.start = start
        self.end = end
    }

    /// Whether `t` lies inside (ends included).
    public func contains(_ t: Double) -> Bool { t >= start && t <= end }
    /// Length in seconds (0 for an empty or inverted span).
    public var duration: Double { max(0, end - start) }
    public var description: String { "\(VerdictTime.iso(start)) – \(VerdictTime.iso(end))" }
}

/// Times as text: ISO 8601 UTC out, ISO 8601 / dates / epoch seconds in.
public enum VerdictTime {
    /// Epoch seconds as `2023-03-29T10:00:00Z` (`-inf`/`+inf` for open ends, `?` for nonsense).
    public static func iso(_ t: Double) -> String {
        if t == -.infinity { return "-inf" }
        if t == .infinity { return "+inf" }
        guard t.isFinite, abs(t) < 1e12 else { return "?" }
        let secs = Int(t.rounded(.down))
        var days = secs / 86400
        var rem = secs % 86400
        if rem < 0 { rem += 86400; days -= 1 }
        let (y, m, d) = civil(days)
        func two(_ v: Int) -> String { v < 10 ? "0\(v)" : "\(v)" }
        return "\(y)-\(two(m))-\(two(d))T\(two(rem / 3600)):\(two(rem / 60 % 60)):\(two(rem % 60))Z"
    }

    /// Days since 1970-01-01 to a proleptic Gregorian date (H. Hinnant's algorithm).
    static func civil(_ days: Int) -> (Int, Int, Int) {
        let z = days + 719468
        let era = (z >= 0 ? z : z - 146096) / 146097
        let doe = z - era * 146097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (m <= 2 ? 1 : 0), m, d)
    }

    static func days(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146097 + doe - 719468
    }

    /// Parses `YYYY-MM-DD`, `YYYY-MM-DDTHH:MM[:SS[.fff]]` with `Z` or `±HH:MM` (no zone means UTC),
    /// or plain epoch seconds. `nil` for anything else.
    public static func parse(_ text: String) -> Double? {
        let s = Array(text.utf8)
        guard !s.isEmpty, s.count <= 40 else { return nil }
        if s.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || $0 == UInt8(ascii: ".") }), let v = Double(text), v.isFinite, v < 1e12 { return v }
        func num(_ from: Int, _ n: Int) -> Int? {
            guard from + n <= s.count else { return nil }
            var v = 0
            for c in s[from..<from + n] {
                guard c >= 0x30, c <= 0x39 else { return nil }
                v = v * 10 + Int(c - 0x30)
            }
            return v
        }
        guard let y = num(0, 4), s.count >= 10, s[4] == UInt8(ascii: "-"), let mo = num(5, 2), s[7] == UInt8(ascii: "-"), let d = num(8, 2),
            (1...12).contains(mo), (1...31).contains(d)
        else { return nil }
        var t = Double(days(year: y, month: mo, day: d)) * 86400
        if s.count == 10 { return t }
        guard s[10] == UInt8(ascii: "T") || s[10] == UInt8(ascii: " "), let h = num(11, 2), s.count >= 16, s[13] == UInt8(ascii: ":"), let mi = num(14, 2),
            h < 24, mi < 60
        else { return nil }
        t += Double(h * 3600 + mi * 60)
        var i = 16
        if i < s.count, s[i] == UInt8(ascii: ":") {
            guard let sec = num(i + 1, 2), sec < 61 else { return nil }
            t += Double(sec)
            i += 3
            if i < s.count, s[i] == UInt8(ascii: ".") {
                i += 1
                var scale = 0.1
                while i < s.count, s[i] >= 0x30, s[i] <= 0x39 {
                    t += Double(s[i] - 0x30) * scale
                    scale /= 10
                    i += 1
                }
            }
        }
        if i == s.count { return t }
        if s[i] == UInt8(ascii: "Z"), i + 1 == s.count { return t }
        if s[i] == UInt8(ascii: "+") || s[i] == UInt8(ascii: "-"), i + 6 == s.count, let oh = num(i + 1, 2), s[i + 3] == UInt8(ascii: ":"), let om = num(i + 4, 2) {
            let offset = Double(oh * 3600 + om * 60)
            return s[i] == UInt8(ascii: "+") ? t - offset : t + offset
        }
        return nil
    }
}

/// A place in a log: file and 1-based line.
public struct LogReference: Sendable, Hashable, Codable, CustomStringConvertible {
    public var file: String
    public var line: Int

    public init(file: String, line: Int) {
        self.file = file
        self.line = line
    }

    /// Parses the hunt's `file:line` text (the last colon splits, so paths may hold colons).
    public init?(_ text: String) {
        guard let colon = text.lastIndex(of: ":"), let line = Int(text[text.index(after: colon)...]), line > 0 else { return nil }
        self.init(file: String(text[..<colon]), line: line)
    }

    public var description: String { "\(file):\(line)" }
}
