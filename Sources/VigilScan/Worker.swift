import VigilCore
import VigilDetections
import VigilFormats
import VigilIndicators
import YaraKit

/// One scanning thread: its own YARA scanner, owner-name cache and result lists.
final class Worker {
    private let engine: ScanEngine
    private let cwd: String
    private let counters: Counters
    private let gate: LargeFileGate
    private let scanner: YaraScanner?
    private var scannerError: Diagnostic?
    private var owners = OwnerNames()
    private var buffer = ReadBuffer()
    private(set) var output = WorkerOutput()

    init(engine: ScanEngine, cwd: String, counters: Counters, gate: LargeFileGate) {
        self.engine = engine
        self.cwd = cwd
        self.counters = counters
        self.gate = gate
        if let rules = engine.configuration.rules {
            do {
                scanner = try rules.makeScanner(timeoutSeconds: engine.configuration.options.yaraTimeoutSeconds)
            } catch {
                scanner = nil
                scannerError = Diagnostic(kind: "yara-error", path: "", message: "YARA scanner unavailable: \(error.message)")
            }
        } else {
            scanner = nil
        }
        if let scannerError { report(scannerError) }
    }

    func process(_ item: WorkItem) {
        let path = item.path.display
        let absolute = path.hasPrefix("/") ? path : cwd + "/" + path
        let names = engine.filenames.match(path: absolute)
        output.filenameHitsSuppressed += names.suppressed.count
        var findings = names.hits.map { FindingFactory.filenameHit($0, path: path) }
        defer { record(findings) }

        var heldGate = false
        do {
            let file = try FileReader.read(
                item, maxFileSize: engine.configuration.options.maxFileSize,
                extraDigests: engine.configuration.extraDigests, largeFileGate: gate,
                into: &buffer)
            heldGate = file.holdsLargeFileGate
            findings += examine(file, path: path, absolute: absolute)
        } catch {
            switch error {
            case .diagnostic(let d):
                if d.kind == "skipped-size" { output.skippedForSize += 1 }
                report(d)
            }
        }
        // `file` is out of scope here, so nothing uses the gate's storage any more.
        if heldGate { gate.leave() }
    }

    /// Hash, YARA and structural checks of one file that was read.
    private func examine(_ file: ReadFile, path: String, absolute: String) -> [Finding] {
        var findings: [Finding] = []
        if let note = file.changeNote { report(Diagnostic(kind: "changed", path: path, message: note)) }
        output.files += 1
        output.bytes += file.bytes.count
        counters.files.add(1, ordering: .relaxed)
        counters.bytes.add(file.bytes.count, ordering: .relaxed)

        let indicators = engine.configuration.indicators
        var hits = indicators.matchHashes(md5: file.hashes.md5, sha1: file.hashes.sha1, sha256: file.hashes.sha256)
        if !hits.isEmpty {
            // A hit carries all three digests; matching them all also finds MD5 and SHA-1 indicators
            // that were not computed during the read because their file's SHA-256 is loaded.
            let all = file.hashes.completed(from: file.bytes)
            if all != file.hashes { hits = indicators.matchHashes(md5: all.md5, sha1: all.sha1, sha256: all.sha256) }
            for hit in hits { findings.append(FindingFactory.hashHit(hit, path: path, hashes: all)) }
        }

        let format = FileFormat.identify(file.bytes.prefix(64 * 1024))
        if let scanner {
            let externals = LokiExternals(absolutePath: absolute, format: format, owner: owners.name(for: file.ownerID))
            do {
                for (name, value) in externals.pairs { try scanner.setExternal(name, value) }
                let outcome = try scanner.scan(file.bytes)
                for match in outcome.matches { findings.append(FindingFactory.yaraHit(match, path: path, hashes: file.hashes)) }
                if !outcome.stringsOverMatchLimit.isEmpty {
                    report(Diagnostic(
                        kind: "yara-match-limit", path: path,
                        message: "strings \(outcome.stringsOverMatchLimit.joined(separator: ", ")) hit libyara's match limit; their rules may be incomplete"))
                }
            } catch {
                let kind = error.code == .timeout ? "yara-timeout" : "yara-error"
                report(Diagnostic(kind: kind, path: path, message: error.message))
            }
        }

        let analysis = engine.configuration.detections.analyze(ScannedFile(path: path, bytes: file.bytes, format: format))
        findings += analysis.findings
        for d in analysis.diagnostics { report(d) }
        if analysis.facts != nil { output.analyses.append(analysis) }
        return findings
    }

    private func record(_ findings: [Finding]) {
        guard !findings.isEmpty else { return }
        output.findings += findings
        counters.findings.add(findings.count, ordering: .relaxed)
    }

    private func report(_ d: Diagnostic) {
        output.diagnostics.append(d)
        counters.diagnostics.add(1, ordering: .relaxed)
    }
}
