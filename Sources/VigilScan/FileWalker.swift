import VigilContainers
import VigilBinary
import VigilCore

#if canImport(Glibc)
@preconcurrency import Glibc
#elseif canImport(Musl)
@preconcurrency import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A file the walker found, for a worker to read.
struct WorkItem: Sendable {
    var path: RawPath
    /// Whether `path` may itself be a symbolic link to follow (command-line paths, or any path
    /// with `--follow-symlinks`).
    var mayFollow: Bool
    /// Set for a member extracted from a container: `path` is then its file in the private
    /// temporary folder, which the worker deletes after scanning.
    var member: MemberWork? = nil
    /// Set for a container to walk (its own bytes are examined by the worker that read it):
    /// `path` is the container file.
    var expansion: ExpansionWork? = nil
}

/// A recognised container waiting to be walked.
struct ExpansionWork: Sendable {
    /// The container as named in reports (the path as given).
    var display: String
    /// Its absolute path (member chains for file name indicators and YARA externals).
    var absolute: String
    var format: any ContainerFormat
    /// The container's own bytes are searched with YARA after the walk (not when they were read):
    /// only its framing when the walk read every member, else all of it. See
    /// ``Worker/searchOwnBytes(_:_:_:)``.
    var ownBytesAfterWalk = false
}

/// How a container member is named in reports.
struct MemberWork: Sendable {
    /// The chain path as reported (`outer.zip!/dir/ffmpeg.dll`, outer as given).
    var display: String
    /// The chain with the outer file's absolute path (for file name indicators and YARA externals).
    var absolute: String
    /// The member's bytes when the walker kept it in memory (the item's path is then no file).
    var bytes: [UInt8]? = nil
    /// Its size in bytes.
    var size: Int64 = 0
    /// For a nested container the walker opened and read in full: its regular members (see
    /// ``ExtractedMember/membersReadInFull``); its own YARA search then leaves their data out.
    var membersReadInFull: [ReadMember]? = nil
}

/// Walks folders depth-first without following symbolic links unless asked to, with loop
/// protection by device and inode. Special files (FIFOs, sockets, devices) are reported, never opened.
struct FileWalker {
    var followSymlinks: Bool
    /// Receives each regular file (or link to one) to scan.
    var emit: (WorkItem) -> Void
    /// Receives each problem.
    var report: (Diagnostic) -> Void

    private(set) var directories: [String] = []
    private(set) var symlinksNotFollowed = 0
    private var visited: [DeviceInode: String] = [:]
    /// Byte offset of `d_name` inside `struct dirent`.
    private static let nameOffset = MemoryLayout<dirent>.offset(of: \dirent.d_name) ?? 19

    private struct DeviceInode: Hashable {
        var device: UInt64
        var inode: UInt64
    }

    init(followSymlinks: Bool, emit: @escaping (WorkItem) -> Void, report: @escaping (Diagnostic) -> Void) {
        self.followSymlinks = followSymlinks
        self.emit = emit
        self.report = report
    }

    /// Walks one path given by the user (a file or a folder); a symbolic link here is followed.
    mutating func walk(_ top: String) {
        let path = RawPath(top)
        var st = stat()
        guard stat(path.bytes, &st) == 0 else {
            let code = errno
            report(Diagnostic(kind: diagnosticKind(forErrno: code), path: top, message: "cannot access: \(errnoMessage(code))"))
            return
        }
        switch FileKind(mode: st.st_mode) {
        case .directory: walkTree(from: path)
        case .regular: emit(WorkItem(path: path, mayFollow: true))
        case let kind: reportSpecial(path.display, kind)
        }
    }

    private mutating func walkTree(from root: RawPath) {
        var stack = [(path: root, viaSymlink: false)]
        while let (dir, viaSymlink) = stack.popLast() {
            // Opened with openat in pieces when the path is longer than PATH_MAX (QuietFile.openLong);
            // entries are then examined relative to this folder's descriptor.
            let folderFD = QuietFile.openLong(dir.bytes, flags: O_RDONLY | O_DIRECTORY | O_NONBLOCK | O_CLOEXEC)
            let openError = errno
            guard folderFD >= 0, let handle = fdopendir(folderFD) else {
                let code = folderFD >= 0 ? errno : openError
                if folderFD >= 0 { close(folderFD) }
                report(Diagnostic(kind: diagnosticKind(forErrno: code), path: dir.display, message: "cannot open folder: \(errnoMessage(code))"))
                continue
            }
            defer { closedir(handle) }
            var st = stat()
            if fstat(dirfd(handle), &st) == 0 {
                let key = DeviceInode(device: UInt64(st.st_dev), inode: UInt64(st.st_ino))
                if let first = visited[key] {
                    report(Diagnostic(
                        kind: viaSymlink ? "symlink-loop" : "already-scanned", path: dir.display,
                        message: viaSymlink
                            ? "symbolic link leads to \(first), already scanned (a loop or a second link to it); not scanned again"
                            : "folder already scanned as \(first); not scanned again"))
                    continue
                }
                visited[key] = dir.display
            }
            directories.append(dir.display)
            var children: [(path: RawPath, viaSymlink: Bool)] = []
            while let entry = readdir(handle) {
                let type = entry.pointee.d_type
                // Read d_name in place up to its NUL. Never `withUnsafeBytes(of: &entry.pointee.d_name)`:
                // that copies the full 256-byte array and writes it back, past the end of short records.
                let namePointer = UnsafeRawPointer(entry) + Self.nameOffset
                let name = UnsafeRawBufferPointer(start: namePointer, count: strlen(namePointer.assumingMemoryBound(to: CChar.self)))
                if name.count == 1 && name[0] == UInt8(ascii: ".") { continue }
                if name.count == 2 && name[0] == UInt8(ascii: ".") && name[1] == UInt8(ascii: ".") { continue }
                let child = dir.appending(name)
                classify(child, name: namePointer.assumingMemoryBound(to: CChar.self), in: dirfd(handle), direntType: type, into: &children)
            }
            // Depth-first in name order: push in reverse so the first name is walked first.
            stack += children.sorted { $0.path.display > $1.path.display }
        }
    }

    /// Sorts one folder entry; `name` is the entry's name inside the folder open as `parent`.
    private mutating func classify(
        _ child: RawPath, name: UnsafePointer<CChar>, in parent: Int32, direntType: UInt8,
        into subfolders: inout [(path: RawPath, viaSymlink: Bool)]
    ) {
        var kind: FileKind
        switch Int32(direntType) {
        case 4: kind = .directory  // DT_DIR
        case 8: kind = .regular  // DT_REG
        case 10: kind = .symlink  // DT_LNK
        case 1: kind = .fifo  // DT_FIFO
        case 12: kind = .socket  // DT_SOCK
        case 2: kind = .characterDevice  // DT_CHR
        case 6: kind = .blockDevice  // DT_BLK
        default:
            var st = stat()
            guard fstatat(parent, name, &st, AT_SYMLINK_NOFOLLOW) == 0 else {
                let code = errno
                report(Diagnostic(kind: diagnosticKind(forErrno: code), path: child.display, message: "cannot stat: \(errnoMessage(code))"))
                return
            }
            kind = FileKind(mode: st.st_mode)
        }
        let isLink = kind == .symlink
        if isLink {
            guard followSymlinks else {
                symlinksNotFollowed += 1
                return
            }
            var st = stat()
            guard fstatat(parent, name, &st, 0) == 0 else {
                let code = errno
                let what = code == ELOOP ? "symlink-loop" : "broken-symlink"
                report(Diagnostic(kind: what, path: child.display, message: "symbolic link cannot be followed: \(errnoMessage(code))"))
                return
            }
            kind = FileKind(mode: st.st_mode)
            if kind == .regular {
                emit(WorkItem(path: child, mayFollow: true))
                return
            }
        }
        switch kind {
        case .directory: subfolders.append((child, isLink))
        case .regular: emit(WorkItem(path: child, mayFollow: followSymlinks))
        default: reportSpecial(child.display, kind)
        }
    }

    private func reportSpecial(_ path: String, _ kind: FileKind) {
        report(Diagnostic(kind: "special-file", path: path, message: "\(kind.label): not opened or scanned"))
    }
}
