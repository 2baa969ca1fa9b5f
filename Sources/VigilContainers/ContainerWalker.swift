import VigilCore

#if canImport(Glibc)
    @preconcurrency import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// One member handed to the walker's visitor.
public struct ExtractedMember: Sendable {
    /// The member's chain path (`outer.7z!/dir/ffmpeg.dll`).
    public var chain: ContainerPath
    /// Its safe name inside its own container, with what was wrong with the stored name.
    public var name: MemberName
    /// What the container said about it.
    public var info: ContainerMemberInfo
    /// For a regular member read in full: the file in the private temporary folder holding its
    /// bytes, valid during the visit (unless the visitor keeps it). `nil` for other members and
    /// for members handed over in ``bytes``.
    public var file: String?
    /// For a regular member read in full that is no larger than
    /// ``ContainerWalker/memberBytesInMemory`` (and is not a container the walker opened): its
    /// bytes, with no file written. Exactly one of ``file`` and ``bytes`` is set for a regular
    /// member read in full.
    public var bytes: [UInt8]? = nil
    /// Bytes actually read (a member may declare another size).
    public var size: Int64
    /// The format of the container holding it, as detected (`7-Zip`, `MS CAB`…).
    public var containerFormat: String
    /// For a symbolic link: the target resolved inside the container, `nil` when it leaves it.
    public var resolvedLink: String?
    /// The member is a container the walker opened: its members were visited before it.
    public var openedAsContainer = false
    /// For a container the walker opened: its regular members in the order read, when every one
    /// was read in full, as large as its header said, and nothing stopped the walk inside it (`nil`
    /// otherwise). A scan may then leave their bytes out of the container's own search
    /// (``MemberDataLayout``).
    public var membersReadInFull: [ReadMember]?
}

/// A regular member as a walk read it.
public struct ReadMember: Sendable, Hashable {
    /// Bytes read.
    public var size: Int64
    /// Bytes of the container file the reader had consumed once the member's data was read (for
    /// libarchive, its position in the file: where a ZIP member's compressed stream ended), when the
    /// reader knows.
    public var endOffset: Int64?

    public init(size: Int64, endOffset: Int64? = nil) {
        self.size = size
        self.endOffset = endOffset
    }
}

/// Something the walker reports: a diagnostic (a cap hit, an unreadable member) or a finding (a
/// hostile name, a link out of the container, a decompression bomb).
public enum ContainerEvent: Sendable {
    case diagnostic(Diagnostic)
    case finding(Finding)
}

/// What one walk did.
public struct ContainerWalkSummary: Sendable {
    /// The file was a container and was opened.
    public var opened = false
    public var formatName = ""
    /// Members seen (nested included) and bytes extracted.
    public var members = 0
    public var bytes: Int64 = 0
    /// Nested containers opened.
    public var nestedContainers = 0
    /// A cap or damage stopped the walk before the end.
    public var stoppedEarly = false
    /// The regular members of the outer container read in full and handed to the visitor, in the
    /// order read.
    public var outerMembers: [ReadMember] = []
    /// Regular members of the outer container not read in full (over a cap, unreadable, encrypted)
    /// or not as large as their header said.
    public var outerMembersMissed = 0
    /// Something stopped the walk before the outer container's end (damage there, or a cap).
    public var outerStoppedEarly = false

    /// Every regular member of the outer container was read in full, and nothing stopped the walk
    /// before its end (a damaged nested container does not count: it was itself read in full).
    public var readEveryOuterMember: Bool { opened && !outerStoppedEarly && outerMembersMissed == 0 }

    public init() {}
}

/// Looks inside containers: recognises a container by its probe, extracts members one at a time
/// into the ``PrivateWorkspace`` (never anywhere else on disk; small ones into memory when
/// ``memberBytesInMemory`` allows), hands each to a visitor, follows nested
/// containers up to ``ContainerLimits/maxDepth``, and reports every cap hit, unreadable member and
/// hostile name as a ``ContainerEvent``. Nothing is skipped silently.
///
/// One walker may be used by one thread at a time; make one per thread.
public struct ContainerWalker: Sendable {
    public var formats: [any ContainerFormat]
    public var limits: ContainerLimits
    public let workspace: PrivateWorkspace
    /// Decides which nested containers to open (default: every one the formats recognise). A
    /// nested container it declines is handed over as a plain member, without a diagnostic.
    public var opensNested: (@Sendable (ContainerProbe) -> Bool)? = nil
    /// Regular members up to this many bytes are handed to the visitor in memory
    /// (``ExtractedMember/bytes``) instead of through a file; a member that grows past it while
    /// being read, and a nested container the walker opens, still go to a file of the private
    /// folder. 0 (the default): every member goes to a file.
    public var memberBytesInMemory = 0

    public init(formats: [any ContainerFormat] = ContainerFormats.builtIn, limits: ContainerLimits = .standard, workspace: PrivateWorkspace) {
        self.formats = formats
        self.limits = limits
        self.workspace = workspace
    }

    /// Reads the probe of the regular file at `path` (its head and tail), or `nil` when it cannot
    /// be opened or is not a regular file.
    public static func probe(path: String, name: String? = nil) -> ContainerProbe? {
        let fd = openReadOnly(path)
        guard fd >= 0 else { return nil }
        defer { closeFD(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0, st.st_mode & S_IFMT == S_IFREG else { return nil }
        let size = Int64(st.st_size)
        let head = readAt(fd, offset: 0, count: Int(min(size, Int64(ContainerProbe.headBytes))))
        let tailCount = Int(min(size, Int64(ContainerProbe.tailBytes)))
        let tail = readAt(fd, offset: size - Int64(tailCount), count: tailCount)
        let base = name ?? String(path.split(separator: "/").last ?? Substring(path))
        return ContainerProbe(fileName: base, size: size, head: head, tail: tail)
    }

    /// The first format that recognises the probe, or `nil`.
    public func recognize(_ probe: ContainerProbe) -> (any ContainerFormat)? {
        formats.first { $0.recognizes(probe) }
    }

    /// Walks the container at `path`, named `chain` in every report.
    /// - Parameters:
    ///   - format: the format that recognised it (else the walker probes the file itself).
    ///   - visit: called for every member (regular members with their extracted file, other kinds
    ///     without). Return `true` to keep the member's file: the visitor then owns it and must
    ///     delete it; otherwise the walker deletes it when `visit` returns or throws. For a nested
    ///     container, its members are visited before the container member itself.
    ///   - report: receives every diagnostic and finding.
    /// - Returns: what the walk did; ``ContainerWalkSummary/opened`` is `false` when the file is no
    ///   container (nothing was reported then).
    /// - Throws: only what `visit` throws (after removing the member's file).
    @discardableResult
    public func walk(
        path: String, chain: ContainerPath, format: (any ContainerFormat)? = nil,
        visit: (ExtractedMember) throws -> Bool, report: (ContainerEvent) -> Void
    ) rethrows -> ContainerWalkSummary {
        var summary = ContainerWalkSummary()
        guard let probe = Self.probe(path: path, name: chain.members.last ?? String(chain.outer.split(separator: "/").last ?? "")) else {
            return summary
        }
        guard let format = format ?? recognize(probe) else { return summary }
        let budget = WalkBudget(limits: limits)
        var state = WalkState()
        var direct = DirectMembers()
        _ = try walkOne(
            path: path, probe: probe, format: format, chain: chain, budget: budget, state: &state, summary: &summary, direct: &direct,
            visit: visit, report: report)
        summary.outerMembers = direct.members
        summary.outerMembersMissed = direct.missed
        summary.outerStoppedEarly = direct.stopped
        return summary
    }

    private struct WalkState {
        var stopAll = false
    }

    /// The regular members of one container (not those of containers inside it).
    private struct DirectMembers {
        var members: [ReadMember] = []
        var missed = 0
        /// Something stopped the walk before this container's end.
        var stopped = false
        var complete: Bool { !stopped && missed == 0 }
    }

    private func walkOne(
        path: String, probe: ContainerProbe, format: any ContainerFormat, chain: ContainerPath, budget: WalkBudget,
        state: inout WalkState, summary: inout ContainerWalkSummary, direct: inout DirectMembers,
        visit: (ExtractedMember) throws -> Bool, report: (ContainerEvent) -> Void
    ) rethrows -> Bool {
        let here = chain.description
        let reader: any ContainerReader
        do {
            reader = try format.open(path: path, probe: probe)
        } catch let e as ContainerError where e.kind == .notAContainer {
            return false
        } catch {
            report(.diagnostic(Diagnostic(kind: "container-unreadable", path: here, offset: offsetOf(error), message: "cannot open the container: \(error)")))
            if chain.depth == 0 { summary.opened = true }
            summary.stoppedEarly = true
            direct.stopped = true
            return true
        }
        let tally = ContainerTally(containerSize: probe.size)
        var first = true
        var seenNames: [String: Int] = [:]
        func flushNotes() {
            for note in reader.takeNotes() {
                let where_ = note.member.map { chain.appending(MemberName.normalise($0).path).description } ?? here
                report(.diagnostic(Diagnostic(kind: note.kind, path: where_, offset: note.offset.map { Int($0) }, message: note.message)))
            }
        }
        defer { flushNotes() }

        while !state.stopAll {
            let info: ContainerMemberInfo?
            do {
                info = try reader.nextMember()
            } catch let e as ContainerError where e.kind == .notAContainer && first {
                return false
            } catch {
                if first && chain.depth == 0 { summary.opened = true; summary.formatName = reader.formatName }
                let member = (error as? ContainerError)?.member.map { " after member '\($0)'" } ?? ""
                report(.diagnostic(Diagnostic(
                    kind: "container-unreadable", path: here, offset: offsetOf(error),
                    message: "\(reader.formatName): the container is damaged or truncated\(member); \(describe(error)); members after this point were not read")))
                summary.stoppedEarly = true
                direct.stopped = true
                return true
            }
            if first {
                first = false
                if chain.depth == 0 {
                    summary.opened = true
                    summary.formatName = reader.formatName
                } else {
                    summary.nestedContainers += 1
                }
            }
            guard let info else { break }
            flushNotes()
            budget.members += 1
            summary.members += 1
            if budget.members > limits.maxMembers {
                report(.diagnostic(Diagnostic(
                    kind: "container-limit", path: here,
                    message: "more than \(limits.maxMembers) members (cap member-count, nested containers included); the rest were not read")))
                state.stopAll = true
                summary.stoppedEarly = true
                direct.stopped = true
                break
            }
            var name = MemberName.normalise(info.installPath ?? info.name)
            if info.installPath != nil {
                // The stored name must be just as safe; report what is wrong with either.
                name.problems += MemberName.normalise(info.name).problems
                name.stored = info.name
            }
            // Two members with one safe name stay apart in reports.
            let count = seenNames[name.path, default: 0] + 1
            seenNames[name.path] = count
            if count > 1 {
                report(.diagnostic(Diagnostic(
                    kind: "duplicate-member", path: chain.appending(name.path).description,
                    message: "the container holds \(count) members named '\(name.path)'; this one is reported as '\(name.path) (duplicate \(count))'")))
                name.path += " (duplicate \(count))"
            }
            let memberChain = chain.appending(name.path)
            if name.isHostile { report(.finding(Self.hostileName(name, chain: memberChain, format: reader.formatName))) }
            var member = ExtractedMember(chain: memberChain, name: name, info: info, file: nil, size: 0, containerFormat: reader.formatName)

            switch info.kind {
            case .directory:
                _ = try visit(member)
                continue
            case .symlink:
                let target = info.linkTarget ?? ""
                member.resolvedLink = MemberName.resolveLink(target, from: name)
                if member.resolvedLink == nil {
                    report(.finding(Self.linkOutside(target: target, chain: memberChain, format: reader.formatName)))
                }
                _ = try visit(member)
                continue
            case .hardlink:
                report(.diagnostic(Diagnostic(
                    kind: "container-link", path: memberChain.description,
                    message: "hard link to '\(info.linkTarget ?? "")': its bytes are those of that member, reported under its name")))
                _ = try visit(member)
                continue
            case .other:
                report(.diagnostic(Diagnostic(
                    kind: "special-file", path: memberChain.description,
                    message: "device, FIFO or other special member: not extracted or scanned")))
                continue
            case .regular:
                break
            }

            // A regular member: stream it into memory while small, else into a fresh file of the
            // private folder.
            let sink: MemberSink
            if memberBytesInMemory > 0 {
                let workspace = self.workspace
                sink = MemberSink(
                    memoryLimit: memberBytesInMemory, expected: Int(clamping: info.declaredSize ?? 0), member: info.name,
                    budget: budget, container: tally, createFile: { try workspace.createFile() })
            } else {
                do {
                    let created = try workspace.createFile()
                    sink = MemberSink(fd: created.fd, path: created.path, member: info.name, budget: budget, container: tally)
                } catch {
                    report(.diagnostic(Diagnostic(kind: "container-unreadable", path: memberChain.description, message: "\(error)")))
                    state.stopAll = true
                    summary.stoppedEarly = true
                    direct.stopped = true
                    break
                }
            }
            var keep = false
            // The member's file, once there is one (a spilled sink's, or a nested container written out).
            var written: String?
            defer { if !keep, let path = written ?? sink.path { unlink(path) } }
            var readError: (any Error)?
            // Where the reader stands in the container file once the member's data is read.
            var endOffset: Int64?
            do {
                try reader.readMember(into: sink)
                endOffset = reader.inputBytesConsumed
            } catch {
                readError = error
            }
            if sink.fd >= 0 { closeFD(sink.fd) }
            if let readError {
                direct.missed += 1
                let e = readError as? ContainerError
                switch e?.kind {
                case .limit?:
                    let cap = e?.limit ?? "limit"
                    report(.diagnostic(Diagnostic(
                        kind: "container-limit", path: memberChain.description, offset: info.offset.map { Int($0) },
                        message: "\(e!.message) (cap \(cap)); the member was not scanned")))
                    if cap == "expansion-ratio" {
                        report(.finding(Self.bomb(chain: chain, member: memberChain, format: reader.formatName, message: e!.message)))
                    }
                    if cap == "member-size" {
                        // Skipping the rest still decompresses it: charge what it declares, and stop
                        // when it declares nothing or more than the budget left.
                        let rest = (info.declaredSize ?? Int64.max) - sink.bytesWritten
                        if rest > limits.maxTotalBytes - budget.totalBytes {
                            report(.diagnostic(Diagnostic(
                                kind: "container-limit", path: here,
                                message: "skipping the oversized member '\(name.path)' would decompress more than the total cap allows (cap total-bytes); the rest of this container was not read")))
                            summary.stoppedEarly = true
                            direct.stopped = true
                            return true
                        }
                        budget.totalBytes += max(0, rest)
                        continue
                    }
                    state.stopAll = true
                    summary.stoppedEarly = true
                    direct.stopped = true
                    return true
                case .memberUnreadable?, .unsupported?:
                    report(.diagnostic(Diagnostic(
                        kind: e!.kind == .unsupported ? "container-unsupported" : "container-unreadable",
                        path: memberChain.description, offset: (e!.offset ?? info.offset).map { Int($0) },
                        message: "\(e!.message); the member was not scanned")))
                    continue
                default:
                    report(.diagnostic(Diagnostic(
                        kind: "container-unreadable", path: memberChain.description, offset: offsetOf(readError),
                        message: "\(reader.formatName): \(describe(readError)); the member and the rest of the container were not read")))
                    summary.stoppedEarly = true
                    direct.stopped = true
                    return true
                }
            }
            member.size = sink.bytesWritten
            summary.bytes += sink.bytesWritten
            if let declared = info.declaredSize, declared != sink.bytesWritten {
                direct.missed += 1
                report(.diagnostic(Diagnostic(
                    kind: "container-size-mismatch", path: memberChain.description, offset: info.offset.map { Int($0) },
                    message: "the header declares \(declared) bytes but the member holds \(sink.bytesWritten); the bytes read are what was scanned")))
            }
            let baseName = String(name.path.split(separator: "/").last ?? "")
            var nestedProbe: ContainerProbe?
            if let bytes = sink.takeMemory() {
                let probe = ContainerProbe(
                    fileName: baseName, size: Int64(bytes.count),
                    head: Array(bytes.prefix(ContainerProbe.headBytes)), tail: Array(bytes.suffix(ContainerProbe.tailBytes)))
                nestedProbe = probe
                if memberChain.depth < limits.maxDepth, recognize(probe) != nil, opensNested?(probe) ?? true {
                    // A container to open needs a file (formats open paths): write it out.
                    do {
                        written = try Self.writeOut(bytes, to: workspace)
                        member.file = written
                    } catch {
                        report(.diagnostic(Diagnostic(kind: "container-unreadable", path: memberChain.description, message: "\(error)")))
                        state.stopAll = true
                        summary.stoppedEarly = true
                        direct.stopped = true
                        break
                    }
                } else {
                    member.bytes = bytes
                }
            } else {
                member.file = sink.path
                nestedProbe = sink.path.flatMap { Self.probe(path: $0, name: baseName) }
            }

            // A nested container: its members first, then the container member itself.
            if let nestedProbe, let nestedFormat = recognize(nestedProbe), opensNested?(nestedProbe) ?? true {
                if memberChain.depth < limits.maxDepth, let nestedPath = member.file {
                    var nested = DirectMembers()
                    member.openedAsContainer = try walkOne(
                        path: nestedPath, probe: nestedProbe, format: nestedFormat, chain: memberChain, budget: budget,
                        state: &state, summary: &summary, direct: &nested, visit: visit, report: report)
                    if member.openedAsContainer, nested.complete { member.membersReadInFull = nested.members }
                } else {
                    report(.diagnostic(Diagnostic(
                        kind: "container-limit", path: memberChain.description,
                        message: "a container nested \(memberChain.depth + 1) deep; not opened (cap depth \(limits.maxDepth)); scanned as a file")))
                }
            }
            direct.members.append(ReadMember(size: sink.bytesWritten, endOffset: endOffset))
            keep = try visit(member)
        }
        // A cap hit inside a nested container stops this one too.
        if state.stopAll { direct.stopped = true }
        return true
    }

    /// Writes a member kept in memory to a new file of the private folder; returns its path.
    private static func writeOut(_ bytes: [UInt8], to workspace: PrivateWorkspace) throws -> String {
        let created = try workspace.createFile()
        defer { closeFD(created.fd) }
        var offset = 0
        while offset < bytes.count {
            let w = bytes.withUnsafeBytes { systemWrite(created.fd, $0.baseAddress! + offset, bytes.count - offset) }
            if w < 0 {
                if errno == EINTR { continue }
                let message = String(cString: strerror(errno))
                unlink(created.path)
                throw ContainerError(.memberUnreadable, "cannot write the member to the temporary directory: \(message)")
            }
            offset += w
        }
        return created.path
    }

    private func offsetOf(_ error: any Error) -> Int? {
        (error as? ContainerError)?.offset.map { Int($0) }
    }

    private func describe(_ error: any Error) -> String {
        (error as? ContainerError)?.message ?? "\(error)"
    }

    static func hostileName(_ name: MemberName, chain: ContainerPath, format: String) -> Finding {
        Finding(
            check: "container.unsafe-path",
            title: "Member name tries to leave the container: '\(name.stored)'",
            severity: .high, score: 75, path: chain.description,
            explanation: "The \(format) container stores a member as '\(name.stored)', which \(name.problems.joined(separator: " and ")). An extractor that trusts the name writes outside its target folder (the 'Zip Slip' path traversal), which can overwrite programs or configuration. Vigil never writes it there: it is read under the safe name '\(name.path)' and scanned like any member.",
            attack: ["T1222", "T1036"],
            evidence: ["stored_name": .string(name.stored), "safe_name": .string(name.path), "problems": .strings(name.problems), "container_format": .string(format)])
    }

    static func linkOutside(target: String, chain: ContainerPath, format: String) -> Finding {
        Finding(
            check: "container.link-outside",
            title: "Symbolic link points outside the container: '\(target)'",
            severity: .high, score: 75, path: chain.description,
            explanation: "This \(format) member is a symbolic link to '\(target)', which resolves outside the container. An extractor that creates the link and then writes a later member through it writes anywhere on the system (a link-following path traversal). Vigil never creates or follows it.",
            attack: ["T1222", "T1036"],
            evidence: ["link_target": .string(target), "container_format": .string(format)])
    }

    static func bomb(chain: ContainerPath, member: ContainerPath, format: String, message: String) -> Finding {
        Finding(
            check: "container.decompression-bomb",
            title: "Decompression bomb: the container expands far beyond its size",
            severity: .medium, score: 60, path: chain.description,
            explanation: "Reading stopped at \(member): \(message). Real installers compress far less; an archive built to expand without end is meant to exhaust the disk, memory or time of whatever unpacks it, often to blind a scanner to what follows.",
            attack: ["T1499", "T1027"],
            evidence: ["member": .string(member.description), "container_format": .string(format)])
    }
}

/// Reads up to `count` bytes at `offset` of the open file `fd` (fewer at the end of the file),
/// retrying interrupted reads.
public func readAt(_ fd: Int32, offset: Int64, count: Int) -> [UInt8] {
    guard count > 0 else { return [] }
    var bytes = [UInt8](repeating: 0, count: count)
    var done = 0
    while done < count {
        let n = bytes.withUnsafeMutableBytes { pread(fd, $0.baseAddress! + done, count - done, off_t(offset) + off_t(done)) }
        if n < 0 && errno == EINTR { continue }
        if n <= 0 { break }
        done += n
    }
    return Array(bytes.prefix(done))
}
