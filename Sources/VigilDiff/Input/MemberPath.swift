import Foundation

/// Checks and normalises archive member names so that no name can point outside the release.
///
/// Written by hand because it is the security boundary: ZIP and tar archives hand back names as
/// stored, and a stored name may be `../../etc/passwd`, `/etc/passwd`, `C:\Windows\x.dll` or contain
/// NUL bytes. Names are compared, never used to create files.
enum MemberPath {
    /// Why a name was refused, or the normalised relative path (`/` separators, no `.` parts).
    static func normalize(_ raw: String) -> Result<String, PathRefusal> {
        if raw.isEmpty { return .failure(.init(reason: "has an empty name")) }
        if raw.utf8.contains(0) { return .failure(.init(reason: "contains a NUL byte")) }
        let unified = raw.replacingOccurrences(of: "\\", with: "/")
        if unified.hasPrefix("/") { return .failure(.init(reason: "is an absolute path")) }
        let scalars = Array(unified.unicodeScalars)
        if scalars.count >= 2, scalars[1] == ":", scalars[0].properties.isAlphabetic {
            return .failure(.init(reason: "starts with a drive letter"))
        }
        var parts: [Substring] = []
        for part in unified.split(separator: "/", omittingEmptySubsequences: true) {
            if part == "." { continue }
            if part == ".." { return .failure(.init(reason: "climbs out of the release with '..'")) }
            parts.append(part)
        }
        if parts.isEmpty { return .failure(.init(reason: "names no file")) }
        return .success(parts.joined(separator: "/"))
    }

    /// Resolves a symbolic link's `target` relative to the folder of `link` (both normalised
    /// relative paths) and returns the resolved relative path, or `nil` when it leaves the tree.
    static func resolveLink(_ link: String, target: String) -> String? {
        let unified = target.replacingOccurrences(of: "\\", with: "/")
        if unified.hasPrefix("/") || unified.utf8.contains(0) { return nil }
        var stack = link.split(separator: "/").dropLast().map(String.init)
        for part in unified.split(separator: "/", omittingEmptySubsequences: true) {
            if part == "." { continue }
            if part == ".." {
                if stack.isEmpty { return nil }
                stack.removeLast()
            } else {
                stack.append(String(part))
            }
        }
        return stack.joined(separator: "/")
    }
}

/// The reason a member name was refused.
struct PathRefusal: Error { var reason: String }
