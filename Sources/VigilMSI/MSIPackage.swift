#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A row of the Media table: which cabinet holds the files up to `lastSequence`.
public struct MSIMedia: Sendable, Hashable, Codable {
    public var diskId: Int
    /// Files whose `Sequence` is above the previous disk's and at most this belong to this disk.
    public var lastSequence: Int
    /// The cabinet's name without the leading `#` (`nil` when the files are stored uncompressed
    /// outside the package).
    public var cabinet: String?
    /// `true` when the Cabinet column starts with `#`: the cabinet is a stream of the .msi.
    public var embedded: Bool
}

/// A file the package installs, from the File table joined with Component and Directory.
public struct MSIFile: Sendable, Hashable, Codable {
    /// The File table key: the member name inside the cabinet.
    public var key: String
    public var component: String?
    /// The Directory table key the component installs into.
    public var directory: String?
    /// The folder the file installs to, rooted at a well-known folder: `[ProgramFiles]/3CX Desktop App`.
    public var folder: String
    /// The long file name (`FileName` after `|`, or the whole value when it has none).
    public var longName: String
    /// The 8.3 name when `FileName` has the `short|long` form.
    public var shortName: String?
    /// The size the File table declares.
    public var size: Int?
    /// The version the File table declares (or the key of a companion file).
    public var version: String?
    public var language: String?
    public var attributes: Int?
    public var sequence: Int?
    /// The cabinet that holds the file (Media table), `nil` when none does.
    public var cabinet: String?
    /// Whether that cabinet is a stream of the .msi (`true`) or a file beside it (`false`).
    public var cabinetEmbedded: Bool?

    /// `folder/longName`: `[ProgramFiles]/3CX Desktop App/ffmpeg.dll`.
    public var installPath: String { folder + "/" + longName }
}

/// An .msi as it installs: every file of the File table with its install path, key, cabinet, size
/// and version; the Media table's cabinets; and the non-fatal problems met on the way.
///
/// ```swift
/// let msi = try MSIPackage(path: "3CXDesktopApp-18.12.416.msi")
/// for f in msi.files { print(f.installPath, f.key, f.cabinet ?? "-", f.size ?? 0) }
/// try msi.extractStream(named: "cab1.cab", to: "/tmp/x/cab1.cab", maxBytes: 1 << 30)
/// ```
public struct MSIPackage: Sendable {
    /// The .msi's path when opened from a file (external cabinets are looked up beside it).
    public let path: String?
    public let database: MSIDatabase
    public let files: [MSIFile]
    public let media: [MSIMedia]
    /// Everything that was inconsistent but did not stop the reading: database catalogue, tables,
    /// Directory cycles, files without a component, directory or disk.
    public let problems: [MSIProblem]

    /// Opens the .msi at `path` and resolves its files.
    public init(path: String, limits: MSILimits = .default) throws(MSIError) {
        try self.init(database: MSIDatabase(path: path, limits: limits), path: path)
    }

    /// Reads an .msi held in memory (tests, fuzzing).
    public init(bytes: [UInt8], limits: MSILimits = .default) throws(MSIError) {
        try self.init(database: MSIDatabase(bytes: bytes, limits: limits), path: nil)
    }

    /// Resolves the files of an opened database.
    public init(database: MSIDatabase, path: String?) throws(MSIError) {
        self.database = database
        self.path = path
        var problems = database.problems

        // Directory table -> folders.
        var dirs: [String: (parent: String?, defaultDir: String)] = [:]
        if let t = try database.table("Directory", problems: &problems) {
            for (i, row) in t.rows.enumerated() {
                guard let key = t.value(row, "Directory").string else {
                    problems.append(MSIProblem(location: "Directory row \(i + 1)", message: "no key, skipped"))
                    continue
                }
                dirs[key] = (t.value(row, "Directory_Parent").string, t.value(row, "DefaultDir").string ?? "")
            }
        }
        var resolver = DirectoryResolver(rows: dirs, maxDepth: database.limits.maxDirectoryDepth)

        // Component table -> directory key.
        var componentDir: [String: String] = [:]
        if let t = try database.table("Component", problems: &problems) {
            for row in t.rows {
                if let c = t.value(row, "Component").string, let d = t.value(row, "Directory_").string { componentDir[c] = d }
            }
        }

        // Media table, in sequence order.
        var media: [MSIMedia] = []
        if let t = try database.table("Media", problems: &problems) {
            for (i, row) in t.rows.enumerated() {
                guard let disk = t.value(row, "DiskId").int, let last = t.value(row, "LastSequence").int else {
                    problems.append(MSIProblem(location: "Media row \(i + 1)", message: "no DiskId or LastSequence, skipped"))
                    continue
                }
                var cab = t.value(row, "Cabinet").string
                let embedded = cab?.hasPrefix("#") ?? false
                if embedded { cab = String(cab!.dropFirst()) }
                if cab?.isEmpty == true { cab = nil }
                media.append(MSIMedia(diskId: disk, lastSequence: last, cabinet: cab, embedded: embedded))
            }
        }
        media.sort { ($0.lastSequence, $0.diskId) < ($1.lastSequence, $1.diskId) }
        for m in media where m.embedded {
            if let c = m.cabinet, database.embeddedStreams[c] == nil {
                problems.append(MSIProblem(location: "Media disk \(m.diskId)", message: "embedded cabinet '\(c)' has no stream in the package"))
            }
        }

        // File table.
        var files: [MSIFile] = []
        if let t = try database.table("File", problems: &problems) {
            files.reserveCapacity(t.rows.count)
            for (i, row) in t.rows.enumerated() {
                guard let key = t.value(row, "File").string else {
                    problems.append(MSIProblem(location: "File row \(i + 1)", message: "no key, skipped"))
                    continue
                }
                let component = t.value(row, "Component_").string
                let directory = component.flatMap { componentDir[$0] }
                let folder: String
                if let directory {
                    let r = resolver.resolve(directory)
                    folder = r.folder
                    if let p = r.problem { problems.append(MSIProblem(location: "File \(key)", message: p)) }
                } else {
                    folder = "[?]"
                    problems.append(MSIProblem(location: "File \(key)",
                                               message: "component '\(component ?? "")' is missing or has no directory; folder unknown"))
                }
                let names = (t.value(row, "FileName").string ?? key).split(separator: "|", maxSplits: 1, omittingEmptySubsequences: false)
                let longRaw = String(names.count == 2 ? names[1] : names[0])
                let (longName, nameProblem) = DirectoryResolver.safeComponent(longRaw)
                if let nameProblem { problems.append(MSIProblem(location: "File \(key)", message: nameProblem)) }
                let sequence = t.value(row, "Sequence").int
                var file = MSIFile(key: key, component: component, directory: directory, folder: folder, longName: longName,
                                   shortName: names.count == 2 ? String(names[0]) : nil, size: t.value(row, "FileSize").int,
                                   version: t.value(row, "Version").string, language: t.value(row, "Language").string,
                                   attributes: t.value(row, "Attributes").int, sequence: sequence)
                if let sequence, let m = media.first(where: { $0.lastSequence >= sequence }) {
                    file.cabinet = m.cabinet
                    file.cabinetEmbedded = m.cabinet == nil ? nil : m.embedded
                } else if !media.isEmpty {
                    problems.append(MSIProblem(location: "File \(key)", message: "sequence \(sequence.map(String.init) ?? "null") is on no disk of the Media table"))
                }
                files.append(file)
            }
        }
        problems += resolver.cycleProblems
        self.files = files
        self.media = media
        self.problems = problems
    }

    /// Names of cabinets that are files beside the .msi rather than streams inside it.
    public var externalCabinetNames: [String] {
        media.filter { !$0.embedded }.compactMap(\.cabinet)
    }

    /// Names of cabinets stored as streams of the .msi.
    public var embeddedCabinetNames: [String] {
        media.filter(\.embedded).compactMap(\.cabinet)
    }

    /// Where an external cabinet would be: the folder of the .msi plus `name` (`nil` when the
    /// package was read from memory, or the name would leave that folder).
    public func externalCabinetPath(_ name: String) -> String? {
        guard let path, !name.isEmpty, !name.contains("/"), !name.contains("\\"), name != "..", name != "." else { return nil }
        let dir = path.split(separator: "/", omittingEmptySubsequences: false).dropLast().joined(separator: "/")
        return (dir.isEmpty ? (path.hasPrefix("/") ? "" : ".") : dir) + "/" + name
    }

    /// The files held in cabinet `name`, by File key (the cabinet member name).
    public func files(inCabinet name: String) -> [String: MSIFile] {
        var out: [String: MSIFile] = [:]
        for f in files where f.cabinet == name { out[f.key] = f }
        return out
    }

    /// Writes the embedded stream `name` (a cabinet from ``embeddedCabinetNames``, or any name of
    /// ``MSIDatabase/embeddedStreams``) to a new file at `destination`, refusing streams larger than
    /// `maxBytes`. The file is created with mode 0600 and must not exist yet. Returns the bytes written.
    @discardableResult
    public func extractStream(named name: String, to destination: String, maxBytes: Int) throws(MSIError) -> Int {
        guard let entry = database.embeddedStreams[name] else { throw .missingStream(name) }
        guard entry.size <= UInt64(maxBytes) else {
            throw .limit("stream '\(name)' declares \(entry.size) bytes (cap \(maxBytes))")
        }
        let fd = open(destination, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard fd >= 0 else { throw .io("cannot create \(destination): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var written = 0
        do {
            try database.compoundFile.forEachChunk(entry, maxBytes: maxBytes) { (chunk: [UInt8]) throws(CFBError) in
                var done = 0
                while done < chunk.count {
                    let n = chunk.withUnsafeBytes { write(fd, $0.baseAddress! + done, chunk.count - done) }
                    if n < 0 {
                        if errno == EINTR { continue }
                        throw CFBError.io("write to \(destination) failed: \(String(cString: strerror(errno)))")
                    }
                    done += n
                }
                written += chunk.count
            }
        } catch {
            unlink(destination)
            throw .compoundFile(error)
        }
        return written
    }
}

/// Resolves Directory table keys to folders rooted at well-known folders, caching results and
/// recording cycles in the parent chain.
struct DirectoryResolver {
    /// Windows Installer's folder properties, rendered `[Name]` without the `Folder` suffix.
    static let wellKnown: Set<String> = [
        "ProgramFilesFolder", "ProgramFiles64Folder", "ProgramMenuFolder", "AppDataFolder", "LocalAppDataFolder",
        "SystemFolder", "System64Folder", "System16Folder", "CommonFilesFolder", "CommonFiles64Folder",
        "CommonAppDataFolder", "WindowsFolder", "WindowsVolume", "DesktopFolder", "StartMenuFolder", "StartupFolder",
        "TempFolder", "FontsFolder", "PersonalFolder", "FavoritesFolder", "SendToFolder", "TemplateFolder",
        "NetHoodFolder", "PrintHoodFolder", "RecentFolder", "AdminToolsFolder", "MyPicturesFolder",
    ]

    let rows: [String: (parent: String?, defaultDir: String)]
    let maxDepth: Int
    var cache: [String: (folder: String, problem: String?)] = [:]
    var cycleProblems: [MSIProblem] = []
    var reportedCycles: Set<String> = []

    init(rows: [String: (parent: String?, defaultDir: String)], maxDepth: Int) {
        self.rows = rows
        self.maxDepth = maxDepth
    }

    static func rootName(_ key: String) -> String {
        if wellKnown.contains(key), key.hasSuffix("Folder") { return "[" + key.dropLast(6) + "]" }
        return "[" + key + "]"
    }

    /// The target name of a `DefaultDir` value: `target:source` keeps `target`, `short|long` keeps
    /// `long`; `.` (and an empty name) add no folder.
    static func targetName(_ defaultDir: String) -> String? {
        let target = defaultDir.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
        let parts = target.split(separator: "|", maxSplits: 1, omittingEmptySubsequences: false)
        let name = String(parts.count == 2 ? parts[1] : parts[0])
        return name.isEmpty || name == "." ? nil : name
    }

    /// A path component that cannot climb or split: `..`, `/` and `\` are replaced by `_`.
    static func safeComponent(_ name: String) -> (String, String?) {
        if name == ".." || name == "." || name.isEmpty {
            return ("_", "name '\(name)' is not a file or folder name; shown as '_'")
        }
        if name.contains("/") || name.contains("\\") {
            return (name.replacingSlashes(), "name '\(name)' contains a path separator; shown with '_'")
        }
        return (name, nil)
    }

    /// The folder of Directory key `key`.
    mutating func resolve(_ key: String) -> (folder: String, problem: String?) {
        if let hit = cache[key] { return hit }
        var components: [String] = []
        var visited: Set<String> = []
        var current = key
        var root: String
        var problem: String?
        while true {
            if Self.wellKnown.contains(current) { root = Self.rootName(current); break }
            guard visited.insert(current).inserted else {
                root = "[?cycle]"
                problem = "Directory parent chain of '\(key)' loops at '\(current)'"
                if reportedCycles.insert(current).inserted {
                    cycleProblems.append(MSIProblem(location: "Directory \(current)", message: "parent chain loops back to '\(current)'"))
                }
                break
            }
            guard visited.count <= maxDepth else {
                root = "[?deep]"
                problem = "Directory parent chain of '\(key)' is deeper than \(maxDepth)"
                break
            }
            guard let row = rows[current] else {
                root = Self.rootName(current)
                if current != "TARGETDIR" { problem = "Directory '\(current)' is not in the Directory table" }
                break
            }
            guard let parent = row.parent, parent != current, !parent.isEmpty else {
                root = Self.rootName(current)
                break
            }
            if let name = Self.targetName(row.defaultDir) {
                let (safe, p) = Self.safeComponent(name)
                if let p { problem = "Directory '\(current)': \(p)" }
                components.append(safe)
            }
            current = parent
        }
        let folder = ([root] + components.reversed()).joined(separator: "/")
        cache[key] = (folder, problem)
        return (folder, problem)
    }
}

extension String {
    func replacingSlashes() -> String {
        String(map { $0 == "/" || $0 == "\\" ? "_" : $0 })
    }
}
