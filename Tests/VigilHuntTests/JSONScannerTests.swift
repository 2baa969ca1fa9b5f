import Testing
@testable import VigilHunt

@Suite struct JSONScannerTests {
    private func members(_ text: String) -> (ok: Bool, pairs: [(String, String?, JSON.Kind)]) {
        var pairs: [(String, String?, JSON.Kind)] = []
        var t = text
        let ok = t.withUTF8 { buf in
            JSON.members(UnsafeRawBufferPointer(buf)) { k, v in pairs.append((k.string, v.string, v.kind)) }
        }
        return (ok, pairs)
    }

    @Test func decodesEscapesAndSkipsNestedContainers() {
        let r = members(#"{"a": "x\"y\\z\/\u00e9\ud83d\ude00\n", "n": {"deep": [1, {"q": "}]"}]}, "b" :-1.5e3 , "t":true,"z":null}"#)
        #expect(r.ok)
        #expect(r.pairs.map(\.0) == ["a", "n", "b", "t", "z"])
        #expect(r.pairs[0].1 == "x\"y\\z/é😀\n")
        #expect(r.pairs[1].2 == .object)
        #expect(r.pairs[2].1 == "-1.5e3")
        #expect(r.pairs[2].2 == .number)
        #expect(r.pairs[3].2 == .bool)
        #expect(r.pairs[4].2 == .null)
    }

    @Test func rejectsMalformedObjects() {
        #expect(!members(#"{"a": "unterminated}"#).ok)
        #expect(!members(#"{"a" 1}"#).ok)
        #expect(!members(#"{"a": 1,}"#).ok)
        #expect(!members(#"["a"]"#).ok)
        #expect(!members(#"{"a": 1} trailing"#).ok)
        #expect(members(#"{}"#).ok)
        // Depth beyond the cap is malformed, not a crash.
        let deep = "{\"a\":" + String(repeating: "[", count: 100) + String(repeating: "]", count: 100) + "}"
        #expect(!members(deep).ok)
    }

    @Test func loneSurrogateBecomesReplacementCharacter() {
        let r = members(#"{"a":"\ud800x"}"#)
        #expect(r.pairs.first?.1 == "\u{FFFD}x")
    }

    @Test func timestampsInEveryZeekForm() {
        func ts(_ s: String) -> Double? { var t = s; return t.withUTF8 { ByteParsing.timestamp(UnsafeRawBufferPointer($0)) } }
        #expect(ts("1591367999.305988") == 1591367999.305988)
        #expect(ts("1591367999305") == 1591367999.305)
        #expect(ts("2018-03-24T17:15:20.865716Z").map { abs($0 - 1521911720.865716) < 1e-5 } == true)
        #expect(ts("2021-06-06T15:57:37.272281+0200").map { abs($0 - 1622987857.272281) < 1e-5 } == true)
        #expect(ts("2021-06-06T15:57:37+02:00") == 1622987857)
        #expect(ts("yesterday") == nil)
        #expect(ts("2021-13-06T15:57:37Z") == nil)
    }
}
