import Testing
@testable import VigilFleetPostgres

@Suite("PostgreSQL path-id cache")
struct PathIDCacheTests {
    @Test("known paths come from the cache, unknown ones are asked for once each")
    func splitKnownAndMissing() {
        let cache = PathIDCache(capacity: 10)
        cache.remember(["/a": 1, "/b": 2])
        let (known, missing) = cache.split(["/a", "/c", "/b", "/c", "/d"])
        #expect(known == ["/a": 1, "/b": 2])
        #expect(missing == ["/c", "/d"])
    }

    @Test("the cache never holds more than its capacity")
    func bounded() {
        let cache = PathIDCache(capacity: 3)
        cache.remember(["/a": 1, "/b": 2, "/c": 3])
        #expect(cache.count == 3)
        cache.remember(["/d": 4])
        #expect(cache.count == 1)
        #expect(cache.split(["/d", "/a"]).missing == ["/a"])
        let none = PathIDCache(capacity: 0)
        none.remember(["/a": 1])
        #expect(none.count == 0)
    }
}
