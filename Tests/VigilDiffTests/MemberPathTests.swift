import Testing
@testable import VigilDiff

@Suite("Member names")
struct MemberPathTests {
    @Test("safe names are normalised", arguments: [
        ("a/b/c.dll", "a/b/c.dll"), ("./a//b/./c.dll", "a/b/c.dll"), ("a\\b\\c.dll", "a/b/c.dll"), ("dir/", "dir"),
    ])
    func normalises(raw: String, expected: String) throws {
        #expect(try MemberPath.normalize(raw).get() == expected)
    }

    @Test("escaping names are refused with a reason", arguments: [
        ("../evil", "climbs out"), ("a/../../evil", "climbs out"), ("a/../b", "climbs out"), ("/etc/passwd", "absolute"),
        ("\\\\server\\share\\x", "absolute"), ("C:\\Windows\\x.dll", "drive letter"), ("c:evil", "drive letter"),
        ("a\u{0}b", "NUL"), ("", "empty"), ("./", "names no file"),
    ])
    func refuses(raw: String, reason: String) {
        switch MemberPath.normalize(raw) {
        case .success(let name): Issue.record("'\(raw)' was accepted as '\(name)'")
        case .failure(let refusal): #expect(refusal.reason.contains(reason))
        }
    }

    @Test("links resolve inside the tree or are refused")
    func links() {
        #expect(MemberPath.resolveLink("a/b/link", target: "../c/x") == "a/c/x")
        #expect(MemberPath.resolveLink("a/link", target: "./x") == "a/x")
        #expect(MemberPath.resolveLink("a/link", target: "../../x") == nil)
        #expect(MemberPath.resolveLink("link", target: "../x") == nil)
        #expect(MemberPath.resolveLink("a/link", target: "/etc/passwd") == nil)
    }
}
