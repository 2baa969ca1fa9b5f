import Foundation
import Testing
import VigilCore
import _VigilTestSupport

#if canImport(Glibc)
import Glibc
#endif

/// Issue 16 item 4: `scan` counts Mach-O, PNG and ICO parse problems as it counts PE ones, and walks
/// below PATH_MAX.
@Suite("scan: image problems and deep trees (end to end)", .serialized, .enabled(if: TestSupport.vigilExecutable != nil, "the vigil executable is not built"))
struct DeepTreeAndImageProblemsTests {
    struct Document: Decodable {
        struct Statistics: Decodable {
            var filesScanned: Int
            var diagnosticsByKind: [String: Int]
        }
        var diagnostics: [Diagnostic]
        var statistics: Statistics
    }

    static func scan(_ path: String) throws -> (TestSupport.RunResult, Document) {
        let r = try TestSupport.runVigil(["scan", "--no-default-indicators", "--format", "json", path],
                                         environment: ["VIGIL_STORE": "/nonexistent/vigil-store-\(UUID().uuidString)"])
        return (r, try JSONDecoder().decode(Document.self, from: Data(r.stdout.utf8)))
    }

    /// Truncated files of each image format and a truncated Mach-O: every one is a counted problem.
    static let truncated: [(String, [UInt8])] = [
        ("cut.png", [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52, 0, 0]),
        ("cut.ico", [0, 0, 1, 0, 3, 0, 16, 16, 0, 0, 1, 0, 32, 0, 0x68, 0x04, 0, 0, 0x36]),
        // A 64-bit Mach-O header claiming 4 load commands of 0x400 bytes, cut after the header.
        ("cut.dylib", [0xcf, 0xfa, 0xed, 0xfe, 0x0c, 0, 0, 0x01, 0, 0, 0, 0, 0x06, 0, 0, 0, 4, 0, 0, 0, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]),
    ]

    @Test func truncatedImagesAndMachOAreCounted() throws {
        let dir = try TestSupport.makeTemporaryDirectory("vigil-cut")
        defer { try? FileManager.default.removeItem(at: dir) }
        for (name, bytes) in Self.truncated { try TestSupport.write(bytes, to: name, in: dir) }
        let (r, doc) = try Self.scan(dir.path)
        let malformed = Set(doc.diagnostics.filter { $0.kind == "malformed" }.map { ($0.path as NSString).lastPathComponent })
        #expect(malformed == ["cut.png", "cut.ico", "cut.dylib"], "\(r.stdout)")
        #expect((doc.statistics.diagnosticsByKind["malformed"] ?? 0) >= 3)
        // inspect lists the same problems.
        for (name, _) in Self.truncated {
            let i = try TestSupport.runVigil(["inspect", dir.path + "/" + name])
            #expect(i.stdout.contains("issues ("), "\(name): \(i.stdout)")
        }
    }

    /// 5,000 nested folders (a path of about 10,000 bytes, beyond PATH_MAX) with a truncated PNG at
    /// the bottom: scanned, and reported with its full path.
    @Test func fileBelowPathMaxIsScanned() throws {
        let dir = try TestSupport.makeTemporaryDirectory("vigil-deep")
        defer { _ = try? TestSupport.run(URL(fileURLWithPath: "/bin/rm"), ["-rf", dir.path]) }
        var fd = open(dir.path, O_RDONLY | O_DIRECTORY)
        #expect(fd >= 0)
        let depth = 5000
        for _ in 0..<depth {
            #expect(mkdirat(fd, "d", 0o755) == 0)
            let next = openat(fd, "d", O_RDONLY | O_DIRECTORY)
            close(fd)
            fd = next
        }
        let file = openat(fd, "deep.png", O_WRONLY | O_CREAT, 0o644)
        let png = Self.truncated[0].1
        _ = png.withUnsafeBytes { write(file, $0.baseAddress, $0.count) }
        close(file)
        close(fd)
        let (r, doc) = try Self.scan(dir.path)
        let expected = dir.path + String(repeating: "/d", count: depth) + "/deep.png"
        #expect(expected.utf8.count > 4096)
        #expect(doc.statistics.filesScanned == 1, "\(r.stderr)")
        #expect(doc.diagnostics.contains { $0.kind == "malformed" && $0.path == expected })
        #expect(!doc.diagnostics.contains { $0.message.contains("too long") })
    }
}
