import Foundation
import VigilContainers
import VigilCore

#if canImport(Glibc)
    @preconcurrency import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A release shipped as a container that the diff's own readers do not read (CAB, 7z, xar/.pkg,
/// cpio, ISO, RAR, and every format registered with ``ContainerFormats``): extracted with the
/// container caps into a folder of the private temporary directory and then read exactly like a
/// release folder, so pairing, facts, signals and risk are those of the unpacked folder. Nested
/// containers that diff reads itself (ZIP, tar, gzip) are left as files for it; others (the
/// gzip'd cpio `Payload` of a `.pkg`) are unpacked beside them as `Payload!/…`.
enum ContainerRelease {
    /// Opens `url` as a container release, or returns `nil` when no container format reads it.
    static func read(_ url: URL, session: ReadSession) throws -> String? {
        let walker = ContainerWalker(limits: containerLimits(session.limits), workspace: try workspace(url))
        guard let probe = ContainerWalker.probe(path: url.path), let format = walker.recognize(probe) else { return nil }
        // ZIP and tar stay with diff's own readers (they report archive ambiguities).
        if isDiffOwnFormat(probe) { return nil }
        var nestedWalker = walker
        nestedWalker.opensNested = { !isDiffOwnFormat($0) }
        let root = try walker.workspace.createFolder()
        defer { PrivateWorkspace.removeTree(root) }
        let name = url.lastPathComponent
        var placer = TreePlacer(root: root)
        var refusal: ReleaseError?
        let summary = try nestedWalker.walk(
            path: url.path, chain: ContainerPath(outer: name), format: format,
            visit: { member in
                if refusal != nil { return false }
                return try placer.place(member, diagnostics: &session.diagnostics)
            },
            report: { event in
                switch event {
                case .diagnostic(let d):
                    session.diagnostics.append(Diagnostic(kind: d.kind, path: relative(d.path, to: name), line: d.line, offset: d.offset, message: d.message))
                case .finding(let f):
                    guard refusal == nil else { return }
                    let member = relative(f.path, to: name)
                    switch f.check {
                    case "container.unsafe-path":
                        let problems = f.evidence["problems"]?.description ?? "is unsafe"
                        refusal = .unsafePath(archive: name, member: f.evidence["stored_name"]?.description ?? member, reason: problems)
                    case "container.link-outside":
                        refusal = .linkOutOfTree(archive: name, member: member, target: f.evidence["link_target"]?.description ?? "")
                    case "container.decompression-bomb":
                        refusal = .bomb(archive: name, member: f.evidence["member"].map { relative($0.description, to: name) } ?? member, reason: "expands more than \(session.limits.maxCompressionRatio) times the container's size")
                    default:
                        session.diagnostics.append(Diagnostic(kind: f.check, path: member, message: f.title))
                    }
                }
            })
        if let refusal { throw refusal }
        guard summary.opened else { return nil }
        if let cap = session.diagnostics.first(where: { $0.kind == "container-limit" && ($0.message.contains("total-bytes") || $0.message.contains("member-count")) }) {
            throw ReleaseError.bomb(archive: name, member: cap.path, reason: cap.message)
        }
        try FolderWalker(root: URL(fileURLWithPath: root), session: session).walk()
        return summary.formatName
    }

    private static func workspace(_ url: URL) throws -> PrivateWorkspace {
        do {
            return try PrivateWorkspace.shared()
        } catch {
            throw ReleaseError.unreadable(path: url.path, reason: "cannot create a private temporary folder to unpack it: \(error)")
        }
    }

    /// The diff's caps, as container caps (the per-member cap is the analysis cap).
    static func containerLimits(_ limits: ExpansionLimits) -> ContainerLimits {
        ContainerLimits(
            maxMembers: limits.maxEntries, maxDepth: max(1, limits.maxDepth + 1), maxTotalBytes: Int64(limits.maxTotalBytes),
            maxExpansionRatio: Int64(limits.maxCompressionRatio), ratioFloorBytes: Int64(limits.ratioFloorBytes),
            maxMemberBytes: Int64(limits.maxMemberBytes))
    }

    /// ZIP, tar and tar.gz: read by diff's own readers, which report archive ambiguities. A gzip
    /// stream holding anything else (the cpio `Payload` of a `.pkg`) is not.
    static func isDiffOwnFormat(_ probe: ContainerProbe) -> Bool {
        if probe.has([0x50, 0x4B, 0x03, 0x04]) || probe.has([0x50, 0x4B, 0x05, 0x06]) || probe.has(Array("ustar".utf8), at: 257) {
            return true
        }
        if probe.has([0x1F, 0x8B]) {
            return ArchiveContainer.holdsTar(probe) ?? true
        }
        return false
    }

    /// `outer.7z!/a/b` → `a/b`; nested chains keep their `!/` (`Payload!/usr/bin/tool`).
    static func relative(_ chain: String, to outer: String) -> String {
        let prefix = outer + "!/"
        return chain.hasPrefix(prefix) ? String(chain.dropFirst(prefix.count)) : chain
    }
}

/// Places extracted members into a folder tree, never through a link: every folder on the way is
/// opened with `O_NOFOLLOW` relative to the one before, so a member named like an earlier link
/// (`link/x` after `link -> /etc`) cannot write outside the tree.
struct TreePlacer {
    let root: String

    /// Moves a regular member's file into place, creates folders and links. Returns whether the
    /// member's file was taken (the walker then does not delete it; the tree's removal does).
    mutating func place(_ member: ExtractedMember, diagnostics: inout [Diagnostic]) throws -> Bool {
        // A nested container that was unpacked (`Payload`) is represented by its members (`Payload!/…`).
        if member.openedAsContainer { return false }
        let relative = member.chain.members.joined(separator: "!/")
        var parts = relative.split(separator: "/").map(String.init)
        guard let leaf = parts.popLast() else { return false }
        var fd = open(root, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        guard fd >= 0 else { throw ReleaseError.unreadable(path: root, reason: "cannot open the private folder") }
        defer { close(fd) }
        for part in parts {
            if mkdirat(fd, part, 0o700) != 0 && errno != EEXIST { return refuse(relative, "cannot create its folder", &diagnostics) }
            let next = openat(fd, part, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
            guard next >= 0 else { return refuse(relative, "a member on its path is not a folder (a link or a file)", &diagnostics) }
            close(fd)
            fd = next
        }
        switch member.info.kind {
        case .directory:
            if mkdirat(fd, leaf, 0o700) != 0 && errno != EEXIST { return refuse(relative, "cannot create the folder", &diagnostics) }
            return false
        case .symlink:
            if symlinkat(member.info.linkTarget ?? "", fd, leaf) != 0 { return refuse(relative, "cannot create the link", &diagnostics) }
            return false
        case .regular:
            guard let file = member.file else { return false }
            if renameat(AT_FDCWD, file, fd, leaf) != 0 { return refuse(relative, "cannot move it into the tree: \(String(cString: strerror(errno)))", &diagnostics) }
            return true
        case .hardlink, .other:
            return false
        }
    }

    private func refuse(_ path: String, _ why: String, _ diagnostics: inout [Diagnostic]) -> Bool {
        diagnostics.append(Diagnostic(kind: "container-unreadable", path: path, message: "not unpacked: \(why)"))
        return false
    }
}
