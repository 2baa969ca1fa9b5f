import Testing
import VigilIndicators

/// The address and CIDR matcher (``PrefixTable`` behind ``IndicatorSet/matchIP(_:)``) against a
/// brute-force reference: every stored network checked one by one, the longest containing prefix
/// wins, the first stored network wins a tie. Random networks of every length, queries drawn both
/// at random and next to the stored networks (inside, and one bit outside), seeded so a failure
/// reproduces.
@Suite struct PrefixTableReferenceTests {
    /// SplitMix64: small, seeded, good enough for test data.
    struct Random {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }
    }

    /// Brute force over (network, length, index) entries.
    static func reference<A: PrefixKey>(_ entries: [(A, Int, Int32)], _ query: A) -> Int32? {
        var best: (length: Int, index: Int32)?
        for (network, length, index) in entries where query.masked(to: length) == network.masked(to: length) {
            if best == nil || length > best!.length || (length == best!.length && index < best!.index) { best = (length, index) }
        }
        return best?.index
    }

    @Test(arguments: [1, 2, 3])
    func ipv4AgainstBruteForce(seed: UInt64) {
        var rng = Random(state: seed)
        var table = PrefixTable<UInt32>()
        var entries: [(UInt32, Int, Int32)] = []
        // Few distinct values per short length (so overlaps and duplicates happen), every length /0…/32.
        for i in 0..<600 {
            let length = i < 33 ? i : rng.below(33)
            let address = UInt32(truncatingIfNeeded: rng.next()) & (i % 3 == 0 ? 0xC0A8_FFFF : .max)
            table.insert(address, length: length, index: Int32(i))
            entries.append((address, length, Int32(i)))
        }
        var hits = 0
        for q in 0..<20_000 {
            var query = UInt32(truncatingIfNeeded: rng.next())
            if q % 2 == 0 {
                // Near a stored network: inside it, or with one bit of its prefix flipped.
                let (network, length, _) = entries[rng.below(entries.count)]
                let host = length >= 32 ? 0 : UInt32(truncatingIfNeeded: rng.next()) & (UInt32.max >> UInt32(length))
                query = network.masked(to: length) | host
                if q % 4 == 0, length > 0 { query ^= 1 << UInt32(32 - 1 - rng.below(length)) }
            }
            let expected = Self.reference(entries, query)
            #expect(table.longestMatch(query) == expected, "query \(query)")
            if expected != nil { hits += 1 }
        }
        #expect(hits > 5_000)  // the test exercised matches, not only misses
    }

    @Test(arguments: [4, 5, 6])
    func ipv6AgainstBruteForce(seed: UInt64) {
        var rng = Random(state: seed)
        var table = PrefixTable<IPv6Address>()
        var entries: [(IPv6Address, Int, Int32)] = []
        for i in 0..<600 {
            let length = i < 129 ? i : rng.below(129)
            let high = i % 3 == 0 ? 0x2001_0db8_0000_0000 | (rng.next() & 0xffff) : rng.next()
            let address = IPv6Address(high: high, low: rng.next())
            table.insert(address, length: length, index: Int32(i))
            entries.append((address, length, Int32(i)))
        }
        var hits = 0
        for q in 0..<20_000 {
            var query = IPv6Address(high: rng.next(), low: rng.next())
            if q % 2 == 0 {
                let (network, length, _) = entries[rng.below(entries.count)]
                let masked = network.masked(to: length)
                // Host bits: random bits outside the prefix.
                let random = IPv6Address(high: rng.next(), low: rng.next())
                let keep = IPv6Address(high: .max, low: .max).masked(to: length)
                query = IPv6Address(high: masked.high | (random.high & ~keep.high), low: masked.low | (random.low & ~keep.low))
                if q % 4 == 0, length > 0 {
                    let bit = rng.below(length)
                    if bit < 64 { query.high ^= 1 << UInt64(63 - bit) } else { query.low ^= 1 << UInt64(127 - bit) }
                }
            }
            let expected = Self.reference(entries, query)
            #expect(table.longestMatch(query) == expected, "query \(query)")
            if expected != nil { hits += 1 }
        }
        #expect(hits > 5_000)
    }

    /// The same through the indicator set: CIDR and address indicators as text, queries as text and
    /// as numbers, the answer being the most specific indicator.
    @Test func indicatorSetMatchesLikeTheReference() throws {
        var rng = Random(state: 7)
        var set = IndicatorSet()
        var v4: [(UInt32, Int, Int32)] = []
        var v6: [(IPv6Address, Int, Int32)] = []
        var values: [String] = []
        for i in 0..<300 {
            if i % 2 == 0 {
                let length = rng.below(33)
                let a = UInt32(truncatingIfNeeded: rng.next()) & 0xFF00_FFFF | 0x0A00_0000
                let network = a.masked(to: length)
                let text = Normalizer.formatIPv4(network) + (length == 32 ? "" : "/\(length)")
                let kind: IndicatorKind = length == 32 ? .ipv4 : .cidr
                guard set.insert(Indicator(kind: kind, value: text)) == .added else { continue }
                v4.append((network, length, Int32(values.count)))
                values.append(text)
            } else {
                let length = rng.below(129)
                let network = IPv6Address(high: 0x2001_0db8_0000_0000 | (rng.next() & 0xff_ffff), low: rng.next()).masked(to: length)
                let text = Self.ipv6Text(network) + (length == 128 ? "" : "/\(length)")
                let kind: IndicatorKind = length == 128 ? .ipv6 : .cidr
                guard let normalised = kind == .cidr ? Normalizer.normalizeCIDR(text) : Normalizer.normalizeIPv6(text),
                      set.insert(Indicator(kind: kind, value: normalised)) == .added else { continue }
                v6.append((network, length, Int32(values.count)))
                values.append(normalised)
            }
        }
        for _ in 0..<5_000 {
            let (n4, l4, _) = v4[rng.below(v4.count)]
            let q4 = n4 | (l4 >= 32 ? 0 : UInt32(truncatingIfNeeded: rng.next()) & (UInt32.max >> UInt32(l4)))
            let expected4 = Self.reference(v4, q4).map { values[Int($0)] }
            #expect(set.matchIPv4(q4)?.value == expected4)
            #expect(set.matchIP(Normalizer.formatIPv4(q4))?.value == expected4)

            let (n6, l6, _) = v6[rng.below(v6.count)]
            let keep = IPv6Address(high: .max, low: .max).masked(to: l6)
            let q6 = IPv6Address(high: n6.high | (rng.next() & ~keep.high), low: n6.low | (rng.next() & ~keep.low))
            let expected6 = Self.reference(v6, q6).map { values[Int($0)] }
            #expect(set.matchIPv6(q6)?.value == expected6)
            #expect(set.matchIP(Self.ipv6Text(q6))?.value == expected6)
        }
        #expect(set.hasAddressIndicators)
        #expect(!IndicatorSet([Indicator(kind: .domain, value: "example.com")]).hasAddressIndicators)
    }

    /// Full, uncompressed IPv6 text (eight groups).
    static func ipv6Text(_ a: IPv6Address) -> String {
        var groups: [String] = []
        for i in 0..<4 { groups.append(String((a.high >> UInt64(48 - 16 * i)) & 0xffff, radix: 16)) }
        for i in 0..<4 { groups.append(String((a.low >> UInt64(48 - 16 * i)) & 0xffff, radix: 16)) }
        return groups.joined(separator: ":")
    }
}
