// swift-tools-version: 6.1
// libFuzzer targets for Vigil's format parsers. Kept outside the main package so `swift build` and
// `swift test` never compile them; run with fuzz/run.sh TARGET SECONDS (see fuzz/README.md).
import PackageDescription

let package = Package(
    name: "VigilFuzz",
    platforms: [.macOS(.v15)],
    dependencies: [.package(name: "Vigil", path: "..")],
    targets: [
        // Declares libFuzzer's LLVMFuzzerRunDriver for Swift.
        .target(name: "CFuzzDriver"),
        // One executable per parser. SwiftPM renames each executable's entry point and aliases
        // `main` to it, so libFuzzer's own main is never linked: the top-level code calls
        // LLVMFuzzerRunDriver with the target's test function instead.
        .executableTarget(
            name: "fuzz-pe",
            dependencies: ["CFuzzDriver", .product(name: "VigilFormats", package: "Vigil")]
        ),
        .executableTarget(
            name: "fuzz-signeddata",
            dependencies: ["CFuzzDriver", .product(name: "VigilFormats", package: "Vigil")]
        ),
        .executableTarget(
            name: "fuzz-macho",
            dependencies: ["CFuzzDriver", .product(name: "VigilFormats", package: "Vigil")]
        ),
        .executableTarget(
            name: "fuzz-ico",
            dependencies: ["CFuzzDriver", .product(name: "VigilFormats", package: "Vigil")]
        ),
        .executableTarget(
            name: "fuzz-tar",
            dependencies: ["CFuzzDriver", .product(name: "VigilDiff", package: "Vigil")]
        ),
        .executableTarget(
            name: "fuzz-zip",
            dependencies: ["CFuzzDriver", .product(name: "VigilDiff", package: "Vigil")]
        ),
        .executableTarget(
            name: "fuzz-udif",
            dependencies: ["CFuzzDriver", .product(name: "VigilDiskImage", package: "Vigil")]
        ),
        .executableTarget(
            name: "fuzz-partitions",
            dependencies: ["CFuzzDriver", .product(name: "VigilDiskImage", package: "Vigil")]
        ),
        .executableTarget(
            name: "fuzz-layout",
            dependencies: ["CFuzzDriver", .product(name: "VigilContainers", package: "Vigil")]
        ),
        .executableTarget(
            name: "fuzz-containers",
            dependencies: ["CFuzzDriver", .product(name: "VigilContainers", package: "Vigil")]
        ),
        .executableTarget(
            name: "fuzz-png",
            dependencies: ["CFuzzDriver", .product(name: "VigilFormats", package: "Vigil")]
        ),
        .executableTarget(
            name: "fuzz-cfb",
            dependencies: ["CFuzzDriver", .product(name: "VigilMSI", package: "Vigil")]
        ),
        .executableTarget(
            name: "fuzz-msi",
            dependencies: ["CFuzzDriver", .product(name: "VigilMSI", package: "Vigil")]
        ),
    ]
)
