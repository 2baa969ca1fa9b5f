import Foundation
import VigilIndicators
import YaraKit
import _VigilTestSupport
@testable import VigilScan

#if canImport(Glibc)
import Glibc
#endif

/// A scratch folder removed when the value is released.
final class Scratch {
    let url: URL
    init() throws { url = try TestSupport.makeTemporaryDirectory("vigil-scan-test") }
    deinit { try? FileManager.default.removeItem(at: url) }

    var path: String { url.path }

    @discardableResult
    func write(_ name: String, _ bytes: [UInt8]) throws -> String {
        try TestSupport.write(bytes, to: name, in: url).path
    }

    @discardableResult
    func write(_ name: String, _ text: String) throws -> String { try write(name, Array(text.utf8)) }
}

func hashIndicator(_ kind: IndicatorKind, _ value: String, score: Int? = nil, description: String = "test hash") -> Indicator {
    Indicator(kind: kind, value: value, score: score, provenance: [Provenance(feed: "test", description: description)])
}

func filenameIndicator(_ regex: String, score: Int = 80) -> Indicator {
    Indicator(kind: .filename, value: regex, score: score, provenance: [Provenance(feed: "test", description: "test name")])
}

func scan(
    _ paths: [String], indicators: [Indicator] = [], rules: String? = nil, options: ScanOptions = ScanOptions(threads: 2)
) throws -> ScanResult {
    var compiled: CompiledRules?
    if let rules {
        let compilation = RuleCompiler.compile([.text(rules, name: "test-rules")])
        compiled = compilation.rules
        if compiled == nil { throw ScanSetupError("test rules do not compile: \(compilation.errors)") }
    }
    let configuration = ScanConfiguration(indicators: IndicatorSet(indicators), rules: compiled, ruleSourceCount: rules == nil ? 0 : 1, options: options)
    return ScanEngine(configuration: configuration).scan(paths)
}

/// The current user's name, as the `owner` external should report it.
func currentUserName() -> String {
    guard let entry = getpwuid(geteuid()), let name = entry.pointee.pw_name else { return String(geteuid()) }
    return String(cString: name)
}

/// A minimal PE header (MZ, e_lfanew = 0x40, "PE\0\0") so format identification says `pe`.
func tinyPE(padding: Int = 64) -> [UInt8] {
    var b = [UInt8](repeating: 0, count: 0x40 + 4 + padding)
    b[0] = 0x4D; b[1] = 0x5A; b[0x3C] = 0x40
    b[0x40] = 0x50; b[0x41] = 0x45
    return b
}
