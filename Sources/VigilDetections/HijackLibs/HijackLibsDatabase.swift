import Foundation
import VigilCore

/// One HijackLibs entry reduced to what Vigil's side-loading check uses.
public struct HijackLibsEntry: Sendable, Hashable {
    /// The DLL file name, lower case (e.g. `d3dcompiler_47.dll`).
    public var name: String
    public var vendor: String?
    /// `ExpectedLocations`, as written (`%SYSTEM32%`, `%PROGRAMFILES%\Zoom\bin`…).
    public var expectedLocations: [String]
    /// `ExpectedSignatureInformation[].Subject` of the DLL.
    public var expectedSigners: [String]
    /// The executables that load this DLL by name.
    public var vulnerableExecutables: [HijackLibsExecutable]
    /// Where the entry came from (`yml/...` path or `file#index`).
    public var source: String

    public init(
        name: String, vendor: String?, expectedLocations: [String], expectedSigners: [String],
        vulnerableExecutables: [HijackLibsExecutable], source: String
    ) {
        self.name = name
        self.vendor = vendor
        self.expectedLocations = expectedLocations
        self.expectedSigners = expectedSigners
        self.vulnerableExecutables = vulnerableExecutables
        self.source = source
    }
}

/// One `VulnerableExecutables[]` item.
public struct HijackLibsExecutable: Sendable, Hashable {
    /// The full path as written (`%SYSTEM32%\dwm.exe`).
    public var path: String
    /// The file name, lower case (`dwm.exe`).
    public var fileName: String
    /// `Sideloading`, `Phantom`, `Search Order` or `Environment Variable`.
    public var type: String

    public init(path: String, type: String) {
        self.path = path
        self.type = type
        self.fileName = HijackLibsDatabase.windowsFileName(path).lowercased()
    }
}

/// A user-supplied HijackLibs data set (github.com/wietze/HijackLibs, GPL-3.0: read at run time,
/// never bundled), from its `yml/` folder or from a JSON array of the same entries.
public struct HijackLibsDatabase: Sendable {
    public private(set) var entries: [HijackLibsEntry]
    /// Entries by lower-case DLL name (a name can appear under several vendors).
    public private(set) var byName: [String: [HijackLibsEntry]]

    public init(entries: [HijackLibsEntry]) {
        self.entries = entries
        byName = Dictionary(grouping: entries, by: \.name)
    }

    /// The result of loading: the database plus one diagnostic per entry or file that was rejected.
    public struct Load: Sendable {
        public var database: HijackLibsDatabase
        public var diagnostics: [Diagnostic]
    }

    /// Why a data set could not be loaded at all.
    public struct LoadError: Error, CustomStringConvertible, Sendable {
        public var path: String
        public var message: String
        public var description: String { "\(path): \(message)" }
    }

    /// Loads a HijackLibs JSON file (an array of entries with the upstream field names) or a folder of
    /// upstream `*.yml` files (searched recursively). Bad entries are reported, the rest are kept.
    public static func load(path: String) throws(LoadError) -> Load {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw LoadError(path: path, message: "no such file or folder")
        }
        if isDirectory.boolValue { return try loadYAMLFolder(path) }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw LoadError(path: path, message: "cannot read the file")
        }
        return try loadJSON(data, path: path)
    }

    /// Reads the JSON form: a top-level array of entry objects.
    public static func loadJSON(_ data: Data, path: String) throws(LoadError) -> Load {
        let root: Any
        do { root = try JSONSerialization.jsonObject(with: data) } catch {
            throw LoadError(path: path, message: "not JSON: \(error.localizedDescription)")
        }
        guard let array = root as? [Any] else { throw LoadError(path: path, message: "expected a JSON array of HijackLibs entries") }
        var entries: [HijackLibsEntry] = []
        var diagnostics: [Diagnostic] = []
        for (index, element) in array.enumerated() {
            let value = YAMLValue(json: element)
            let source = (element as? [String: Any])?["_path"] as? String ?? "\(path)#\(index)"
            switch entry(from: value, source: source) {
            case .success(let e): entries.append(e)
            case .failure(let reason):
                diagnostics.append(Diagnostic(kind: "rejected-row", path: path, line: index + 1, message: "entry \(index): \(reason.message)"))
            }
        }
        return Load(database: HijackLibsDatabase(entries: entries), diagnostics: diagnostics)
    }

    /// Reads every `*.yml`/`*.yaml` file below `folder`.
    static func loadYAMLFolder(_ folder: String) throws(LoadError) -> Load {
        guard let walker = FileManager.default.enumerator(atPath: folder) else {
            throw LoadError(path: folder, message: "cannot list the folder")
        }
        var files: [String] = []
        while let relative = walker.nextObject() as? String {
            if relative.hasSuffix(".yml") || relative.hasSuffix(".yaml") { files.append(relative) }
        }
        files.sort()
        var entries: [HijackLibsEntry] = []
        var diagnostics: [Diagnostic] = []
        for relative in files {
            let full = folder.hasSuffix("/") ? folder + relative : folder + "/" + relative
            guard let data = FileManager.default.contents(atPath: full) else {
                diagnostics.append(Diagnostic(kind: "unreadable", path: full, message: "cannot read the file"))
                continue
            }
            do {
                let value = try BlockYAML.parse(String(decoding: data, as: UTF8.self))
                switch entry(from: value, source: relative) {
                case .success(let e): entries.append(e)
                case .failure(let reason): diagnostics.append(Diagnostic(kind: "rejected-row", path: full, message: reason.message))
                }
            } catch {
                diagnostics.append(Diagnostic(kind: "malformed", path: full, line: error.line, message: error.message))
            }
        }
        if files.isEmpty { throw LoadError(path: folder, message: "no .yml files in the folder") }
        return Load(database: HijackLibsDatabase(entries: entries), diagnostics: diagnostics)
    }

    struct EntryError: Error { var message: String }

    /// Builds an entry from a decoded document; `Name` and `VulnerableExecutables[].Path` are required.
    static func entry(from value: YAMLValue, source: String) -> Result<HijackLibsEntry, EntryError> {
        guard case .mapping = value else { return .failure(EntryError(message: "an entry must be a mapping")) }
        guard let name = value["Name"]?.string, !name.isEmpty else { return .failure(EntryError(message: "missing Name")) }
        var executables: [HijackLibsExecutable] = []
        for (index, item) in (value["VulnerableExecutables"]?.items ?? []).enumerated() {
            guard let path = item["Path"]?.string, !path.isEmpty else {
                return .failure(EntryError(message: "\(name): VulnerableExecutables[\(index)] has no Path"))
            }
            executables.append(HijackLibsExecutable(path: path, type: item["Type"]?.string ?? "Sideloading"))
        }
        let signers = (value["ExpectedSignatureInformation"]?.items ?? []).compactMap { $0["Subject"]?.string }
        return .success(
            HijackLibsEntry(
                name: name.lowercased(),
                vendor: value["Vendor"]?.string,
                expectedLocations: (value["ExpectedLocations"]?.items ?? []).compactMap(\.string),
                expectedSigners: signers,
                vulnerableExecutables: executables,
                source: source))
    }

    /// The last component of a Windows path (`%SYSTEM32%\dwm.exe` → `dwm.exe`).
    static func windowsFileName(_ path: String) -> String {
        String(path.split(whereSeparator: { $0 == "\\" || $0 == "/" }).last ?? Substring(path))
    }

    /// Whether `folder` (a path on the scanning host, `/`-separated) matches one of `locations`
    /// (Windows paths with HijackLibs variables): compared by their trailing components, case-insensitive,
    /// with `%VERSION%` matching any one component and a leading variable matching any prefix.
    public static func folder(_ folder: String, matchesAnyOf locations: [String]) -> Bool {
        let components = folder.lowercased().split(separator: "/").map(String.init)
        return locations.contains { location in
            var pattern = location.lowercased().split(whereSeparator: { $0 == "\\" || $0 == "/" }).map(String.init)
            guard !pattern.isEmpty else { return false }
            // Leading root variables stand for a well-known folder: keep their usual trailing names.
            let roots: [String: [String]] = [
                "%system32%": ["windows", "system32"], "%syswow64%": ["windows", "syswow64"], "%windir%": ["windows"],
                "%programfiles%": [], "%programdata%": [], "%appdata%": [], "%localappdata%": [], "%userprofile%": [],
            ]
            if let root = roots[pattern[0]] { pattern = root + Array(pattern.dropFirst()) }
            if pattern.first?.hasSuffix(":") == true { pattern.removeFirst() }  // drive letter
            guard !pattern.isEmpty, pattern.count <= components.count else { return false }
            let tail = components.suffix(pattern.count)
            return zip(pattern, tail).allSatisfy { p, c in p == "%version%" || p == c }
        }
    }
}

extension YAMLValue {
    /// Converts a JSONSerialization value into the same tree the YAML reader produces.
    init(json: Any) {
        switch json {
        case let s as String: self = .scalar(s)
        case let n as NSNumber: self = .scalar(n.stringValue)
        case let a as [Any]: self = .sequence(a.map(YAMLValue.init(json:)))
        case let d as [String: Any]: self = .mapping(d.keys.sorted().map { ($0, YAMLValue(json: d[$0] as Any)) })
        default: self = .null
        }
    }
}
