// swift-tools-version: 6.1
// Vigil: finds software supply-chain compromises in files, releases, feeds and network logs.
//
// Layering (arrows point at dependencies; no cycles):
//
//   VigilCore            findings, severities, diagnostics: the shared vocabulary
//   VigilBinary          bounds-checked byte reader, entropy (no Foundation in hot paths)
//   VigilFormats         PE + Authenticode, Mach-O + code signature, ICO, PNG      -> VigilBinary, swift-certificates, swift-crypto
//   CYara -> YaraKit     libyara, fenced off: no YR_* type or pointer escapes YaraKit
//   CVigilZlib -> VigilGzip  zlib streaming gzip decoding (rotated logs, .tar.gz releases)
//   VigilIndicators      indicator model, normalisation, matchers                 -> VigilCore
//   VigilDefaults        the built-in 3CX indicator set and YARA rules            -> VigilIndicators
//   VigilFeeds           feed readers, feed store, blocklists, indicator loader   -> VigilIndicators, VigilDefaults
//   VigilDetections      structural supply-chain checks                           -> VigilFormats, VigilCore
//   VigilScan            file sweep: walk, hash, IoCs, YARA, detections           -> all of the above
//   VigilDiff            release comparison                                       -> VigilFormats, VigilDetections, VigilGzip, ZIPFoundation
//   VigilHunt            network log readers, indicator hits, beacon scoring      -> VigilIndicators, VigilGzip
//   VigilOutput          text / JSON / JSONL / SARIF renderers for findings       -> VigilCore
//   vigil                the thin command-line front end
import PackageDescription

let package = Package(
    name: "Vigil",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "vigil", targets: ["vigil"]),
        .library(name: "VigilScan", targets: ["VigilScan"]),
        .library(name: "VigilFormats", targets: ["VigilFormats"]),
        .library(name: "VigilFeeds", targets: ["VigilFeeds"]),
        .library(name: "VigilHunt", targets: ["VigilHunt"]),
        .library(name: "VigilDiff", targets: ["VigilDiff"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-crypto.git", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/apple/swift-asn1.git", from: "1.3.0"),
        .package(url: "https://github.com/apple/swift-certificates.git", from: "1.10.0"),
        .package(url: "https://github.com/weichsel/ZIPFoundation.git", from: "0.9.19"),
    ],
    targets: [
        .target(name: "VigilCore"),
        .target(name: "VigilBinary"),
        .target(
            name: "VigilFormats",
            dependencies: [
                "VigilBinary",
                .product(name: "SwiftASN1", package: "swift-asn1"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        .systemLibrary(
            name: "CYara",
            pkgConfig: "yara",
            providers: [.apt(["libyara-dev"]), .brew(["yara"])]
        ),
        .target(name: "YaraKit", dependencies: ["CYara"]),
        .systemLibrary(name: "CVigilZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"]), .brew(["zlib"])]),
        .target(name: "VigilGzip", dependencies: ["CVigilZlib"]),
        .target(name: "VigilIndicators", dependencies: ["VigilCore"]),
        .target(name: "VigilFeeds", dependencies: ["VigilIndicators", "VigilDefaults", "VigilCore"]),
        .target(name: "VigilDefaults", dependencies: ["VigilIndicators"]),
        .target(name: "VigilDetections", dependencies: ["VigilFormats", "VigilBinary", "VigilCore"]),
        .target(
            name: "VigilScan",
            dependencies: [
                "VigilCore", "VigilBinary", "VigilIndicators", "VigilFeeds", "VigilDefaults", "VigilFormats", "VigilDetections", "YaraKit",
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        .target(
            name: "VigilDiff",
            dependencies: [
                "VigilCore", "VigilBinary", "VigilFormats", "VigilDetections", "VigilIndicators", "VigilGzip",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "ZIPFoundation", package: "ZIPFoundation"),
            ]
        ),
        .target(name: "VigilHunt", dependencies: ["VigilIndicators", "VigilDefaults", "VigilGzip", "VigilCore"]),
        .target(name: "VigilOutput", dependencies: ["VigilCore"]),
        .executableTarget(
            name: "vigil",
            dependencies: [
                "VigilCore", "VigilScan", "VigilFormats", "VigilFeeds", "VigilIndicators", "VigilHunt",
                "VigilDiff", "VigilOutput", "VigilDefaults", "VigilDetections",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // Matcher benchmark (benchmarks/matchers.sh): 1M indicators, lookup rates.
        .executableTarget(name: "vigil-matcher-bench", dependencies: ["VigilIndicators"], path: "benchmarks/matcher-bench"),
        .target(name: "_VigilTestSupport", dependencies: ["VigilCore"], path: "Tests/_VigilTestSupport"),
        .testTarget(name: "VigilCoreTests", dependencies: ["VigilCore"]),
        .testTarget(name: "VigilBinaryTests", dependencies: ["VigilBinary"]),
        .testTarget(name: "VigilFormatsTests", dependencies: ["VigilFormats", "_VigilTestSupport"]),
        .testTarget(name: "YaraKitTests", dependencies: ["YaraKit"]),
        .testTarget(name: "VigilIndicatorsTests", dependencies: ["VigilIndicators", "VigilDefaults"]),
        .testTarget(name: "VigilFeedsTests", dependencies: ["VigilFeeds", "_VigilTestSupport"]),
        .testTarget(name: "VigilDetectionsTests", dependencies: ["VigilDetections", "_VigilTestSupport"]),
        .testTarget(name: "VigilScanTests", dependencies: ["VigilScan", "_VigilTestSupport"]),
        .testTarget(name: "VigilDiffTests", dependencies: ["VigilDiff", "_VigilTestSupport"]),
        .testTarget(name: "VigilGzipTests", dependencies: ["VigilGzip"]),
        .testTarget(name: "VigilHuntTests", dependencies: ["VigilHunt", "_VigilTestSupport"]),
        .testTarget(name: "VigilCLITests", dependencies: ["_VigilTestSupport"]),
    ]
)

// The same language settings for every target.
for target in package.targets where target.type != .system {
    target.swiftSettings = (target.swiftSettings ?? []) + [
        .swiftLanguageMode(.v6),
        .enableUpcomingFeature("ExistentialAny"),
    ]
}
