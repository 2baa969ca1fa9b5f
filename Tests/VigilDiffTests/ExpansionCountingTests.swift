import Foundation
import Testing
import VigilCore
import _VigilTestSupport
@testable import VigilDiff

/// The expansion budget counts each expanded byte once, whatever the container.
@Suite("Expansion counting")
struct ExpansionCountingTests {
    /// The 600 MiB member under a 1 GiB cap, scaled down by 1,024: 600 KiB under 1 MiB.
    static let limits = ExpansionLimits(maxTotalBytes: 1 << 20, maxMemberBytes: 1 << 20)

    func gzip(_ bytes: [UInt8], in dir: URL) throws -> [UInt8] {
        let raw = try TestSupport.write(bytes, to: "plain.tar", in: dir)
        let run = try TestSupport.run(URL(fileURLWithPath: "/bin/gzip"), ["-kn6", raw.path])
        try #require(run.status == 0, "\(run.stderr)")
        return [UInt8](try Data(contentsOf: URL(fileURLWithPath: raw.path + ".gz")))
    }

    @Test("a .tar.gz member counts once against the expanded-bytes cap, as in a .tar or a .zip")
    func tarGzCountedOnce() throws {
        let dir = try TestSupport.makeTemporaryDirectory("vigil-expansion")
        defer { try? FileManager.default.removeItem(at: dir) }
        var rng = SeededRandom(seed: 3)
        let member = (0..<(600 << 10)).map { _ in UInt8.random(in: 0...255, using: &rng) }
        let tar = RawTar.member("app/big.bin", member) + RawTar.end
        let zip = RawZip.build([.init(name: "app/big.bin", data: member)])
        for (name, bytes) in [("r.tar", tar), ("r.zip", zip), ("r.tar.gz", try gzip(tar, in: dir))] {
            let path = try TestSupport.write(bytes, to: name, in: dir).path
            var sizes: [String: Int] = [:]
            _ = try ReleaseReader(limits: Self.limits).read(path) { m in
                if case .file(_, let size, _, _) = m.content { sizes[m.path] = size }
            }
            #expect(sizes == ["app/big.bin": 600 << 10], "\(name)")
        }
    }

    @Test("a .tar.gz whose members really exceed the cap is still refused")
    func tarGzOverCap() throws {
        let dir = try TestSupport.makeTemporaryDirectory("vigil-expansion")
        defer { try? FileManager.default.removeItem(at: dir) }
        let member = (0..<(600 << 10)).map { UInt8(truncatingIfNeeded: $0 / 7) }  // compresses well
        let tar = RawTar.member("a.bin", member) + RawTar.member("b.bin", member) + RawTar.end
        let path = try TestSupport.write(try gzip(tar, in: dir), to: "r.tar.gz", in: dir).path
        #expect {
            _ = try ReleaseReader(limits: Self.limits).read(path) { _ in }
        } throws: { error in
            (error as? ReleaseError)?.kind == "bomb"
        }
    }
}
