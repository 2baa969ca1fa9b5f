import Foundation

/// Containers built at test time by `scripts/containers/make-containers.sh` (gcab, 7z, bsdtar…)
/// and `scripts/containers/make-hostile.py`.
public enum ContainerFixtures {
    /// Packs `source` (a folder) as `name.FORMAT` into `out` for each format whose tool is
    /// installed; returns the format → file map (a missing tool leaves its format out).
    public static func pack(_ source: URL, name: String, into out: URL, formats: [String] = []) throws -> [String: URL] {
        let script = TestSupport.repositoryRoot.appendingPathComponent("scripts/containers/make-containers.sh")
        let r = try TestSupport.run(URL(fileURLWithPath: "/bin/bash"), [script.path, source.path, out.path, name] + formats)
        guard r.status == 0 else {
            throw NSError(domain: "ContainerFixtures", code: Int(r.status), userInfo: [NSLocalizedDescriptionKey: r.stderr])
        }
        var made: [String: URL] = [:]
        for line in r.stdout.split(separator: "\n") {
            let url = URL(fileURLWithPath: String(line))
            let format = String(url.lastPathComponent.dropFirst(name.count + 1))
            made[format] = url
        }
        return made
    }

    /// Writes the hostile containers into `out` and returns them by file name.
    public static func hostile(into out: URL) throws -> [String: URL] {
        let script = TestSupport.repositoryRoot.appendingPathComponent("scripts/containers/make-hostile.py")
        let r = try TestSupport.run(URL(fileURLWithPath: "/usr/bin/env"), ["python3", script.path, out.path])
        guard r.status == 0 else {
            throw NSError(domain: "ContainerFixtures", code: Int(r.status), userInfo: [NSLocalizedDescriptionKey: r.stderr])
        }
        var made: [String: URL] = [:]
        for line in r.stdout.split(separator: "\n") {
            let url = URL(fileURLWithPath: String(line))
            made[url.lastPathComponent] = url
        }
        return made
    }

    /// The 3CX-like Windows application tree built by `scripts/fixtures/threecx.sh`, or `nil`.
    public static var threeCXWindowsTree: URL? {
        let url = TestSupport.repositoryRoot.appendingPathComponent("Fixtures/build/threecx/windows/3CX Desktop App")
        return FileManager.default.fileExists(atPath: url.appendingPathComponent("ffmpeg.dll").path) ? url : nil
    }

    /// Whether a tool is on PATH.
    public static func have(_ tool: String) -> Bool {
        (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":").contains {
            FileManager.default.isExecutableFile(atPath: "\($0)/\(tool)")
        }
    }
}
