import Foundation
import VigilBinary
import VigilCore
import VigilFormats
import VigilGzip

#if canImport(Glibc)
    @preconcurrency import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Reads one side of a release diff (a folder, a ZIP-based package, a tar or tar.gz, an Electron
/// asar) member by member, opening nested archives within ``ExpansionLimits``.
///
/// Nothing is ever written to disk: members are decompressed into memory, handed to `visit`, and
/// dropped. Hostile inputs (traversal names, absolute names, links leaving the tree, bombs) make
/// ``read(_:visit:)`` throw a ``ReleaseError`` that names the member; nothing has been written.
public struct ReleaseReader: Sendable {
    public var limits: ExpansionLimits

    public init(limits: ExpansionLimits = .standard) { self.limits = limits }

    /// Reads the release at `path` and calls `visit` for every member, in a stable order.
    /// - Returns: a summary of the source and the non-fatal problems met (unreadable files,
    ///   damaged nested archives, oversized members that were hashed but not analysed).
    /// - Throws: ``ReleaseError`` when the input is refused or unreadable, or what `visit` throws.
    public func read(_ path: String, visit: (ReleaseMember) throws -> Void) throws -> (ReleaseSource, [Diagnostic]) {
        try withoutActuallyEscaping(visit) { visit in
            try readEscaping(path, visit: visit)
        }
    }

    /// A file type in words, for refusals.
    static func fileTypeName(_ mode: mode_t) -> String {
        switch mode & S_IFMT {
        case S_IFIFO: "FIFO (named pipe)"
        case S_IFCHR: "character device"
        case S_IFBLK: "block device"
        case S_IFSOCK: "socket"
        case S_IFLNK: "symbolic link"
        default: "special file"
        }
    }

    private func readEscaping(_ path: String, visit: @escaping (ReleaseMember) throws -> Void) throws -> (ReleaseSource, [Diagnostic]) {
        let session = ReadSession(limits: limits, visit: visit)
        let url = URL(fileURLWithPath: path)
        // stat, not open: opening a FIFO waits for a writer, and a device never ends.
        var info = stat()
        guard stat(path, &info) == 0 else {
            throw ReleaseError.unreadable(path: path, reason: errno == ENOENT ? "no such file or folder" : String(cString: strerror(errno)))
        }
        let kind: String
        switch info.st_mode & S_IFMT {
        case S_IFDIR:
            kind = "folder"
            try FolderWalker(root: url, session: session).walk()
        case S_IFREG:
            kind = try session.openTopLevelFile(url)
        default:
            throw ReleaseError.unsupported(path: path, reason: "it is a \(Self.fileTypeName(info.st_mode)), not a regular file or folder (reading it could block or never end)")
        }
        try session.checkLinkChains()
        var source = session.source
        source.path = path
        source.kind = kind
        return (source, session.diagnostics)
    }
}

/// State shared while reading one release: budget, counters, diagnostics, the visitor.
final class ReadSession {
    let limits: ExpansionLimits
    let budget: ExpansionBudget
    let visit: (ReleaseMember) throws -> Void
    var diagnostics: [Diagnostic] = []
    var source = ReleaseSource(path: "", kind: "")
    private var seen: Set<String> = []

    init(limits: ExpansionLimits, visit: @escaping (ReleaseMember) throws -> Void) {
        self.limits = limits
        self.budget = ExpansionBudget(limits: limits)
        self.visit = visit
    }

    /// Opens a release given as one regular file (an archive, or a one-file release) and returns
    /// its kind. Archives other than ZIP are read into memory, up to ``ExpansionLimits/maxTotalBytes``;
    /// any other file is streamed like a folder member: hashed whole, at most
    /// ``ExpansionLimits/maxMemberBytes`` kept for analysis.
    func openTopLevelFile(_ url: URL) throws -> String {
        let name = url.lastPathComponent
        // O_NONBLOCK: if the path was swapped for a FIFO since stat, open must not wait for a writer;
        // O_NOATIME where permitted: comparing a release leaves its access times alone, as scan does.
        let fd = QuietFile.open(url.path)
        guard fd >= 0 else { throw ReleaseError.unreadable(path: url.path, reason: "cannot open the file: \(String(cString: strerror(errno)))") }
        var info = stat()
        guard fstat(fd, &info) == 0, info.st_mode & S_IFMT == S_IFREG else {
            close(fd)
            throw ReleaseError.unsupported(path: url.path, reason: "it is a \(ReleaseReader.fileTypeName(info.st_mode)), not a regular file or folder")
        }
        let file = FileBytes(fd: fd, count: Int(info.st_size), path: url.path)
        let head = try file.bytes(at: 0, length: min(file.count, 512))
        let format = FileFormat.identify(head)
        if format == .zip {
            try readZip(file, display: name, prefix: "", depth: 0)
            return "zip"
        }
        // CAB, 7z, xar/.pkg, cpio, ISO, RAR and the other registered containers: unpacked into the
        // private temporary folder with the caps, then read as a folder.
        if let kind = try ContainerRelease.read(url, session: self) { return kind }
        let mayBeAsar = head.count >= 17 && head[0] == 4 && head[1] == 0 && head[2] == 0 && head[3] == 0 && head[16] == UInt8(ascii: "{")
        if format == .gzip || TarReader.looksLikeTar(head) || mayBeAsar {
            guard file.count <= limits.maxTotalBytes else {
                throw ReleaseError.bomb(archive: name, member: name, reason: "is larger than \(limits.maxTotalBytes) bytes")
            }
            let bytes = try file.bytes(at: 0, length: file.count)
            if format == .gzip {
                let inner = try gunzip(bytes, display: name, member: name, keep: limits.maxTotalBytes)
                guard TarReader.looksLikeTar(inner) else {
                    throw ReleaseError.unsupported(path: url.path, reason: "the gzip data does not hold a tar archive")
                }
                try readTar(inner, display: name, prefix: "", depth: 0)
                return "tar.gz"
            }
            if TarReader.looksLikeTar(bytes) {
                try readTar(bytes, display: name, prefix: "", depth: 0)
                return "tar"
            }
            if AsarReader.looksLikeAsar(bytes) {
                try readAsar(bytes, display: name, prefix: "", depth: 0)
                return "asar"
            }
        }
        // Any other file is a one-file release (`vigil diff old/ffmpeg.dll new/ffmpeg.dll`), read in
        // chunks so that memory stays within the per-member cap whatever the file's size.
        let sink = MemberSink(keep: limits.maxMemberBytes, budget: budget, archive: name, member: name, compressedSize: nil, budgeted: false)
        var offset = 0
        while offset < file.count {
            let chunk = try file.bytes(at: offset, length: min(1 << 20, file.count - offset))
            try sink.append(chunk)
            offset += chunk.count
        }
        try emitFile(path: name, sink: sink, depth: 0)
        return "file"
    }

    // MARK: - Members

    /// Hands a regular file to the visitor, then opens it if it is an archive and depth allows.
    func emitFile(path: String, sink: MemberSink, depth: Int) throws {
        let name = uniqueName(path)
        let bytes = sink.bytes
        source.fileCount += 1
        source.totalBytes += sink.size
        if !sink.complete {
            diagnostics.append(
                Diagnostic(kind: "skipped-size", path: name, message: "larger than \(limits.maxMemberBytes) bytes: hashed but only the first \(bytes.count) bytes analysed"))
        }
        try visit(ReleaseMember(path: name, content: .file(bytes: bytes, size: sink.size, sha256: sink.finish(), complete: sink.complete), depth: depth))
        if sink.complete { try openNested(bytes, path: name, depth: depth) }
    }

    /// Hands a link (already checked to stay inside the tree) to the visitor.
    /// `prefix` is the archive scope (`""` or `outer.zip!/`), `name` the link's path inside it.
    /// Symbolic links are remembered so that ``checkLinkChains()`` can follow them through each other.
    func emitLink(prefix: String, name: String, target: String, depth: Int, symbolic: Bool = true, archive: String) throws {
        source.linkCount += 1
        if symbolic { links[prefix, default: [:]][name] = (target, archive) }
        try visit(ReleaseMember(path: uniqueName(prefix + name), content: .symlink(target: target), depth: depth))
    }

    /// Symbolic links per archive scope: link path -> (target, archive holding it).
    private var links: [String: [String: (target: String, archive: String)]] = [:]
    /// The resolved real path of a top-level folder release, for links given as absolute paths.
    var folderRoot: String?

    /// Follows every symbolic link of the release as a system would, through the other links of the
    /// same archive (or folder), and refuses the release when one leaves the tree or loops.
    /// Each link alone was already checked; a chain like `x/b -> ..` plus `a -> x/b/..` passes that
    /// check and still points outside once `x/b` is followed.
    func checkLinkChains() throws {
        for (scope, map) in links.sorted(by: { $0.key < $1.key }) {
            for (name, link) in map.sorted(by: { $0.key < $1.key }) {
                guard LinkResolver(links: map.mapValues(\.target), root: scope.isEmpty ? folderRoot : nil).staysInside(link: name) else {
                    throw ReleaseError.linkOutOfTree(archive: link.archive, member: name, target: link.target)
                }
            }
        }
    }

    private func uniqueName(_ path: String) -> String {
        guard seen.contains(path) else {
            seen.insert(path)
            return path
        }
        var n = 2
        while seen.contains("\(path) (duplicate \(n))") { n += 1 }
        let name = "\(path) (duplicate \(n))"
        diagnostics.append(Diagnostic(kind: "duplicate-member", path: path, message: "the archive holds this name more than once; later copy reported as '\(name)'"))
        seen.insert(name)
        return name
    }

    // MARK: - Nested archives

    private func openNested(_ bytes: [UInt8], path: String, depth: Int) throws {
        let format = FileFormat.identify(bytes)
        let isAsar = path.lowercased().hasSuffix(".asar") && AsarReader.looksLikeAsar(bytes)
        let isTar = format == .tar || (format == .unknown && path.lowercased().hasSuffix(".tar") && TarReader.looksLikeTar(bytes))
        guard format == .zip || format == .gzip || isTar || isAsar else { return }
        guard depth < limits.maxDepth else {
            diagnostics.append(Diagnostic(kind: "nesting-limit", path: path, message: "archive nested deeper than \(limits.maxDepth) levels was not opened"))
            return
        }
        let prefix = path + "!/"
        source.archivesOpened += 1
        do {
            switch format {
            case .zip:
                try readZip(bytes, display: path, prefix: prefix, depth: depth + 1)
            case .gzip:
                let inner = try gunzip(bytes, display: path, member: path, keep: limits.maxMemberBytes)
                if TarReader.looksLikeTar(inner) {
                    try readTar(inner, display: path, prefix: prefix, depth: depth + 1)
                } else {
                    let sink = MemberSink(keep: limits.maxMemberBytes, budget: budget, archive: path, member: path, compressedSize: nil)
                    try sink.append(inner)
                    var base = String(path.split(separator: "/").last ?? "content")
                    if base.lowercased().hasSuffix(".gz") { base.removeLast(3) }
                    try emitFile(path: prefix + base, sink: sink, depth: depth + 1)
                }
            default:
                if isAsar {
                    try readAsar(bytes, display: path, prefix: prefix, depth: depth + 1)
                } else {
                    try readTar(bytes, display: path, prefix: prefix, depth: depth + 1)
                }
            }
        } catch let error as ReleaseError {
            switch error {
            case .malformed, .unsupported, .unreadable:
                // A damaged nested archive is still a file of the release; say so and go on.
                diagnostics.append(Diagnostic(kind: "malformed", path: path, message: error.description))
            default:
                throw error
            }
        } catch {
            diagnostics.append(Diagnostic(kind: "malformed", path: path, message: "nested archive could not be read: \(error)"))
        }
    }

    /// Decompresses gzip data into memory, refusing bombs (ratio) and keeping at most `keep` bytes
    /// (a larger result is refused too: it cannot be opened as an archive).
    ///
    /// The result is not counted against the release's expansion budget here: it is a container
    /// whose bytes are counted once, when its members (or, for a plain `.gz`, the file) are read.
    /// Counting both made a 600 MiB member of a `.tar.gz` fail a 1 GiB cap that the same member
    /// passes in a `.tar` or a `.zip`.
    private func gunzip(_ bytes: [UInt8], display: String, member: String, keep: Int) throws -> [UInt8] {
        let sink = MemberSink(keep: keep, budget: budget, archive: display, member: member, compressedSize: bytes.count, budgeted: false)
        do {
            let decoder = try GzipDecoder(maxOutput: keep.adding(1) ?? Int.max)
            try decoder.decompress(bytes) { chunk in try sink.append(chunk) }
            try decoder.finish()
        } catch let error as ReleaseError {
            throw error
        } catch {
            if sink.size >= keep {
                throw ReleaseError.bomb(archive: display, member: member, reason: "expands past \(keep) bytes")
            }
            throw ReleaseError.malformed(archive: display, member: member, reason: "gzip data is damaged: \(error)")
        }
        return sink.bytes
    }

    // MARK: - Formats

    /// Reads a ZIP archive member by member from its central directory (see ``ZipReader``).
    func readZip(_ bytes: some ByteSource, display: String, prefix: String, depth: Int) throws {
        let reader = ZipReader(source: bytes, archiveName: display)
        let (entries, anomalies, directoryStart) = try reader.entries()
        for anomaly in anomalies {
            diagnostics.append(Diagnostic(kind: "archive-ambiguous", path: display, message: anomaly))
        }
        for entry in entries {
            let raw = entry.name
            try budget.countEntry(archive: display, member: raw)
            let name: String
            switch MemberPath.normalize(raw) {
            case .success(let n): name = n
            case .failure(let refusal):
                if entry.kind == .directory, raw == "/" || raw == "./" { continue }
                throw ReleaseError.unsafePath(archive: display, member: raw, reason: refusal.reason)
            }
            switch entry.kind {
            case .directory:
                continue
            case .symlink:
                guard entry.size <= 4096 else {
                    throw ReleaseError.malformed(archive: display, member: raw, reason: "symbolic link target longer than 4096 bytes")
                }
                let sink = MemberSink(keep: 4096, budget: budget, archive: display, member: raw, compressedSize: nil)
                try reader.read(entry, cdStart: directoryStart, into: sink)
                let text = String(decoding: sink.bytes, as: UTF8.self)
                guard MemberPath.resolveLink(name, target: text) != nil else {
                    throw ReleaseError.linkOutOfTree(archive: display, member: raw, target: text)
                }
                try emitLink(prefix: prefix, name: name, target: text, depth: depth, archive: display)
            case .file:
                let sink = MemberSink(
                    keep: limits.maxMemberBytes, budget: budget, archive: display, member: raw,
                    compressedSize: entry.method == 0 ? nil : entry.compressedSize)
                try reader.read(entry, cdStart: directoryStart, into: sink)
                try emitFile(path: prefix + name, sink: sink, depth: depth)
            }
        }
    }

    func readTar(_ bytes: [UInt8], display: String, prefix: String, depth: Int) throws {
        let anomalies = try TarReader(bytes: bytes, archiveName: display).forEach { entry in
            try budget.countEntry(archive: display, member: entry.name)
            let name: String
            switch MemberPath.normalize(entry.name) {
            case .success(let n): name = n
            case .failure(let refusal):
                if case .directory = entry.kind, entry.name == "./" || entry.name == "." { return }
                throw ReleaseError.unsafePath(archive: display, member: entry.name, reason: refusal.reason)
            }
            switch entry.kind {
            case .directory:
                return
            case .symlink:
                guard MemberPath.resolveLink(name, target: entry.linkTarget) != nil else {
                    throw ReleaseError.linkOutOfTree(archive: display, member: entry.name, target: entry.linkTarget)
                }
                try emitLink(prefix: prefix, name: name, target: entry.linkTarget, depth: depth, archive: display)
            case .hardlink:
                // A hard link names another member by its path from the archive root.
                guard case .success = MemberPath.normalize(entry.linkTarget) else {
                    throw ReleaseError.linkOutOfTree(archive: display, member: entry.name, target: entry.linkTarget)
                }
                try emitLink(prefix: prefix, name: name, target: entry.linkTarget, depth: depth, symbolic: false, archive: display)
            case .file:
                let sink = MemberSink(keep: limits.maxMemberBytes, budget: budget, archive: display, member: entry.name, compressedSize: nil)
                try sink.append(bytes[entry.data])
                try emitFile(path: prefix + name, sink: sink, depth: depth)
            case .other(let type):
                diagnostics.append(
                    Diagnostic(kind: "special-file", path: prefix + name, message: "tar entry of type '\(Character(UnicodeScalar(type)))' (device, FIFO…) not read"))
            }
        }
        for anomaly in anomalies {
            diagnostics.append(Diagnostic(kind: "archive-ambiguous", path: display, offset: anomaly.offset, message: anomaly.message))
        }
    }

    func readAsar(_ bytes: [UInt8], display: String, prefix: String, depth: Int) throws {
        try AsarReader(bytes: bytes, archiveName: display).forEach { entry in
            try budget.countEntry(archive: display, member: entry.name)
            let name: String
            switch MemberPath.normalize(entry.name) {
            case .success(let n): name = n
            case .failure(let refusal):
                throw ReleaseError.unsafePath(archive: display, member: entry.name, reason: refusal.reason)
            }
            switch entry.kind {
            case .file(let range):
                let sink = MemberSink(keep: limits.maxMemberBytes, budget: budget, archive: display, member: entry.name, compressedSize: nil)
                try sink.append(bytes[range])
                try emitFile(path: prefix + name, sink: sink, depth: depth)
            case .symlink(let target):
                guard MemberPath.resolveLink(name, target: target) != nil else {
                    throw ReleaseError.linkOutOfTree(archive: display, member: entry.name, target: target)
                }
                try emitLink(prefix: prefix, name: name, target: target, depth: depth, archive: display)
            case .unpacked:
                diagnostics.append(
                    Diagnostic(kind: "asar-unpacked", path: prefix + name, message: "stored outside the archive in '\(display).unpacked/'; compare that folder too"))
            }
        }
    }
}
