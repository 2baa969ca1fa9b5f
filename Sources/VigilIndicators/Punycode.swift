/// IDNA label conversion (RFC 3492 Punycode with the `xn--` prefix).
///
/// Written by hand because no library in the project's package set offers IDNA. It performs the
/// Punycode step on lowercased labels; full UTS #46 mapping (width folding, etc.) is not done.
enum Punycode {
    private static let base = 36, tMin = 1, tMax = 26, skew = 38, damp = 700, initialBias = 72, initialN = 128

    /// The ASCII form of one label: unchanged if it is ASCII, `xn--` + Punycode otherwise; `nil` on overflow.
    static func toASCII(label: String) -> String? {
        if label.unicodeScalars.allSatisfy(\.isASCII) { return label }
        guard let encoded = encode(Array(label.lowercased().unicodeScalars.map(\.value))) else { return nil }
        return "xn--" + encoded
    }

    private static func digit(_ d: Int) -> Character {
        Character(UnicodeScalar(UInt8(d < 26 ? d + 97 : d + 22)))
    }

    private static func adapt(_ delta: Int, _ numPoints: Int, _ first: Bool) -> Int {
        var delta = first ? delta / damp : delta / 2
        delta += delta / numPoints
        var k = 0
        while delta > ((base - tMin) * tMax) / 2 {
            delta /= base - tMin
            k += base
        }
        return k + (base - tMin + 1) * delta / (delta + skew)
    }

    static func encode(_ input: [UInt32]) -> String? {
        guard input.count <= 63 else { return nil }
        var output = ""
        for c in input where c < 0x80 { output.append(Character(UnicodeScalar(UInt8(c)))) }
        let basicCount = output.count
        var handled = basicCount
        if basicCount > 0 { output.append("-") }
        var n = initialN, delta = 0, bias = initialBias
        while handled < input.count {
            guard let m = input.filter({ Int($0) >= n }).min().map(Int.init) else { return nil }
            let (mul, o1) = (m - n).multipliedReportingOverflow(by: handled + 1)
            guard !o1, let d = delta.adding(mul) else { return nil }
            delta = d
            n = m
            for c in input.map(Int.init) {
                if c < n { delta += 1 }
                if c == n {
                    var q = delta
                    var k = base
                    while true {
                        let t = k <= bias ? tMin : (k >= bias + tMax ? tMax : k - bias)
                        if q < t { break }
                        output.append(digit(t + (q - t) % (base - t)))
                        q = (q - t) / (base - t)
                        k += base
                    }
                    output.append(digit(q))
                    bias = adapt(delta, handled + 1, handled == basicCount)
                    delta = 0
                    handled += 1
                }
            }
            delta += 1
            n += 1
        }
        return output
    }
}

extension Int {
    fileprivate func adding(_ other: Int) -> Int? {
        let (r, o) = addingReportingOverflow(other)
        return o ? nil : r
    }
}
