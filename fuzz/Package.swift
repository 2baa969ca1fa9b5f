// swift-tools-version: 6.1
// libFuzzer targets for Vigil's format parsers. Kept outside the main package so `swift build` and
// `swift test` never compile them; run with fuzz/run.sh TARGET SECONDS (see fuzz/README.md).
import PackageDescription

let package = Package(
    name: "VigilFuzz",
    platforms: [.macOS(.v15)],
    dependencies: [.package(name: "Vigil", path: "..")],
    targets: [
        // One executable per parser; each defines LLVMFuzzerTestOneInput and no main (libFuzzer's).
        .executableTarget(
            name: "fuzz-pe",
            dependencies: [.product(name: "VigilFormats", package: "Vigil")],
            swiftSettings: [.unsafeFlags(["-parse-as-library"])]
        ),
        .executableTarget(
            name: "fuzz-signeddata",
            dependencies: [.product(name: "VigilFormats", package: "Vigil")],
            swiftSettings: [.unsafeFlags(["-parse-as-library"])]
        ),
        .executableTarget(
            name: "fuzz-macho",
            dependencies: [.product(name: "VigilFormats", package: "Vigil")],
            swiftSettings: [.unsafeFlags(["-parse-as-library"])]
        ),
        .executableTarget(
            name: "fuzz-ico",
            dependencies: [.product(name: "VigilFormats", package: "Vigil")],
            swiftSettings: [.unsafeFlags(["-parse-as-library"])]
        ),
        .executableTarget(
            name: "fuzz-png",
            dependencies: [.product(name: "VigilFormats", package: "Vigil")],
            swiftSettings: [.unsafeFlags(["-parse-as-library"])]
        ),
    ]
)
