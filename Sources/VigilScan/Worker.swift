import VigilContainers
import VigilCore
import VigilDetections
import VigilFormats
import VigilIndicators
import YaraKit

#if canImport(Glibc)
    @preconcurrency import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// One scanning thread: its own YARA scanner, owner-name cache and result lists.
final class Worker {
    private let engine: ScanEngine
    private let cwd: String
    private let counters: Counters
    private let gate: LargeFileGate
    private let queue: BoundedQueue<WorkItem>?
    private let scanner: YaraScanner?
    private var scannerError: Diagnostic?
    private var owners = OwnerNames()
    private var buffer = ReadBuffer()
    /// Container members are read into a buffer of their own: after a container was read into
    /// `buffer`, each smaller-then-larger member would zero-fill its way back up (measured: 84 % of a
    /// debug-build tar scan in `ReadBuffer.fill`).
    private var memberBuffer = ReadBuffer()
    private(set) var output = WorkerOutput()

    init(engine: ScanEngine, cwd: String, counters: Counters, gate: LargeFileGate, queue: BoundedQueue<WorkItem>? = nil) {
        self.engine = engine
        self.queue = queue
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
        if let member = item.member {
            processMember(item, member)
            return
        }
        if let expansion = item.expansion {
            expand(item.path.display, expansion)
            return
        }
        let path = item.path.display
        let absolute = path.hasPrefix("/") ? path : cwd + "/" + path
        // Set when the file turns out to be a container to look inside once it is scanned.
        var container: (any ContainerFormat)?
        var probeOnDisk = false
        defer {
            if probeOnDisk, let walker = engine.containerWalker(report: { report($0) }) {
                container = ContainerWalker.probe(path: item.path.display).flatMap { walker.recognize($0) }
            }
            if let container { lookInside(item.path, ExpansionWork(display: path, absolute: absolute, format: container)) }
        }
        let names = engine.filenames.match(path: absolute)
        output.filenameHitsSuppressed += names.suppressed.count
        var findings = names.hits.map { FindingFactory.filenameHit($0, path: path) }
        defer { record(findings) }

        var heldGate = false
        let cache = engine.configuration.cache
        let digest = engine.cacheDigest
        var hit: CachedFileResult?
        do {
            let file = try FileReader.read(
                item, maxFileSize: engine.configuration.options.maxFileSize,
                extraDigests: engine.configuration.extraDigests, largeFileGate: gate,
                into: &buffer, throttle: engine.throttle, statFirst: cache != nil,
                reuse: { stamp in
                    guard let cache else { return false }
                    hit = cache.lookup(path: absolute, stamp: stamp, configurationDigest: digest)
                    return hit != nil
                })
            heldGate = file.holdsLargeFileGate
            var recognised = false
            // Recognised from the bytes just read, a container is handed to another worker to walk
            // before this one examines the container's own bytes, so both run at once.
            if engine.configuration.options.containers != nil, let walker = engine.containerWalker(report: { report($0) }),
                let format = walker.recognize(ContainerProbe(
                    fileName: String(path.split(separator: "/").last ?? ""), size: Int64(file.bytes.count),
                    head: Array(file.bytes.prefix(ContainerProbe.headBytes)), tail: Array(file.bytes.suffix(ContainerProbe.tailBytes))))
            {
                recognised = true
                let work = ExpansionWork(display: path, absolute: absolute, format: format)
                if let queue, engine.threadCount > 1 {
                    queue.pushExpansion(WorkItem(path: item.path, mayFollow: item.mayFollow, expansion: work))
                } else {
                    container = format
                }
            }
            var result = examine(file, path: path, absolute: absolute)
            if engine.configuration.options.containers != nil { result.cached.isContainer = recognised }
            findings += result.findings
            if let cache, result.cacheable {
                cache.store(path: absolute, stamp: file.stamp, configurationDigest: digest, result: result.cached)
            }
            if engine.configuration.options.collectsInventory { recordInventory(absolute, file.stamp, result.cached) }
        } catch {
            switch error {
            case .diagnostic(let d):
                if d.kind == "skipped-size" {
                    output.skippedForSize += 1
                    // Too large to scan whole, but a container's members may each be small enough.
                    probeOnDisk = engine.configuration.options.containers != nil
                }
                report(d)
            case .reused(let stamp):
                if let hit { findings += reuse(hit, path: path, absolute: absolute, stamp: stamp) }
                // The cache holds the container file's own result, not its members': look inside again
                // (and read the file's ends to find out only when the result does not say).
                probeOnDisk = engine.configuration.options.containers != nil && (hit?.isContainer ?? true)
            }
        }
        // `file` is out of scope here, so nothing uses the gate's storage any more.
        if heldGate { gate.leave() }
    }

    /// Scans one extracted container member like a file, under its chain path, then deletes its
    /// file (a member handed over in memory has none).
    private func processMember(_ item: WorkItem, _ member: MemberWork) {
        defer { if member.bytes == nil { unlink(item.path.display) } }
        let names = engine.filenames.match(path: member.absolute)
        output.filenameHitsSuppressed += names.suppressed.count
        var findings = names.hits.map { FindingFactory.filenameHit($0, path: member.display) }
        defer { record(findings) }
        var heldGate = false
        do {
            let file: ReadFile
            if let bytes = member.bytes {
                file = try FileReader.read(
                    memory: bytes, name: member.display, maxFileSize: engine.configuration.options.maxFileSize,
                    extraDigests: engine.configuration.extraDigests)
            } else {
                file = try FileReader.read(
                    item, maxFileSize: engine.configuration.options.maxFileSize,
                    extraDigests: engine.configuration.extraDigests, largeFileGate: gate,
                    into: &memberBuffer, throttle: engine.throttle)
            }
            heldGate = file.holdsLargeFileGate
            output.memberFiles += 1
            output.memberBytes += file.bytes.count
            findings += examine(file, path: member.display, absolute: member.absolute, isMember: true).findings
        } catch {
            if case .diagnostic(let d) = error {
                if d.kind == "skipped-size" { output.skippedForSize += 1 }
                // The reader named the temporary file; the report names the member.
                report(Diagnostic(kind: d.kind, path: member.display, line: d.line, offset: d.offset, message: d.message))
            }
        }
        if heldGate { gate.leave() }
    }

    /// Walks a container now, or queues it for whichever worker is free first.
    private func lookInside(_ path: RawPath, _ work: ExpansionWork) {
        if let queue, engine.threadCount > 1 {
            queue.pushExpansion(WorkItem(path: path, mayFollow: false, expansion: work))
        } else {
            expand(path.display, work)
        }
    }

    /// Looks inside a container: each regular member is extracted (into memory up to
    /// ``ScanEngine/memberBytesInMemory``, else into the private temporary folder) and queued
    /// (ahead of the walker's files) for any worker to scan; this worker helps scan them whenever
    /// more than two per worker wait, so extracted members never pile up.
    private func expand(_ onDisk: String, _ work: ExpansionWork) {
        let display = work.display, absolute = work.absolute, format = work.format
        guard var walker = engine.containerWalker(report: { report($0) }) else { return }
        walker.memberBytesInMemory = engine.memberBytesInMemory
        let limit = 2 * max(1, engine.threadCount)
        let summary = walker.walk(
            path: onDisk, chain: ContainerPath(outer: display), format: format,
            visit: { member in
                let absoluteChain = ContainerPath(outer: absolute, members: member.chain.members).description
                let work: WorkItem
                if let bytes = member.bytes {
                    work = WorkItem(
                        path: RawPath(member.chain.description), mayFollow: false,
                        member: MemberWork(display: member.chain.description, absolute: absoluteChain, bytes: bytes))
                } else if let file = member.file {
                    work = WorkItem(path: RawPath(file), mayFollow: false, member: MemberWork(display: member.chain.description, absolute: absoluteChain))
                } else {
                    return false
                }
                guard let queue else {
                    processMember(work, work.member!)
                    return true
                }
                queue.pushUrgent(work)
                while queue.urgentCount > limit, let next = queue.popUrgent() { process(next) }
                return true
            },
            report: { event in
                switch event {
                case .diagnostic(let d): report(d)
                case .finding(let f): record([f])
                }
            })
        if summary.opened { output.containers += 1 + summary.nestedContainers }
    }

    /// Reports a cached result as if the file had been read: its findings and diagnostics under the
    /// path as given this time, and its facts for the folder checks.
    private func reuse(_ hit: CachedFileResult, path: String, absolute: String, stamp: FileStamp) -> [Finding] {
        output.filesFromCache += 1
        counters.files.add(1, ordering: .relaxed)
        for d in hit.diagnostics { report(Diagnostic(kind: d.kind, path: path, line: d.line, offset: d.offset, message: d.message)) }
        if let facts = hit.facts {
            let analysis = FileAnalysis(path: path, facts: facts)
            engine.configuration.detections.remember(analysis)
            output.analyses.append(analysis)
        }
        if engine.configuration.options.collectsInventory { recordInventory(absolute, stamp, hit) }
        return hit.findings.map { f in
            var copy = f
            copy.path = path
            return copy
        }
    }

    private func recordInventory(_ absolute: String, _ stamp: FileStamp, _ result: CachedFileResult) {
        let record = InventoryRecord(
            path: absolute, hashes: result.hashes, size: stamp.size,
            modified: stamp.modifiedNanoseconds >= 0 ? stamp.modifiedNanoseconds / 1_000_000_000 : (stamp.modifiedNanoseconds + 1) / 1_000_000_000 - 1,
            facts: result.inventory ?? InventoryFacts())
        if let sink = engine.configuration.inventorySink { sink.receive(record) } else { output.inventory.append(record) }
    }

    /// Hash, YARA and structural checks of one file that was read.
    private func examine(_ file: ReadFile, path: String, absolute: String, isMember: Bool = false) -> Examined {
        var findings: [Finding] = []
        var fileDiagnostics: [Diagnostic] = []
        var cacheable = file.changeNote == nil
        if let note = file.changeNote { report(Diagnostic(kind: "changed", path: path, message: note)) }
        if !isMember {
            output.files += 1
            output.bytes += file.bytes.count
        }
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
                    cacheable = false
                    report(Diagnostic(
                        kind: "yara-match-limit", path: path,
                        message: "strings \(outcome.stringsOverMatchLimit.joined(separator: ", ")) hit libyara's match limit; their rules may be incomplete"))
                }
            } catch {
                let kind = error.code == .timeout ? "yara-timeout" : "yara-error"
                cacheable = false  // a timeout may not happen next time
                report(Diagnostic(kind: kind, path: path, message: error.message))
            }
        }

        let analysis = engine.configuration.detections.analyze(ScannedFile(path: path, bytes: file.bytes, format: format))
        findings += analysis.findings
        for d in analysis.diagnostics { report(d) }
        fileDiagnostics += analysis.diagnostics
        if analysis.facts != nil { output.analyses.append(analysis) }

        var inventory: InventoryFacts?
        if engine.configuration.options.collectsInventory && !isMember {
            inventory = InventoryFacts.extract(bytes: file.bytes, format: format, facts: analysis.facts)
        }
        let cached = CachedFileResult(
            hashes: file.hashes, findings: findings, diagnostics: fileDiagnostics, facts: analysis.facts,
            inventory: inventory, bytes: file.bytes.count)
        return Examined(findings: findings, cached: cached, cacheable: cacheable)
    }

    private struct Examined {
        var findings: [Finding]
        var cached: CachedFileResult
        var cacheable: Bool
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
