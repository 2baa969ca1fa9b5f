import VigilBinary
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
        var ownBytesAfterWalk = false
        var probeOnDisk = false
        // Set when the result came from the cache: a container's own YARA search was not cached.
        var reused = false
        defer {
            if probeOnDisk, let walker = engine.containerWalker(report: { report($0) }) {
                let probe = ContainerWalker.probe(path: item.path.display)
                container = probe.flatMap { walker.recognize($0) }
                ownBytesAfterWalk = reused && container != nil && probe.map(searchesOwnBytesAfterWalk) == true
            }
            if let container {
                lookInside(item.path, ExpansionWork(display: path, absolute: absolute, format: container, ownBytesAfterWalk: ownBytesAfterWalk))
            }
        }
        let names = engine.filenames.match(path: absolute)
        output.filenameHitsSuppressed += names.suppressed.count
        var findings = names.hits.map { FindingFactory.filenameHit($0, path: path) }
        defer { record(findings) }

        var heldGate = false
        let cache = engine.configuration.cache
        let digest = engine.cacheDigest
        var hit: CachedFileResult?
        let name = String(path.split(separator: "/").last ?? "")
        let walker = engine.configuration.options.containers == nil ? nil : engine.containerWalker(report: { report($0) })
        var recognised = false
        /// Queues a container recognised from `probe` for another worker to walk.
        func queueWalk(_ format: any ContainerFormat, _ probe: ContainerProbe, _ queue: BoundedQueue<WorkItem>) {
            recognised = true
            ownBytesAfterWalk = searchesOwnBytesAfterWalk(probe)
            let work = ExpansionWork(display: path, absolute: absolute, format: format, ownBytesAfterWalk: ownBytesAfterWalk)
            queue.pushExpansion(WorkItem(path: item.path, mayFollow: item.mayFollow, expansion: work))
        }
        do {
            let file = try FileReader.read(
                item, maxFileSize: engine.configuration.options.maxFileSize,
                extraDigests: engine.configuration.extraDigests, largeFileGate: gate,
                into: &buffer, throttle: engine.throttle, statFirst: cache != nil,
                reuse: { stamp in
                    guard let cache else { return false }
                    hit = cache.lookup(path: absolute, stamp: stamp, configurationDigest: digest)
                    return hit != nil
                },
                onHead: { head, size in
                    // A large container recognised from its first bytes is walked by another worker
                    // while this one reads and hashes the rest.
                    guard let walker, let queue = self.queue, self.engine.threadCount > 1 else { return }
                    let probe = ContainerProbe(fileName: name, size: Int64(size), head: Array(head), tail: [])
                    if let format = walker.recognize(probe) { queueWalk(format, probe, queue) }
                })
            heldGate = file.holdsLargeFileGate
            // Recognised from the bytes just read, a container is handed to another worker to walk
            // before this one examines the container's own bytes, so both run at once.
            if !recognised, let walker {
                let probe = ContainerProbe(
                    fileName: name, size: Int64(file.bytes.count),
                    head: Array(file.bytes.prefix(ContainerProbe.headBytes)), tail: Array(file.bytes.suffix(ContainerProbe.tailBytes)))
                if let format = walker.recognize(probe) {
                    if let queue, engine.threadCount > 1 {
                        queueWalk(format, probe, queue)
                    } else {
                        recognised = true
                        ownBytesAfterWalk = searchesOwnBytesAfterWalk(probe)
                        container = format
                    }
                }
            }
            var result = examine(file, path: path, absolute: absolute, yara: ownBytesAfterWalk ? .afterWalk : .whole)
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
                reused = true
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
        if let bytes = member.bytes { counters.queuedMemberBytes.subtract(bytes.count, ordering: .relaxed) }
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
            let search: OwnBytesSearch = member.membersReadInFull.map { .framing(members: $0) } ?? .whole
            findings += examine(file, path: member.display, absolute: member.absolute, isMember: true, yara: search).findings
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
    /// more than two per worker, or more than ``ScanEngine/queuedMemberBytesBudget`` bytes, wait, so
    /// extracted members never pile up.
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
                        member: MemberWork(
                            display: member.chain.description, absolute: absoluteChain, bytes: bytes, size: member.size,
                            membersReadInFull: member.membersReadInFull))
                } else if let file = member.file {
                    work = WorkItem(path: RawPath(file), mayFollow: false, member: MemberWork(
                            display: member.chain.description, absolute: absoluteChain, size: member.size, membersReadInFull: member.membersReadInFull))
                } else {
                    return false
                }
                if let bytes = member.bytes { counters.queuedMemberBytes.add(bytes.count, ordering: .relaxed) }
                guard let queue else {
                    processMember(work, work.member!)
                    return true
                }
                queue.pushUrgent(work)
                // Help scanning while members pile up. A small member (the one just extracted, if
                // it is) takes this worker away from extracting only briefly; a large one is left
                // to the others, which would otherwise run dry of work while this one scans it,
                // unless members pile up past twice the limit or the byte budget.
                while queue.urgentCount > limit || counters.queuedMemberBytes.load(ordering: .relaxed) > ScanEngine.queuedMemberBytesBudget {
                    if let next = queue.popNewestUrgent(if: { ($0.member?.size ?? 0) <= Self.smallMember }) {
                        process(next)
                    } else if queue.urgentCount > 2 * limit || counters.queuedMemberBytes.load(ordering: .relaxed) > ScanEngine.queuedMemberBytesBudget,
                        let next = queue.popUrgent()
                    {
                        process(next)
                    } else {
                        break
                    }
                }
                return true
            },
            report: { event in
                switch event {
                case .diagnostic(let d): report(d)
                case .finding(let f): record([f])
                }
            })
        if summary.opened { output.containers += 1 + summary.nestedContainers }
        if work.ownBytesAfterWalk { searchOwnBytes(onDisk, work, summary) }
    }

    /// The framing of a container held in memory whose walk read `members` (see
    /// ``MemberDataLayout/leftOut(after:)``): the bytes to search, their places in the file, and the
    /// member-data bytes left out; `nil` when its layout is not read with confidence.
    private static func framing(of bytes: [UInt8], members: [ReadMember]) -> (parts: [UInt8], blocks: [(offset: Int64, length: Int)], dataBytes: Int)? {
        let probe = ContainerProbe(fileName: "", size: Int64(bytes.count), head: Array(bytes.prefix(ContainerProbe.headBytes)), tail: [])
        guard let kind = MemberDataLayout.kind(of: probe),
            let layout = MemberDataLayout.read(kind, size: Int64(bytes.count), read: { offset, count in
                guard offset >= 0, offset < Int64(bytes.count), count > 0 else { return [] }
                return Array(bytes[Int(offset)..<Int(min(Int64(bytes.count), offset + Int64(count)))])
            }), let leftOut = layout.leftOut(after: members)
        else { return nil }
        var parts: [UInt8] = []
        var blocks: [(offset: Int64, length: Int)] = []
        for r in layout.framing(leavingOut: leftOut) {
            blocks.append((offset: r.lowerBound, length: Int(r.upperBound - r.lowerBound)))
            parts += bytes[Int(r.lowerBound)..<Int(r.upperBound)]
        }
        return (parts, blocks, leftOut.reduce(0) { $0 + Int($1.upperBound - $1.lowerBound) })
    }

    /// A member an extracting worker scans itself rather than leave to the others: 1 MiB.
    private static let smallMember: Int64 = 1 << 20

    /// Whether a container's own bytes are searched with YARA after its walk rather than when
    /// read: for the archives whose member data Vigil can locate (tar, ZIP), when there are rules.
    private func searchesOwnBytesAfterWalk(_ probe: ContainerProbe) -> Bool {
        scanner != nil && MemberDataLayout.kind(of: probe) != nil
    }

    /// Searches a container's own bytes with YARA once its walk is over. When the walk read every
    /// member as its header described it, the members' data (stored bytes, and deflated data the
    /// reader consumed to its very end) is left out and only the framing is searched: headers,
    /// names, directories and any byte no member accounts for. Otherwise, or when the layout cannot
    /// be read with confidence, the whole file is searched, as for any file.
    private func searchOwnBytes(_ onDisk: String, _ work: ExpansionWork, _ summary: ContainerWalkSummary) {
        guard let scanner else { return }
        // As the walker opened it: never blocking on a FIFO swapped in since.
        let fd = QuietFile.open(onDisk)
        guard fd >= 0 else {
            report(Diagnostic(kind: "unreadable", path: work.display, message: "cannot reopen the container for its YARA search: \(String(cString: strerror(errno)))"))
            return
        }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0, st.st_mode & S_IFMT == S_IFREG else {
            report(Diagnostic(kind: "changed", path: work.display, message: "the container is no longer a regular file; its own bytes were not searched with YARA"))
            return
        }
        let size = Int64(st.st_size)
        let head = readAt(fd, offset: 0, count: Int(min(size, Int64(ContainerProbe.headBytes))))
        // The member data to leave out: `nil` unless the walk read the very members the layout
        // found (as many, as large, in order) and every one in full.
        var leftOut: (layout: MemberDataLayout, ranges: [Range<Int64>])?
        if summary.readEveryOuterMember,
            let kind = MemberDataLayout.kind(of: ContainerProbe(fileName: "", size: size, head: head, tail: [])),
            let layout = MemberDataLayout.read(kind, size: size, read: { readAt(fd, offset: $0, count: $1) }),
            let ranges = layout.leftOut(after: summary.outerMembers)
        {
            leftOut = (layout, ranges)
        }
        var heldGate = false
        defer { if heldGate { gate.leave() } }
        let bytes: [UInt8]
        var blocks: [(offset: Int64, length: Int)]
        var hashes: FileHashes?
        if let leftOut {
            blocks = leftOut.layout.framing(leavingOut: leftOut.ranges).map { (offset: $0.lowerBound, length: Int($0.upperBound - $0.lowerBound)) }
            let total = blocks.reduce(0) { $0 + $1.length }
            if total > LargeFileGate.threshold {
                gate.enter()
                heldGate = true
            }
            var parts: [UInt8] = []
            parts.reserveCapacity(total)
            for b in blocks { parts += readAt(fd, offset: b.offset, count: b.length) }
            guard parts.count == total else {
                report(Diagnostic(kind: "changed", path: work.display, message: "the container shrank while it was scanned; its own bytes were not searched with YARA"))
                return
            }
            bytes = parts
            output.containerDataBytesLeftToMembers += leftOut.ranges.reduce(0) { $0 + Int($1.upperBound - $1.lowerBound) }
        } else {
            do {
                let file = try FileReader.read(
                    WorkItem(path: RawPath(onDisk), mayFollow: false), maxFileSize: engine.configuration.options.maxFileSize,
                    extraDigests: engine.configuration.extraDigests, largeFileGate: gate, into: &buffer, throttle: engine.throttle)
                heldGate = file.holdsLargeFileGate
                bytes = file.bytes
                hashes = file.hashes
                blocks = [(offset: 0, length: bytes.count)]
            } catch {
                // Its own bytes go unsearched: say why (it may have grown past --max-file-size since).
                if case .diagnostic(let d) = error {
                    report(Diagnostic(
                        kind: d.kind, path: work.display, line: d.line, offset: d.offset,
                        message: "\(d.message); the container's own bytes were not searched with YARA"))
                }
                return
            }
        }
        let externals = LokiExternals(absolutePath: work.absolute, format: FileFormat.identify(head), owner: owners.name(for: UInt32(st.st_uid)))
        do {
            for (name, value) in externals.pairs { try scanner.setExternal(name, value) }
            let outcome = try scanner.scan(parts: bytes, blocks: blocks, fileSize: size)
            if !outcome.matches.isEmpty, hashes == nil {
                // Findings carry the container's SHA-256: read it once more, only when a rule matched.
                if heldGate {
                    gate.leave()
                    heldGate = false
                }
                hashes = try? FileReader.read(
                    WorkItem(path: RawPath(onDisk), mayFollow: false), maxFileSize: Int.max,
                    extraDigests: engine.configuration.extraDigests, largeFileGate: gate
                ).hashes
                if hashes == nil {
                    report(Diagnostic(
                        kind: "changed", path: work.display,
                        message: "the container could not be read again for the SHA-256 of its YARA findings; they carry none"))
                }
            }
            record(outcome.matches.map { FindingFactory.yaraHit($0, path: work.display, hashes: hashes ?? FileHashes(md5: "", sha1: "", sha256: "")) })
            if !outcome.stringsOverMatchLimit.isEmpty {
                report(Diagnostic(
                    kind: "yara-match-limit", path: work.display,
                    message: "strings \(outcome.stringsOverMatchLimit.joined(separator: ", ")) hit libyara's match limit; their rules may be incomplete"))
            }
        } catch {
            report(Diagnostic(kind: error.code == .timeout ? "yara-timeout" : "yara-error", path: work.display, message: error.message))
        }
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

    /// How a file's own bytes are searched with YARA.
    enum OwnBytesSearch: Equatable {
        /// All of them, as for any file.
        case whole
        /// Not now: the container's search waits for its walk (``searchOwnBytes(_:_:_:)``).
        case afterWalk
        /// A container read in full, whose regular members had these sizes: only its framing, when
        /// its layout is read with confidence and shows the same members (else all of it).
        case framing(members: [ReadMember])
    }

    /// Hash, YARA and structural checks of one file that was read.
    private func examine(_ file: ReadFile, path: String, absolute: String, isMember: Bool = false, yara: OwnBytesSearch = .whole) -> Examined {
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
        if let scanner, yara != .afterWalk {
            let externals = LokiExternals(absolutePath: absolute, format: format, owner: owners.name(for: file.ownerID))
            do {
                for (name, value) in externals.pairs { try scanner.setExternal(name, value) }
                let outcome: YaraScanner.Outcome
                if case .framing(let members) = yara, let framing = Self.framing(of: file.bytes, members: members) {
                    outcome = try scanner.scan(parts: framing.parts, blocks: framing.blocks, fileSize: Int64(file.bytes.count))
                    output.containerDataBytesLeftToMembers += framing.dataBytes
                } else {
                    outcome = try scanner.scan(file.bytes)
                }
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

