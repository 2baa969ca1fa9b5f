import Foundation

#if canImport(Glibc)
    @preconcurrency import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif
import VigilBinary
import VigilCore

/// Walks a release folder without following symbolic links: files are read with the per-member
/// cap, links are checked to stay inside the tree and reported as links, special files are skipped
/// with a diagnostic. Entries are visited in sorted order so reports are stable.
struct FolderWalker {
    let root: URL
    let session: ReadSession

    func walk() throws {
        let rootPath = root.resolvingSymlinksInPath().path
        session.folderRoot = rootPath
        try walk(directory: URL(fileURLWithPath: rootPath), relative: "", rootPath: rootPath)
    }

    private func walk(directory: URL, relative: String, rootPath: String) throws {
        let fm = FileManager.default
        let names: [String]
        do { names = try fm.contentsOfDirectory(atPath: directory.path).sorted() } catch {
            if relative.isEmpty { throw ReleaseError.unreadable(path: directory.path, reason: "cannot list the folder") }
            session.diagnostics.append(Diagnostic(kind: "unreadable", path: relative, message: "cannot list the folder"))
            return
        }
        for name in names {
            let url = directory.appendingPathComponent(name)
            let rel = relative.isEmpty ? name : relative + "/" + name
            try session.budget.countEntry(archive: root.path, member: rel)
            // attributesOfItem uses lstat: a link is seen as a link, never followed.
            guard let type = (try? fm.attributesOfItem(atPath: url.path))?[.type] as? FileAttributeType else {
                session.diagnostics.append(Diagnostic(kind: "vanished", path: rel, message: "disappeared or unreadable while walking"))
                continue
            }
            switch type {
            case .typeDirectory:
                try walk(directory: url, relative: rel, rootPath: rootPath)
            case .typeSymbolicLink:
                let target = (try? fm.destinationOfSymbolicLink(atPath: url.path)) ?? ""
                let inside: Bool
                if target.hasPrefix("/") {
                    inside = target == rootPath || target.hasPrefix(rootPath + "/")
                } else {
                    inside = MemberPath.resolveLink(rel, target: target) != nil
                }
                guard inside else { throw ReleaseError.linkOutOfTree(archive: root.path, member: rel, target: target) }
                try session.emitLink(prefix: "", name: rel, target: target, depth: 0, archive: root.path)
            case .typeRegular:
                try readFile(url, relative: rel)
            default:
                var info = stat()
                let what = lstat(url.path, &info) == 0 ? ReleaseReader.fileTypeName(info.st_mode) : "special file"
                session.diagnostics.append(Diagnostic(kind: "special-file", path: rel, message: "a \(what), not a regular file, folder or link; not read"))
            }
        }
    }

    /// Reads a file in chunks: all of it is hashed, at most `maxMemberBytes` kept for analysis.
    private func readFile(_ url: URL, relative: String) throws {
        // O_NOATIME where permitted (the access times stay as they were), never following a link
        // swapped in since the walk saw a regular file, never waiting on a FIFO.
        let fd = QuietFile.open(url.path, followFinalSymlink: false)
        guard fd >= 0 else {
            session.diagnostics.append(Diagnostic(kind: "unreadable", path: relative, message: "permission denied or vanished"))
            return
        }
        let handle = FileHandle(fileDescriptor: fd, closeOnDealloc: false)
        defer { try? handle.close() }
        let sink = MemberSink(keep: session.limits.maxMemberBytes, budget: session.budget, archive: root.path, member: relative, compressedSize: nil, budgeted: false)
        // A read error part-way is reported and the file left out: a truncated copy would be compared
        // as if it were the whole file.
        do {
            while let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty {
                try sink.append(chunk)
            }
        } catch let error as ReleaseError {
            throw error
        } catch {
            session.diagnostics.append(Diagnostic(kind: "unreadable", path: relative, message: "read failed: \(error.localizedDescription)"))
            return
        }
        try session.emitFile(path: relative, sink: sink, depth: 0)
    }
}
