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

/// Follows symbolic links inside one archive (or folder) the way a file system would: each path
/// component that is itself a link is replaced by that link's target, relative to the link's folder.
struct LinkResolver {
    /// Link path (normalised, relative) -> target as stored.
    let links: [String: String]
    /// For a folder release: its real path, so absolute targets inside it can be followed.
    let root: String?
    /// How many links one resolution may follow before it counts as a loop (Linux's limit is 40).
    static let maxHops = 40

    /// Whether following `link` (a key of `links`) ends inside the tree, without looping.
    func staysInside(link: String) -> Bool {
        guard let target = links[link] else { return true }
        var stack = link.split(separator: "/").dropLast().map(String.init)
        var pending: [Substring] = []
        guard enqueue(target, into: &pending, stack: &stack) else { return false }
        var hops = 1
        while !pending.isEmpty {
            let part = pending.removeFirst()
            if part == "." || part.isEmpty { continue }
            if part == ".." {
                if stack.isEmpty { return false }
                stack.removeLast()
                continue
            }
            stack.append(String(part))
            if let next = links[stack.joined(separator: "/")] {
                hops += 1
                if hops > Self.maxHops { return false }
                stack.removeLast()
                guard enqueue(next, into: &pending, stack: &stack) else { return false }
            }
        }
        return true
    }

    /// Puts a target's parts in front of `pending`; an absolute target restarts from the root when
    /// it lies inside a folder release, and leaves the tree otherwise.
    private func enqueue(_ target: String, into pending: inout [Substring], stack: inout [String]) -> Bool {
        var target = target.replacingOccurrences(of: "\\", with: "/")
        if target.utf8.contains(0) { return false }
        if target.hasPrefix("/") {
            guard let root, target == root || target.hasPrefix(root + "/") else { return false }
            target = String(target.dropFirst(root.count))
            stack = []
        }
        pending.insert(contentsOf: target.split(separator: "/", omittingEmptySubsequences: true), at: 0)
        return true
    }
}
