import Foundation
import Testing
import VigilCore
import VigilDetections
import _VigilTestSupport

/// Every stage of the 3CX-like tree built by `scripts/fixtures/threecx.sh` is flagged from the files
/// alone (the engine holds no indicators), with the severities `docs/detections.md` documents; the
/// consistently signed controls stay at `low` or below.
@Suite struct ThreeCXFixtureTests {
    func scan(_ tree: String) throws -> TreeScan.Result? {
        guard let root = TreeScan.fixture("threecx") else { return nil }
        return try TreeScan.scan(root.appendingPathComponent(tree))
    }

    func only(_ result: TreeScan.Result, _ check: String, _ file: String) -> [Finding] {
        result.findings(for: "/" + file).filter { $0.check == check }
    }

    @Test func windowsChainEveryStageFlagged() throws {
        guard let r = try scan("windows") else { return }
        let all = TreeScan.describe(r.findings)
        // Stage: the carrier, signed d3dcompiler_47.dll with an encrypted blob in its certificate table.
        let carrier = only(r, CheckID.certificateTableSlack, "d3dcompiler_47.dll")
        #expect(carrier.map(\.severity) == [.high], "\(all)")
        #expect(carrier.first?.evidence["digest_matches"] == .bool(true))
        // Stage: the changed (unsigned) ffmpeg.dll loaded by the signed program.
        let ffmpeg = only(r, CheckID.sideloadedDependency, "ffmpeg.dll")
        #expect(ffmpeg.map(\.severity) == [.medium], "\(all)")
        #expect(ffmpeg.first?.evidence["dll_signature"] == .string("unsigned"))
        if case .string(let importer) = ffmpeg.first?.evidence["importer"] {
            #expect(importer.hasSuffix("3CXDesktopApp.exe"))
        } else {
            Issue.record("importer evidence missing: \(all)")
        }
        // The tampered carrier is also imported (delay-load) by the signed program: high.
        let chain = only(r, CheckID.sideloadedDependency, "d3dcompiler_47.dll")
        #expect(chain.map(\.severity) == [.high], "\(all)")
        #expect(chain.first?.evidence["dll_tamper_checks"] == .strings([CheckID.certificateTableSlack]))
        // Stage: the ICO with '$' + base64 after the image.
        let icon = only(r, CheckID.imageTrailer, "icon3.ico")
        #expect(icon.map(\.severity) == [.high], "\(all)")
        #expect(icon.first?.evidence["trailing_encoding"] == .string("dollar-base64"))
        // Every finding carries an ATT&CK id and an explanation.
        #expect(r.findings.allSatisfy { !$0.attack.isEmpty && $0.explanation.count > 80 })
        #expect(r.findings.count == 4, "\(all)")
    }

    @Test func differentlySignedFfmpegIsMedium() throws {
        guard let r = try scan("windows-othersigner") else { return }
        let ffmpeg = only(r, CheckID.sideloadedDependency, "ffmpeg.dll")
        #expect(ffmpeg.map(\.severity) == [.medium], "\(TreeScan.describe(r.findings))")
        if case .string(let signer) = ffmpeg.first?.evidence["dll_signer"], case .string(let importer) = ffmpeg.first?.evidence["importer_signer"] {
            #expect(signer.contains("Other Vendor Ltd"))
            #expect(importer.contains("Fixture Software Ltd"))
        } else {
            Issue.record("signer evidence missing")
        }
    }

    @Test func consistentlySignedBundleStaysLow() throws {
        guard let r = try scan("windows-clean") else { return }
        #expect((r.highest ?? .info) <= .low, "\(TreeScan.describe(r.findings))")
        let surface = r.findings.filter { $0.check == CheckID.sideloadedDependency }
        #expect(surface.count == 1)
        #expect(surface.first?.evidence["dlls"] == .strings(["ffmpeg.dll", "d3dcompiler_47.dll"]))
    }

    @Test func macBundleWithLibraryOfAnotherTeamIsHigh() throws {
        guard let r = try scan("macos") else { return }
        let signer = only(r, CheckID.librarySigner, "libffmpeg.dylib")
        #expect(signer.map(\.severity) == [.high], "\(TreeScan.describe(r.findings))")
        #expect(signer.first?.evidence["library_team_id"] == .string("OTHERTEAM2"))
        #expect(signer.first?.evidence["executable_team_id"] == .string("FIXTEAM001"))
        #expect(signer.first?.evidence["mismatch"] == .string("team"))
        #expect(signer.first?.attack.contains("T1574.004") == true)
        // The weak dependency is bundled and signed by the same team: nothing about it.
        #expect(r.findings(for: "libweakfeature.dylib").isEmpty)
    }

    @Test func adhocLibraryInsideSignedBundleIsHigh() throws {
        guard let r = try scan("macos-adhoc") else { return }
        let signer = only(r, CheckID.librarySigner, "libffmpeg.dylib")
        #expect(signer.map(\.severity) == [.high], "\(TreeScan.describe(r.findings))")
        #expect(signer.first?.evidence["library_signature_class"] == .string("linker-signed")
            || signer.first?.evidence["library_signature_class"] == .string("adhoc"))
        #expect(signer.first?.evidence["mismatch"] == .string("class"))
    }

    @Test func libraryChangedAfterSigningFailsPageHashes() throws {
        guard let r = try scan("macos-tampered") else { return }
        let pages = only(r, CheckID.pageHashes, "libffmpeg.dylib")
        #expect(pages.map(\.severity) == [.high], "\(TreeScan.describe(r.findings))")
        #expect(pages.first?.evidence["bad_pages"] == .strings(["0"]))
        #expect(pages.first?.evidence["team_id"] == .string("FIXTEAM001"))
        // Same team: the signer comparison alone would not have caught it (as with the real 3CX dylib).
        #expect(only(r, CheckID.librarySigner, "libffmpeg.dylib").isEmpty)
    }

    @Test func sameTeamBundleStaysLow() throws {
        guard let r = try scan("macos-clean") else { return }
        #expect((r.highest ?? .info) <= .low, "\(TreeScan.describe(r.findings))")
        // The fixture app searches /tmp/vigil-fixture-rpath after its bundle: reported as a latent surface.
        let rpath = r.findings.filter { $0.check == CheckID.rpathHijack }
        #expect(rpath.map(\.severity) == [.low])
        #expect(rpath.first?.evidence["rpath"] == .string("/tmp/vigil-fixture-rpath"))
    }

    @Test func missingWeakDylibResolvingIntoTmpIsHigh() throws {
        // macho.sh's own bundle ships libffmpeg but not the weakly linked libweakfeature, so dyld's
        // first hit would be the second LC_RPATH, /tmp/vigil-fixture-rpath: anyone can plant it there.
        guard let root = TreeScan.fixture("macho") else { return }
        let r = try TreeScan.scan(root.appendingPathComponent("Fixture App.app"))
        let weak = r.findings.filter { $0.check == CheckID.weakDylib }
        #expect(weak.map(\.severity) == [.high], "\(TreeScan.describe(r.findings))")
        #expect(weak.first?.evidence["dylib"] == .string("@rpath/libweakfeature.dylib"))
        #expect(weak.first?.evidence["first_resolution"] == .string("/tmp/vigil-fixture-rpath/libweakfeature.dylib"))
        #expect(weak.first?.evidence["first_resolution_location"] == .string("user-writable"))
        // libffmpeg is found in the bundle first: no hijack finding for it, only the latent rpath (low).
        #expect(!r.findings.contains { $0.check == CheckID.rpathHijack && $0.severity > .low })
        // The app is ad-hoc signed, so no library-signer comparison applies.
        #expect(!r.findings.contains { $0.check == CheckID.librarySigner })
    }
}
