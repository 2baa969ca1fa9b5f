/// Keys that hash themselves with a cheap multiply–xorshift mix instead of SipHash (`Hasher`), for the
/// per-connection hot path where a `Dictionary` spends most of its time hashing.
protocol FastHashable: Equatable {
    func fastHash(_ seed: UInt64) -> UInt64
}

@inline(__always)
func mix64(_ x: UInt64) -> UInt64 {
    var z = x &* 0x9E37_79B9_7F4A_7C15
    z = (z ^ (z >> 32)) &* 0xD6E8_FEB8_6659_FD93
    return z ^ (z >> 32)
}

/// An insert-only map from keys to dense ids `0, 1, 2…` (open addressing, linear probing, load ≤ 1/2).
/// The keys themselves live in ``keys`` (so an id is also an index into parallel arrays). The hash is
/// seeded per process, so crafted log values cannot force collisions reproducibly.
struct FastIndex<Key: FastHashable> {
    private(set) var keys: [Key] = []
    private var slots: [UInt32]
    private var mask: Int
    private let seed: UInt64

    init(capacity: Int = 1024) {
        var c = 16
        while c < capacity * 2 { c <<= 1 }
        slots = [UInt32](repeating: 0, count: c)
        mask = c - 1
        seed = UInt64.random(in: 1...UInt64.max)
    }

    var count: Int { keys.count }

    /// The id of `key`, if present.
    func id(of key: Key) -> UInt32? {
        var i = Int(truncatingIfNeeded: key.fastHash(seed)) & mask
        return slots.withUnsafeBufferPointer { s in
            keys.withUnsafeBufferPointer { k in
                while true {
                    let v = s[i]
                    if v == 0 { return nil }
                    if k[Int(v - 1)] == key { return v - 1 }
                    i = (i + 1) & mask
                }
            }
        }
    }

    /// The id of `key`, inserting it with the next id when new; `inserted` tells which.
    mutating func insert(_ key: Key) -> (id: UInt32, inserted: Bool) {
        let h = Int(truncatingIfNeeded: key.fastHash(seed))
        var i = h & mask
        while true {
            let v = slots[i]
            if v == 0 { break }
            if keys[Int(v - 1)] == key { return (v - 1, false) }
            i = (i + 1) & mask
        }
        let id = UInt32(keys.count)
        keys.append(key)
        slots[i] = id + 1
        if keys.count * 2 > slots.count { grow() }
        return (id, true)
    }

    private mutating func grow() {
        let c = slots.count * 2
        var fresh = [UInt32](repeating: 0, count: c)
        let m = c - 1
        for (n, key) in keys.enumerated() {
            var i = Int(truncatingIfNeeded: key.fastHash(seed)) & m
            while fresh[i] != 0 { i = (i + 1) & m }
            fresh[i] = UInt32(n + 1)
        }
        slots = fresh
        mask = m
    }
}

extension IPAddress: FastHashable {
    @inline(__always)
    func fastHash(_ seed: UInt64) -> UInt64 { mix64(high ^ seed) ^ mix64(low &+ seed) }
}
