// swift-tools-version: 6.1
// Vigil: finds software supply-chain compromises in files, releases, feeds and network logs.
//
// Layering (arrows point at dependencies; no cycles):
//
//   VigilCore            findings, severities, diagnostics: the shared vocabulary
//   VigilBinary          bounds-checked byte reader, entropy (no Foundation in hot paths)
//   VigilFormats         PE + Authenticode, Mach-O + code signature, ICO, PNG      -> VigilBinary, swift-certificates, swift-crypto
//   VigilMSI             OLE compound file + MSI database: files as installed       -> VigilBinary
//   CYara -> YaraKit     libyara, fenced off: no YR_* type or pointer escapes YaraKit
//   CVigilZlib -> VigilGzip  zlib streaming gzip decoding (rotated logs, .tar.gz releases)
//   CVigilBzip2, CVigilLzma  libbz2 and liblzma, for UDIF disk-image chunks
//   CFsHfs -> FsHfsKit   libfshfs (HFS+/HFSX volumes), fenced off like YaraKit
//   CFsApfs -> FsApfsKit libfsapfs (APFS containers and volumes), fenced off like YaraKit
//   VigilDiskImage       .dmg (UDIF) reader, partition maps (GPT, APM), HFS+/APFS file trees
//                                                                                   -> VigilBinary, CVigilZlib, CVigilBzip2, CVigilLzma, FsHfsKit, FsApfsKit
//   CArchive -> ArchiveKit  libarchive, fenced off: no archive* pointer escapes ArchiveKit
//   VigilContainers      container walker: ContainerFormat protocol, limits, private temp folder,
//                        chain paths (outer.msi!/inner); formats in Formats/  -> VigilCore, ArchiveKit, VigilMSI, VigilDiskImage
//   VigilIndicators      indicator model, normalisation, matchers                 -> VigilCore
//   VigilDefaults        the built-in 3CX indicator set and YARA rules            -> VigilIndicators
//   VigilFeeds           feed readers, feed store, blocklists, indicator loader   -> VigilIndicators, VigilDefaults
//   VigilDetections      structural supply-chain checks                           -> VigilFormats, VigilCore
//   VigilScan            file sweep: walk, hash, IoCs, YARA, detections, into containers -> all of the above
//   VigilDiff            release comparison (own tar and ZIP readers; other        -> VigilFormats, VigilDetections, VigilGzip,
//                        containers unpacked by VigilContainers)                     VigilContainers
//   VigilHunt            network log readers, indicator hits, beacon scoring      -> VigilIndicators, VigilGzip
//   VigilVerdicts        per-host verdicts: address attribution, coverage,         -> VigilHunt, VigilIndicators, VigilCore
//                        verdict rules, timelines, retro-hunt of contact summaries
//   VigilOutput          text / JSON / JSONL / SARIF renderers for findings       -> VigilCore
//   VigilFleetProtocol   agent/server wire types and routes                        -> VigilVerdicts, VigilHunt, VigilCore
//   VigilFleetStore      the fleet server's storage protocol and records           -> VigilFleetProtocol, VigilVerdicts
//   VigilLogFollower     `vigil serve --logs`: follows a log folder (rotation, resume, -> VigilHunt, VigilFleetProtocol, VigilFleetStore
//                        exactly-once cursors) and turns it into NetworkReports
//   VigilScanCache       the sweep's per-file result cache on SQLite               -> VigilScan, GRDB
//   VigilFleetClient     HTTP client for the fleet API (agent and user routes)     -> VigilFleetProtocol, VigilFleetStore, VigilGzip, AsyncHTTPClient
//   CVigilSys            ioprio_set for the agent (Swift cannot call variadic syscall(2))
//   VigilAgent           enrolment, incremental sweeps, spool, delta upload        -> VigilFleetClient, VigilScan, VigilScanCache
//   VigilFleetSQLite     FleetStore on SQLite (embedded, single file)              -> VigilFleetStore, GRDB
//   VigilFleetPostgres   FleetStore on PostgreSQL (shared by several servers)       -> VigilFleetStore, postgres-nio
//   VigilNotify          verdict changes to a webhook (HMAC-signed) and syslog (RFC 5424, JSON or CEF)
//                                                                                   -> VigilFleetProtocol, AsyncHTTPClient, swift-crypto
//   VigilFleetServer     `vigil serve`: HTTP API, auth, limits, on-arrival matching, retro-hunt, verdicts
//                        (the CLI hands VigilLogFollower's reports to it; the two do not import each other)
//                                                                                   -> VigilFleetStore, VigilNotify, VigilFeeds, VigilScan, VigilGzip, Hummingbird
//   VigilConsole         the web console: server-rendered HTML (Mustache), sessions, CSRF, audit
//                                                                                   -> VigilFleetServer, swift-mustache, HummingbirdBcrypt
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
        .library(name: "VigilVerdicts", targets: ["VigilVerdicts"]),
        .library(name: "VigilMSI", targets: ["VigilMSI"]),
        .library(name: "VigilDiskImage", targets: ["VigilDiskImage"]),
        .library(name: "VigilContainers", targets: ["VigilContainers"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-crypto.git", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/apple/swift-asn1.git", from: "1.3.0"),
        .package(url: "https://github.com/apple/swift-certificates.git", from: "1.10.0"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache.git", from: "2.1.1"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.4.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-auth.git", from: "2.5.0"),
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
        .target(name: "VigilMSI", dependencies: ["VigilBinary"]),
        .systemLibrary(
            name: "CYara",
            pkgConfig: "yara",
            providers: [.apt(["libyara-dev"]), .brew(["yara"])]
        ),
        .target(name: "YaraKit", dependencies: ["CYara"]),
        .systemLibrary(
            name: "CArchive",
            pkgConfig: "libarchive",
            providers: [.apt(["libarchive-dev"]), .brew(["libarchive"])]
        ),
        .target(name: "ArchiveKit", dependencies: ["CArchive"]),
        .target(name: "VigilContainers", dependencies: ["VigilCore", "VigilBinary", "ArchiveKit", "VigilMSI", "VigilDiskImage"]),
        .systemLibrary(name: "CVigilZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"]), .brew(["zlib"])]),
        .target(name: "VigilGzip", dependencies: ["CVigilZlib"]),
        .systemLibrary(name: "CVigilBzip2", providers: [.apt(["libbz2-dev"]), .brew(["bzip2"])]),
        .systemLibrary(name: "CVigilLzma", pkgConfig: "liblzma", providers: [.apt(["liblzma-dev"]), .brew(["xz"])]),
        .systemLibrary(name: "CFsHfs", pkgConfig: "libfshfs", providers: [.apt(["libfshfs-dev"])]),
        .target(name: "FsHfsKit", dependencies: ["CFsHfs"]),
        .systemLibrary(name: "CFsApfs", pkgConfig: "libfsapfs", providers: [.apt(["libfsapfs-dev"])]),
        .target(name: "FsApfsKit", dependencies: ["CFsApfs"]),
        .target(
            name: "VigilDiskImage",
            dependencies: ["VigilBinary", "CVigilZlib", "CVigilBzip2", "CVigilLzma", "FsHfsKit", "FsApfsKit"]
        ),
        .target(name: "VigilIndicators", dependencies: ["VigilCore"]),
        .target(name: "VigilFeeds", dependencies: ["VigilIndicators", "VigilDefaults", "VigilCore"]),
        .target(name: "VigilDefaults", dependencies: ["VigilIndicators"]),
        .target(name: "VigilDetections", dependencies: ["VigilFormats", "VigilBinary", "VigilCore"]),
        .target(
            name: "VigilScan",
            dependencies: [
                "VigilCore", "VigilBinary", "VigilIndicators", "VigilFeeds", "VigilDefaults", "VigilFormats", "VigilDetections", "YaraKit",
                "VigilContainers",
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        .target(
            name: "VigilDiff",
            dependencies: [
                "VigilCore", "VigilBinary", "VigilFormats", "VigilDetections", "VigilIndicators", "VigilGzip", "VigilContainers",
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        .target(name: "VigilHunt", dependencies: ["VigilIndicators", "VigilDefaults", "VigilGzip", "VigilCore"]),
        .target(name: "VigilVerdicts", dependencies: ["VigilHunt", "VigilIndicators", "VigilCore"]),
        .target(name: "VigilOutput", dependencies: ["VigilCore"]),
        .target(name: "VigilFleetProtocol", dependencies: ["VigilVerdicts", "VigilHunt", "VigilCore"]),
        .target(
            name: "VigilFleetStore",
            dependencies: ["VigilFleetProtocol", "VigilVerdicts", "VigilHunt", "VigilCore", .product(name: "Crypto", package: "swift-crypto")]),
        .target(
            name: "VigilLogFollower",
            dependencies: [
                "VigilHunt", "VigilFleetProtocol", "VigilFleetStore", "VigilIndicators", "VigilCore",
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        .target(name: "VigilScanCache", dependencies: ["VigilScan", "VigilCore", "VigilDetections", .product(name: "GRDB", package: "GRDB.swift")]),
        .target(
            name: "VigilFleetClient",
            dependencies: [
                "VigilFleetProtocol", "VigilFleetStore", "VigilVerdicts", "VigilGzip", "VigilCore", "VigilIndicators",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ]
        ),
        .target(name: "CVigilSys"),
        .target(
            name: "VigilAgent",
            dependencies: [
                "CVigilSys", "VigilGzip", "VigilFleetClient", "VigilFleetProtocol", "VigilScan", "VigilScanCache", "VigilIndicators", "VigilCore",
                .product(name: "GRDB", package: "GRDB.swift"),
            ]
        ),
        .target(
            name: "VigilFleetSQLite",
            dependencies: [
                "VigilFleetStore", "VigilFleetProtocol", "VigilVerdicts", "VigilHunt", "VigilCore",
                .product(name: "GRDB", package: "GRDB.swift"),
            ]
        ),
        .target(
            name: "VigilFleetPostgres",
            dependencies: [
                "VigilFleetStore", "VigilFleetProtocol", "VigilVerdicts", "VigilHunt", "VigilCore",
                .product(name: "PostgresNIO", package: "postgres-nio"),
            ]
        ),
        .target(
            name: "VigilNotify",
            dependencies: [
                "VigilFleetProtocol", "VigilVerdicts",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        .target(
            name: "VigilFleetServer",
            dependencies: [
                "VigilFleetProtocol", "VigilFleetStore", "VigilNotify", "VigilVerdicts", "VigilHunt", "VigilCore", "VigilIndicators", "VigilFeeds", "VigilDefaults", "VigilScan", "VigilGzip",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        .target(
            name: "VigilConsole",
            dependencies: [
                "VigilFleetServer", "VigilFleetStore", "VigilFleetProtocol", "VigilCore", "VigilFeeds", "VigilIndicators", "VigilVerdicts",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdBcrypt", package: "hummingbird-auth"),
                .product(name: "Mustache", package: "swift-mustache"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        .executableTarget(
            name: "vigil",
            dependencies: [
                "VigilConsole",
                "VigilCore", "VigilScan", "VigilFormats", "VigilFeeds", "VigilIndicators", "VigilHunt",
                "VigilDiff", "VigilContainers", "VigilOutput", "VigilDefaults", "VigilDetections", "VigilScanCache", "VigilFleetClient",
                "VigilFleetProtocol", "VigilAgent", "VigilFleetServer", "VigilFleetStore", "VigilFleetSQLite", "VigilFleetPostgres",
                "VigilLogFollower",
                "VigilNotify", "VigilVerdicts",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // Matcher benchmark (benchmarks/matchers.sh): 1M indicators, lookup rates.
        .executableTarget(name: "vigil-matcher-bench", dependencies: ["VigilIndicators"], path: "benchmarks/matcher-bench"),
        // Container extraction benchmark (benchmarks/containers.sh): the walker alone, against bsdtar -x.
        .executableTarget(name: "vigil-container-bench", dependencies: ["VigilContainers"], path: "benchmarks/container-bench"),
        // The sweep alone (benchmarks/containers.sh): profiles scans into containers without the whole CLI.
        .executableTarget(name: "vigil-scan-bench", dependencies: ["VigilScan", "VigilFeeds"], path: "benchmarks/scan-bench"),
        // Fleet storage benchmark (benchmarks/fleet.sh): N hosts x M files into SQLite and PostgreSQL.
        .executableTarget(
            name: "vigil-fleet-bench",
            dependencies: ["VigilFleetStore", "VigilFleetSQLite", "VigilFleetPostgres", "VigilFleetProtocol", "VigilCore"],
            path: "benchmarks/fleet-bench"
        ),
        // Verdict pass benchmark (docs/verdicts.md): address book, coverage, attribution, engine over N hosts.
        .executableTarget(name: "vigil-verdict-bench", dependencies: ["VigilVerdicts", "VigilHunt", "VigilCore"], path: "benchmarks/verdict-bench"),
        // Contact-index benchmark (benchmarks/contacts.sh): N contact rows, then a network retro-hunt.
        .executableTarget(
            name: "vigil-contacts-bench",
            dependencies: ["VigilFleetStore", "VigilFleetSQLite", "VigilFleetPostgres", "VigilFleetProtocol", "VigilHunt"],
            path: "benchmarks/contacts-bench"
        ),
        .target(name: "_VigilTestSupport", dependencies: ["VigilCore"], path: "Tests/_VigilTestSupport"),
        .testTarget(name: "VigilCoreTests", dependencies: ["VigilCore"]),
        .testTarget(name: "VigilBinaryTests", dependencies: ["VigilBinary"]),
        .testTarget(name: "VigilMSITests", dependencies: ["VigilMSI", "_VigilTestSupport"]),
        .testTarget(name: "VigilFormatsTests", dependencies: ["VigilFormats", "_VigilTestSupport"]),
        .testTarget(name: "YaraKitTests", dependencies: ["YaraKit"]),
        .testTarget(name: "VigilContainersTests", dependencies: ["VigilContainers", "ArchiveKit", "_VigilTestSupport"]),
        .testTarget(name: "VigilIndicatorsTests", dependencies: ["VigilIndicators", "VigilDefaults"]),
        .testTarget(name: "VigilFeedsTests", dependencies: ["VigilFeeds", "_VigilTestSupport"]),
        .testTarget(name: "VigilDetectionsTests", dependencies: ["VigilDetections", "_VigilTestSupport"]),
        .testTarget(name: "VigilScanTests", dependencies: ["VigilScan", "_VigilTestSupport"]),
        .testTarget(name: "VigilDiffTests", dependencies: ["VigilDiff", "_VigilTestSupport"]),
        .testTarget(name: "VigilGzipTests", dependencies: ["VigilGzip"]),
        .testTarget(name: "VigilDiskImageTests", dependencies: ["VigilDiskImage", "_VigilTestSupport", .product(name: "Crypto", package: "swift-crypto")]),
        .testTarget(name: "VigilHuntTests", dependencies: ["VigilHunt", "_VigilTestSupport"]),
        .testTarget(name: "VigilVerdictsTests", dependencies: ["VigilVerdicts", "VigilHunt", "VigilDefaults", "_VigilTestSupport"]),
        .testTarget(
            name: "VigilLogFollowerTests",
            dependencies: [
                "VigilLogFollower", "VigilHunt", "VigilDefaults", "VigilFleetProtocol", "VigilFleetStore", "VigilFleetSQLite", "VigilFleetPostgres",
                "VigilIndicators", "VigilGzip", "VigilCore", "_VigilTestSupport", .product(name: "PostgresNIO", package: "postgres-nio"),
            ]
        ),
        .testTarget(name: "VigilCLITests", dependencies: ["_VigilTestSupport"]),
        .testTarget(name: "VigilScanCacheTests", dependencies: ["VigilScanCache", "VigilScan", "_VigilTestSupport"]),
        .testTarget(
            name: "VigilAgentTests",
            dependencies: [
                "VigilAgent", "VigilFleetClient", "VigilFleetProtocol", "VigilFleetStore", "VigilCore", "VigilGzip", "VigilScan", "_VigilTestSupport",
            ],
            exclude: ["fake_fleet_server.py"]),
        .testTarget(
            name: "VigilFleetServerTests",
            dependencies: [
                "VigilFleetServer", "VigilFleetStore", "VigilFleetSQLite", "VigilFleetPostgres", "VigilFleetProtocol", "VigilGzip", "VigilIndicators",
                "VigilDefaults", "VigilHunt", "VigilVerdicts", "VigilNotify", "VigilCore", "VigilFleetClient", "_VigilTestSupport",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        .testTarget(
            name: "VigilNotifyTests",
            dependencies: ["VigilNotify", "VigilFleetProtocol", "VigilVerdicts", .product(name: "Crypto", package: "swift-crypto")]
        ),
        .testTarget(
            name: "VigilConsoleTests",
            dependencies: [
                "VigilConsole", "VigilFleetServer", "VigilFleetStore", "VigilFleetSQLite", "VigilFleetProtocol", "VigilCore",
                "_VigilTestSupport",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "HummingbirdBcrypt", package: "hummingbird-auth"),
            ]
        ),
        .testTarget(
            name: "VigilFleetStoreTests",
            dependencies: [
                "VigilFleetStore", "VigilFleetSQLite", "VigilFleetPostgres", "VigilFleetProtocol", "VigilCore",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
    ]
)

// The same language settings for every target.
for target in package.targets where target.type != .system {
    target.swiftSettings = (target.swiftSettings ?? []) + [
        .swiftLanguageMode(.v6),
        .enableUpcomingFeature("ExistentialAny"),
    ]
}
