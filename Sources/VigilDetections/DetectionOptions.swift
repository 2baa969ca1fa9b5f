import VigilCore

/// Settings of the structural checks. `DetectionOptions()` gives the defaults `vigil scan` uses.
public struct DetectionOptions: Sendable {
    /// A user-supplied HijackLibs data set; `nil` disables the known-pair check (Vigil bundles none: GPL).
    public var hijackLibs: HijackLibsDatabase?
    /// KnownDLLs names (lower case): never side-loaded by name.
    public var knownDLLs: Set<String>
    /// System32 library names that applications do not normally ship.
    public var systemLibraries: Set<String>
    /// Libraries Microsoft allows applications to deploy beside themselves.
    public var appLocalRedistributables: Set<String>
    /// Whether the Mach-O folder checks may look at the file system to resolve `@rpath`,
    /// `@executable_path` and `@loader_path` dependencies (existence checks and reading the signature
    /// of a bundled dylib the scan has not analysed yet). Files are only read, never executed.
    public var resolveDylibsOnDisk: Bool
    /// The largest dylib the Mach-O folder check reads from disk on its own.
    public var maxDylibReadSize: Int
    /// A folder holding at least this many Windows system library names is treated as a system folder
    /// (a `System32` copy, a Wine prefix), not an application folder.
    public var systemFolderThreshold: Int

    /// The defaults plus the HijackLibs data set at `hijackLibsPath` (its `yml/` folder or a JSON array),
    /// with one diagnostic per entry that could not be read.
    public static func loading(hijackLibsPath: String) throws(HijackLibsDatabase.LoadError) -> (options: DetectionOptions, diagnostics: [Diagnostic]) {
        let load = try HijackLibsDatabase.load(path: hijackLibsPath)
        return (DetectionOptions(hijackLibs: load.database), load.diagnostics)
    }

    public init(
        hijackLibs: HijackLibsDatabase? = nil,
        knownDLLs: Set<String> = WindowsLibraries.knownDLLs,
        systemLibraries: Set<String> = WindowsLibraries.systemLibraries,
        appLocalRedistributables: Set<String> = WindowsLibraries.appLocalRedistributables,
        resolveDylibsOnDisk: Bool = true,
        maxDylibReadSize: Int = 256 << 20,
        systemFolderThreshold: Int = 8
    ) {
        self.hijackLibs = hijackLibs
        self.knownDLLs = knownDLLs
        self.systemLibraries = systemLibraries
        self.appLocalRedistributables = appLocalRedistributables
        self.resolveDylibsOnDisk = resolveDylibsOnDisk
        self.maxDylibReadSize = maxDylibReadSize
        self.systemFolderThreshold = systemFolderThreshold
    }
}
