import Testing
import VigilCore

/// Issue 16 item 11: the one escaping helper every text renderer uses.
@Suite struct TerminalSafeTests {
    @Test func escapesControlsC1AndBidi() {
        #expect(TerminalSafe.escape("a\nFAKE: 0 findings") == "a\\nFAKE: 0 findings")
        #expect(TerminalSafe.escape("\u{1b}]0;pwned\u{07}x\t\r\u{7f}") == "\\x1b]0;pwned\\x07x\\t\\r\\x7f")
        #expect(TerminalSafe.escape("\u{9b}31m") == "\\u{9b}31m")
        #expect(TerminalSafe.escape("invoice\u{202e}fdp.exe") == "invoice\\u{202e}fdp.exe")
        // Unchanged: printable ASCII, backslashes, non-ASCII letters.
        for s in ["C:\\Windows\\System32", "ünïcödé 名前.dll", "plain"] { #expect(TerminalSafe.escape(s) == s) }
        #expect(!TerminalSafe.needsEscaping("ok"))
        #expect("x\(safe: "a\u{1b}b")y" == "xa\\x1bby")
    }

    @Test func invalidBytesStayDistinguishable() {
        let a = TerminalSafe.escape(bytes: Array("name".utf8) + [0xff])
        let b = TerminalSafe.escape(bytes: Array("name".utf8) + [0xfe])
        #expect(a == "name\\xff" && b == "name\\xfe")
        // Overlong encodings, surrogates, truncated sequences: every byte escaped.
        #expect(TerminalSafe.escape(bytes: [0xc0, 0xaf]) == "\\xc0\\xaf")
        #expect(TerminalSafe.escape(bytes: [0xed, 0xa0, 0x80]) == "\\xed\\xa0\\x80")
        #expect(TerminalSafe.escape(bytes: [0x61, 0xe2, 0x82]) == "a\\xe2\\x82")
        #expect(TerminalSafe.escape(bytes: Array("é€😀\n".utf8)) == "é€😀\\n")
    }

    /// Generated random byte strings: the result never holds a control scalar, and distinct inputs
    /// without backslashes give distinct outputs.
    @Test func randomBytes() {
        var state: UInt64 = 0x9e37_79b9_7f4a_7c15
        var seen: [String: [UInt8]] = [:]
        for _ in 0..<5000 {
            var bytes: [UInt8] = []
            for _ in 0..<Int(state % 12) {
                state = state &* 6364136223846793005 &+ 1442695040888963407
                let b = UInt8(truncatingIfNeeded: state >> 33)
                bytes.append(b == UInt8(ascii: "\\") ? 0x41 : b)
            }
            state = state &* 6364136223846793005 &+ 1442695040888963407
            let s = TerminalSafe.escape(bytes: bytes)
            #expect(!TerminalSafe.needsEscaping(s))
            if let other = seen[s] { #expect(other == bytes) }
            seen[s] = bytes
        }
    }
}
