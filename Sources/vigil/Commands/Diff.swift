import ArgumentParser
import Foundation
import VigilCore
import VigilDiff
import VigilOutput

/// `vigil diff OLD NEW`: what a vendor update changed and how risky it is.
struct Diff: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "diff",
        abstract: "Explain what changed between two releases of a product and how risky the change is.",
        discussion: """
            Each side is a folder, a ZIP-based package (.zip, .nupkg, .whl, .jar), a tar or tar.gz, or an \
            Electron .asar. Archives inside are opened too (depth, size, ratio and entry caps); nothing is \
            extracted to disk. Archives with '../' or absolute member names, links leaving the tree, or \
            bomb-like expansion are refused (exit 2).

            Files are paired by path, then by content (renames) and by name (moves). For each change the \
            report gives hashes, format, versions, signature and signer, imports/exports added and removed \
            (loader and injector APIs marked), sections with entropy, code size, new URLs/domains, \
            certificate-table slack; then signals with a severity and a reason, Vigil's structural \
            findings on the new release, and a risk verdict with the reasons that drive it. \
            --format json gives the whole comparison as one document; jsonl gives one finding per line \
            (the release's new findings, as scan and hunt write them) with the risk on standard error.

            Exit status: 0 when nothing reaches the --fail-on threshold (or nothing was found, without \
            --fail-on), 1 when it does, 2 on error or a refused input.

            Examples:
              vigil diff 3CXDesktopApp-18.12.407/ 3CXDesktopApp-18.12.416/
              vigil diff app-1.2.zip app-1.3.zip --format markdown > comment.md
              vigil diff old.tar.gz new.tar.gz --format sarif --output vigil.sarif --fail-on high
              vigil diff setuptools-79.whl setuptools-80.whl --format json
            """
    )

    enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
        case text, json, jsonl, markdown, sarif
    }

    enum Threshold: String, ExpressibleByArgument, CaseIterable {
        case critical, high, medium, low
        var severity: Severity { Severity(rawValue: rawValue) ?? .high }
    }

    @Argument(help: "The previous release (folder or archive).")
    var old: String

    @Argument(help: "The new release (folder or archive).")
    var new: String

    @Option(help: "Output format: \(OutputFormat.allCases.map(\.rawValue).joined(separator: ", ")).")
    var format: OutputFormat = .text

    @Option(name: .customLong("fail-on"), help: "Exit 1 when the release risk reaches this level (critical, high, medium, low).")
    var failOn: Threshold?

    @Option(name: .shortAndLong, help: "Write the report to this file instead of standard output.")
    var output: String?

    @Option(help: "How deep archives may nest inside archives.")
    var maxDepth: Int = ExpansionLimits.standard.maxDepth

    @Option(help: "Total bytes one release may expand to (bomb guard).")
    var maxExpandedBytes: Int = ExpansionLimits.standard.maxTotalBytes

    @Option(help: "Highest compression ratio accepted for a member larger than 8 MiB (bomb guard).")
    var maxRatio: Int = ExpansionLimits.standard.maxCompressionRatio

    func run() async throws {
        var limits = ExpansionLimits.standard
        limits.maxDepth = max(0, maxDepth)
        limits.maxTotalBytes = max(1, maxExpandedBytes)
        limits.maxCompressionRatio = max(1, maxRatio)
        let diff: ReleaseDiff
        do {
            diff = try ReleaseDiffer(limits: limits).diff(old: old, new: new)
        } catch let error as ReleaseError {
            printToStandardError("vigil diff: \(error)")
            throw ExitCode(VigilExitCode.error.rawValue)
        }
        let report: String
        switch format {
        case .text:
            report = DiffTextReport.render(diff)
        case .json:
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            report = String(decoding: try encoder.encode(diff), as: UTF8.self) + "\n"
        case .jsonl:
            var writer = JSONLinesWriter()
            for f in diff.findings { writer.append(f) }
            report = String(decoding: writer.bytes, as: UTF8.self)
            printToStandardError("Risk: \(diff.risk.label.uppercased()); \(diff.findings.count) finding(s), \(diff.preexisting.count) already in the old release; \(diff.diagnostics.count) problem(s).")
        case .markdown:
            report = DiffMarkdownReport.render(diff) + MarkdownRenderer().render(diff.findings, heading: "Findings")
        case .sarif:
            report = try SARIFRenderer(toolVersion: Vigil.configuration.version, root: new).render(diff.findings, unchanged: diff.preexisting)
        }
        if let output {
            do { try Data(report.utf8).write(to: URL(fileURLWithPath: output)) } catch {
                printToStandardError("vigil diff: cannot write \(output): \(error.localizedDescription)")
                throw ExitCode(VigilExitCode.error.rawValue)
            }
        } else {
            print(report, terminator: "")
        }
        let reached: Bool
        if let failOn {
            reached = (diff.risk.level ?? .info) >= failOn.severity && diff.risk.level != nil
        } else {
            reached = diff.findings.contains { $0.severity >= .low }
        }
        if reached { throw ExitCode(VigilExitCode.findings.rawValue) }
    }
}
