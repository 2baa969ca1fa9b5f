import Foundation

/// Where a dylib search candidate lies, as far as a scan of the files can tell.
enum DylibLocation: String {
    /// Inside the application bundle (or the executable's own folder tree for a loose binary).
    case bundle
    /// Inside the bundle's folder tree on the scanning host but outside the bundle itself.
    case outsideBundle = "outside-bundle"
    /// An absolute folder on the target Mac that any user can write to (`/tmp`, `/Users/…`).
    case userWritable = "user-writable"
    /// Apple's system locations (`/System`, `/usr/lib`): the dyld shared cache, not checkable here.
    case system
    /// Any other absolute folder (`/Library/…`, `/opt/…`, `/usr/local/…`).
    case otherAbsolute = "other-absolute"

    /// Classifies a resolved candidate path.
    static func classify(_ path: String, bundleRoot: String, resolvedFromBundle: Bool) -> DylibLocation {
        if resolvedFromBundle {
            return path == bundleRoot || path.hasPrefix(bundleRoot + "/") ? .bundle : .outsideBundle
        }
        if path.hasPrefix("/System/") || path.hasPrefix("/usr/lib/") { return .system }
        let writable = ["/tmp/", "/private/tmp/", "/var/tmp/", "/private/var/tmp/", "/Users/", "~/", "/Volumes/"]
        if writable.contains(where: { path.hasPrefix($0) }) { return .userWritable }
        return .otherAbsolute
    }
}

/// Path helpers for resolving `@rpath`, `@executable_path` and `@loader_path` against a scanned tree.
enum DylibPaths {
    /// An absolute, normalised (`.`/`..` removed) path on the scanning host.
    static func absolute(_ path: String) -> String {
        URL(fileURLWithPath: path).standardizedFileURL.path
    }

    static func folder(of path: String) -> String {
        (path as NSString).deletingLastPathComponent
    }

    /// The outermost `.app` bundle containing `path` (helper apps nested in an app's `Frameworks` load
    /// the outer app's frameworks: the outer bundle is the trust boundary), else the executable's folder.
    static func bundleRoot(containing path: String) -> String {
        let components = path.split(separator: "/", omittingEmptySubsequences: false)
        if let index = components.firstIndex(where: { $0.hasSuffix(".app") }) {
            return components[...index].joined(separator: "/")
        }
        return folder(of: path)
    }

    /// `absolute` written the way the user wrote `original`: relative to the current folder when
    /// `original` was relative, so findings about neighbours read like the scanner's own paths.
    static func display(_ absolute: String, like original: String) -> String {
        guard !original.hasPrefix("/") else { return absolute }
        let cwd = FileManager.default.currentDirectoryPath
        return absolute.hasPrefix(cwd + "/") ? String(absolute.dropFirst(cwd.count + 1)) : absolute
    }

    /// Whether `path` sits inside an application bundle's `Contents` folder.
    static func isInBundle(_ path: String) -> Bool { path.contains(".app/Contents/") }

    /// Expands `@executable_path` and `@loader_path` at the start of `path`; `nil` for `@rpath` or
    /// other tokens (which need the rpath list).
    static func expand(_ path: String, executableFolder: String, loaderFolder: String) -> (path: String, fromBundle: Bool)? {
        if path.hasPrefix("@executable_path") {
            return (absolute(executableFolder + path.dropFirst("@executable_path".count)), true)
        }
        if path.hasPrefix("@loader_path") {
            return (absolute(loaderFolder + path.dropFirst("@loader_path".count)), true)
        }
        if path.hasPrefix("@") { return nil }
        return (path, false)
    }
}
