import Foundation
import Synchronization

#if canImport(Glibc)
    @preconcurrency import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The one place Vigil writes container members: a folder created with mode 0700 under `$TMPDIR`
/// (else `/tmp`), named `vigil-containers-PID-XXXXXX`, removed when the process exits normally
/// (`atexit`), on SIGINT, SIGTERM and SIGHUP (the folder is removed, then the signal's default
/// action runs, so the exit status still says which signal), and when ``remove()`` is called.
/// A process killed outright (SIGKILL, a crash) cannot clean up: the next workspace created by any
/// Vigil process of the same user removes folders whose process is gone.
///
/// Every file is created with `O_CREAT | O_EXCL | O_NOFOLLOW` inside this folder, under a name
/// Vigil chooses, so a hostile member name can never place bytes anywhere else.
public final class PrivateWorkspace: Sendable {
    /// The folder's absolute path.
    public let path: String
    private let counter = Atomic<Int>(0)
    private let removed = Atomic<Bool>(false)

    private static let prefix = "vigil-containers-"
    private static let live = Mutex<[String]>([])
    private static let current = Mutex<PrivateWorkspace?>(nil)
    private static let handlers = Mutex<Bool>(false)

    private init(path: String) { self.path = path }

    /// The process's workspace, created on first use.
    public static func shared() throws -> PrivateWorkspace {
        try current.withLock { (current: inout PrivateWorkspace?) throws -> PrivateWorkspace in
            if let current, !current.removed.load(ordering: .acquiring) { return current }
            let made = try create()
            current = made
            return made
        }
    }

    /// A new private folder (most callers want ``shared()``).
    public static func create() throws -> PrivateWorkspace {
        let base = temporaryBase
        sweepStale(in: base)
        var template = Array("\(base)/\(prefix)\(getpid())-XXXXXX".utf8CString)
        let made = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        guard made != nil else {
            throw ContainerError(.memberUnreadable, "cannot create a private temporary folder in \(base): \(String(cString: strerror(errno)))")
        }
        let path = template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        chmod(path, 0o700)  // mkdtemp already uses 0700; be explicit against odd umasks
        live.withLock { $0.append(path) }
        installHandlers()
        return PrivateWorkspace(path: path)
    }

    /// `$TMPDIR` when it names an absolute folder, else `/tmp`.
    public static var temporaryBase: String {
        if let t = getenv("TMPDIR").map({ String(cString: $0) }), t.hasPrefix("/") {
            var s = t
            while s.count > 1, s.hasSuffix("/") { s.removeLast() }
            return s
        }
        return "/tmp"
    }

    /// A fresh, unused name inside the folder (`m17`, or `m17-hint` to keep an extension visible
    /// to tools that look at names).
    public func newName() -> String {
        let n = counter.add(1, ordering: .relaxed).newValue
        return "m\(n)"
    }

    /// Creates a new empty file for writing (`O_EXCL`, mode 0600) and returns its descriptor and path.
    public func createFile() throws -> (fd: Int32, path: String) {
        let p = path + "/" + newName()
        let fd = open(p, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            throw ContainerError(.memberUnreadable, "cannot create a temporary file: \(String(cString: strerror(errno)))")
        }
        return (fd, p)
    }

    /// Creates a new empty sub-folder (mode 0700) and returns its path.
    public func createFolder() throws -> String {
        let p = path + "/" + newName()
        guard mkdir(p, 0o700) == 0 else {
            throw ContainerError(.memberUnreadable, "cannot create a temporary folder: \(String(cString: strerror(errno)))")
        }
        return p
    }

    /// Removes the folder and everything in it. Later use creates nothing (calls fail).
    public func remove() {
        guard !removed.exchange(true, ordering: .acquiringAndReleasing) else { return }
        Self.removeTree(path)
        Self.live.withLock { $0.removeAll { $0 == path } }
    }

    /// Removes every live workspace (exit and signal paths).
    static func removeAll() {
        let paths = live.withLock { l -> [String] in
            let copy = l
            l.removeAll()
            return copy
        }
        for p in paths { removeTree(p) }
    }

    /// Removes `path` recursively without following any symbolic link.
    ///
    /// The folder is renamed first, so a worker still extracting (a signal arrived mid-member) can no
    /// longer create files under the old path while the tree is removed; a file created in between
    /// through an open folder descriptor is caught by removing again.
    public static func removeTree(_ path: String) {
        let doomed = path + ".removing"
        let target = rename(path, doomed) == 0 ? doomed : path
        for _ in 0..<5 {
            let fd = open(target, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
            if fd >= 0 {
                removeContents(of: fd)
                close(fd)
            }
            if rmdir(target) == 0 || errno == ENOENT || errno == ENOTDIR { return }
        }
    }

    private static func removeContents(of dirFD: Int32) {
        let dupFD = dup(dirFD)
        guard dupFD >= 0, let dir = fdopendir(dupFD) else { return }
        defer { closedir(dir) }
        var names: [(String, Bool)] = []
        while let entry = readdir(dir) {
            let name = entryName(entry)
            if name == "." || name == ".." { continue }
            names.append((name, entry.pointee.d_type == UInt8(DT_DIR)))
        }
        for (name, isDir) in names {
            if isDir || unlinkat(dirFD, name, 0) != 0 {
                let sub = openat(dirFD, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
                if sub >= 0 {
                    removeContents(of: sub)
                    close(sub)
                }
                unlinkat(dirFD, name, AT_REMOVEDIR)
            }
        }
    }

    /// Byte offset of `d_name` inside `struct dirent`.
    private static let nameOffset = MemoryLayout<dirent>.offset(of: \dirent.d_name) ?? 19

    /// A directory entry's name, read in place up to its NUL: copying the whole `d_name` array
    /// would read past the end of a short record (AddressSanitizer caught it here, under the fuzzer).
    private static func entryName(_ entry: UnsafeMutablePointer<dirent>) -> String {
        String(cString: (UnsafeRawPointer(entry) + nameOffset).assumingMemoryBound(to: CChar.self))
    }

    /// Removes workspaces of this user whose process no longer exists (left by SIGKILL or a crash).
    static func sweepStale(in base: String) {
        guard let dir = opendir(base) else { return }
        var stale: [String] = []
        while let entry = readdir(dir) {
            let name = entryName(entry)
            guard name.hasPrefix(prefix) else { continue }
            let rest = name.dropFirst(prefix.count)
            guard let dash = rest.firstIndex(of: "-"), let pid = Int32(rest[..<dash]), pid > 0, pid != getpid() else { continue }
            if kill(pid, 0) == 0 || errno != ESRCH { continue }
            var st = stat()
            let full = base + "/" + name
            guard lstat(full, &st) == 0, st.st_mode & S_IFMT == S_IFDIR, st.st_uid == getuid() else { continue }
            stale.append(full)
        }
        closedir(dir)
        for p in stale { removeTree(p) }
    }

    /// Installs, once, `atexit` removal and a SIGINT/SIGTERM/SIGHUP handler. The handler itself
    /// only writes the signal number to a pipe (async-signal-safe); a thread reading the pipe
    /// removes the folders, puts back the signal's previous action and sends the signal again, so
    /// the process ends as it would have (or a handler installed before runs).
    private static func installHandlers() {
        handlers.withLock { installed in
            guard !installed else { return }
            installed = true
            atexit { PrivateWorkspace.removeAll() }
            var fds: [Int32] = [-1, -1]
            guard pipe(&fds) == 0 else { return }
            _ = fcntl(fds[1], F_SETFL, fcntl(fds[1], F_GETFL) | O_NONBLOCK)
            _ = fcntl(fds[0], F_SETFD, FD_CLOEXEC)
            _ = fcntl(fds[1], F_SETFD, FD_CLOEXEC)
            signalPipe = fds[1]
            let readEnd = fds[0]
            var previous: [Int32: sigaction] = [:]
            for sig in [SIGINT, SIGTERM, SIGHUP] {
                var action = sigaction()
                #if canImport(Glibc)
                    action.__sigaction_handler.sa_handler = { signo in
                        var byte = UInt8(truncatingIfNeeded: signo)
                        _ = write(PrivateWorkspace.signalPipe, &byte, 1)
                    }
                #else
                    action.__sigaction_u.__sa_handler = { signo in
                        var byte = UInt8(truncatingIfNeeded: signo)
                        _ = write(PrivateWorkspace.signalPipe, &byte, 1)
                    }
                #endif
                sigemptyset(&action.sa_mask)
                action.sa_flags = SA_RESTART
                var old = sigaction()
                if sigaction(sig, &action, &old) == 0 { previous[sig] = old }
            }
            let restore = previous
            let thread = Thread {
                // A process started with these signals blocked (some launchers do) would never see
                // them: this thread takes them.
                var set = sigset_t()
                sigemptyset(&set)
                for sig in [SIGINT, SIGTERM, SIGHUP] { sigaddset(&set, sig) }
                pthread_sigmask(SIG_UNBLOCK, &set, nil)
                var byte: UInt8 = 0
                while true {
                    let n = read(readEnd, &byte, 1)
                    if n < 0 && errno == EINTR { continue }
                    guard n == 1 else { return }
                    let sig = Int32(byte)
                    PrivateWorkspace.removeAll()
                    if var old = restore[sig] { sigaction(sig, &old, nil) } else { signal(sig, SIG_DFL) }
                    kill(getpid(), sig)
                }
            }
            thread.name = "vigil-workspace-signals"
            thread.start()
        }
    }

    /// The write end of the signal pipe (set once, before any handler can run).
    nonisolated(unsafe) static var signalPipe: Int32 = -1
}
