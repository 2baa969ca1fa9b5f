/// A member name made safe: relative, `/`-separated, no `.` or `..` component, never empty, so it
/// can never name anything outside the container. What was wrong with the stored name is kept
/// (``problems``) so reports can say the name was hostile.
public struct MemberName: Sendable, Hashable {
    /// The safe relative path (`dir/ffmpeg.dll`).
    public var path: String
    /// What the stored name did that a safe name does not, in words; empty for a clean name.
    public var problems: [String]
    /// The name as stored.
    public var stored: String

    /// Whether the stored name tried to leave the container (`..` above the root, an absolute path,
    /// a drive letter): the ZipSlip pattern, worth a finding.
    public var isHostile: Bool { !problems.isEmpty }

    /// Normalises a stored name. Backslashes count as separators (Windows archivers write them),
    /// a drive letter and leading separators are removed, `.` components dropped, and `..` resolved
    /// lexically without ever going above the root. An empty result becomes `unnamed`.
    public static func normalise(_ stored: String) -> MemberName {
        var problems: [String] = []
        var s = Substring(stored.replacingBackslashes())
        if s.count >= 2, let first = s.first, first.isASCII, first.isLetter, s.dropFirst().first == ":" {
            problems.append("starts with the drive letter '\(s.prefix(2))'")
            s = s.dropFirst(2)
        }
        if s.hasPrefix("/") {
            problems.append("is an absolute path")
            while s.hasPrefix("/") { s = s.dropFirst() }
        }
        if stored.contains("\0") { problems.append("holds a NUL byte") }
        var parts: [Substring] = []
        var climbed = false
        for part in s.split(separator: "/", omittingEmptySubsequences: true) {
            if part == "." { continue }
            if part == ".." {
                if parts.isEmpty { climbed = true } else { parts.removeLast() }
                continue
            }
            parts.append(part)
        }
        if climbed { problems.append("climbs out of the container with '..'") }
        var path = parts.joined(separator: "/")
        if path.isEmpty { path = "unnamed" }
        return MemberName(path: path, problems: problems, stored: stored)
    }

    /// Resolves a symbolic link target stored in the member named `linkName` (both as stored),
    /// lexically. Returns the target inside the container, or `nil` when it leaves the container
    /// (absolute, or `..` above the root).
    public static func resolveLink(_ target: String, from linkName: MemberName) -> String? {
        let t = target.replacingBackslashes()
        if t.hasPrefix("/") { return nil }
        if t.count >= 2, let first = t.first, first.isLetter, t.dropFirst().first == ":" { return nil }
        var parts = linkName.path.split(separator: "/").map(String.init)
        if !parts.isEmpty { parts.removeLast() }
        for part in t.split(separator: "/", omittingEmptySubsequences: true) {
            if part == "." { continue }
            if part == ".." {
                if parts.isEmpty { return nil }
                parts.removeLast()
                continue
            }
            parts.append(String(part))
        }
        return parts.joined(separator: "/")
    }
}

extension String {
    fileprivate func replacingBackslashes() -> String {
        contains("\\") ? String(map { $0 == "\\" ? "/" : $0 }) : self
    }
}

/// A container chain path: the file on disk, then each member's path inside the container that
/// holds it, joined by `!/` as ClamAV and Loki write it: `outer.msi!/[ProgramFiles]/App/ffmpeg.dll`,
/// `a.dmg!/x.pkg!/Payload!/usr/bin/tool`.
public struct ContainerPath: Sendable, Hashable, CustomStringConvertible {
    /// The outermost file as it was given (a path on disk).
    public var outer: String
    /// The safe member path at each nesting level.
    public var members: [String]

    public init(outer: String, members: [String] = []) {
        self.outer = outer
        self.members = members
    }

    /// The chain one level deeper.
    public func appending(_ member: String) -> ContainerPath {
        ContainerPath(outer: outer, members: members + [member])
    }

    /// Nesting depth: 0 for the outer file itself.
    public var depth: Int { members.count }

    /// `outer!/m1!/m2`.
    public var description: String {
        members.reduce(outer) { $0 + "!/" + $1 }
    }
}
