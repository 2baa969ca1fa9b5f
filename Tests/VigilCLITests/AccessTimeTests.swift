import Foundation
import Testing
import _VigilTestSupport

#if canImport(Glibc)
import Glibc
#endif

/// Issue 16 item 15: `inspect` and `diff` leave the access time alone (O_NOATIME), as `scan` does.
@Suite("access time (end to end)", .enabled(if: TestSupport.vigilExecutable != nil, "the vigil executable is not built"))
struct AccessTimeTests {
    /// Sets the access time a day before the modification time: under `relatime` (Linux's default)
    /// the next ordinary read then updates it.
    static func backdateAccess(_ path: String) {
        var times = [timespec(tv_sec: 946_684_800, tv_nsec: 0), timespec(tv_sec: 946_771_200, tv_nsec: 0)]
        #expect(utimensat(AT_FDCWD, path, &times, 0) == 0)
    }

    static func accessTime(_ path: String) -> Int {
        var st = stat()
        _ = stat(path, &st)
        return Int(st.st_atim.tv_sec)
    }

    @Test func inspectAndScanDoNotTouchAccessTimes() throws {
        let dir = try TestSupport.makeTemporaryDirectory("vigil-atime")
        defer { try? FileManager.default.removeItem(at: dir) }
        let png: [UInt8] = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48]
        let control = try TestSupport.write(png, to: "control.png", in: dir).path
        let target = try TestSupport.write(png, to: "target.png", in: dir).path
        Self.backdateAccess(control)
        Self.backdateAccess(target)
        // An ordinary read must update the control file's access time, else this file system does not
        // record access times (noatime) and the test proves nothing.
        _ = try Data(contentsOf: URL(fileURLWithPath: control))
        guard Self.accessTime(control) != 946_684_800 else {
            print("access times are not recorded on \(dir.path) (noatime); nothing to compare")
            return
        }
        let r = try TestSupport.runVigil(["inspect", target])
        #expect(r.stdout.contains("target.png"), "\(r.stdout)\n\(r.stderr)")
        #expect(Self.accessTime(target) == 946_684_800, "inspect updated the access time")
        _ = try TestSupport.runVigil(["scan", "--no-default-indicators", target])
        #expect(Self.accessTime(target) == 946_684_800, "scan updated the access time")

        // diff: a release given as one file, and releases given as folders (every member read).
        let old = dir.appendingPathComponent("old"), new = dir.appendingPathComponent("new")
        try FileManager.default.createDirectory(at: old, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: new, withIntermediateDirectories: true)
        let oldMember = try TestSupport.write(png, to: "icon.png", in: old).path
        let newMember = try TestSupport.write(png + [0x24, 0x41], to: "icon.png", in: new).path
        for p in [oldMember, newMember] { Self.backdateAccess(p) }
        let d = try TestSupport.runVigil(["diff", old.path, new.path])
        #expect(d.status == 0 || d.status == 1, "\(d.stdout)\n\(d.stderr)")
        #expect(Self.accessTime(oldMember) == 946_684_800, "diff updated a folder member's access time")
        #expect(Self.accessTime(newMember) == 946_684_800, "diff updated a folder member's access time")
        Self.backdateAccess(target)
        let single = try TestSupport.runVigil(["diff", target, newMember])
        #expect(single.status == 0 || single.status == 1, "\(single.stdout)\n\(single.stderr)")
        #expect(Self.accessTime(target) == 946_684_800, "diff updated a single-file release's access time")
    }

    @Test func inspectRefusesAFIFOWithoutBlocking() throws {
        let dir = try TestSupport.makeTemporaryDirectory("vigil-inspect-fifo")
        defer { try? FileManager.default.removeItem(at: dir) }
        let fifo = dir.path + "/pipe"
        #expect(mkfifo(fifo, 0o644) == 0)
        let r = try TestSupport.runVigil(["inspect", fifo])
        #expect(r.status == 2, "\(r.stdout)\n\(r.stderr)")
        #expect(r.stderr.contains("FIFO"), "\(r.stderr)")
    }
}
