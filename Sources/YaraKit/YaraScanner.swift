internal import CYara

/// Scans byte buffers with one ``CompiledRules`` set, one buffer at a time.
///
/// Not thread-safe: a libyara scanner holds per-scan state (matches, external values). Create one per
/// thread with ``CompiledRules/makeScanner(timeoutSeconds:)`` and reuse it for many files.
public final class YaraScanner {
    /// At most this many string matches are kept per matching rule (the total is still counted).
    public static let maximumStringsPerRule = 32

    private let rules: CompiledRules
    private let handle: UnsafeMutablePointer<YR_SCANNER>
    private let collector = MatchCollector()

    init(rules: CompiledRules, timeoutSeconds: Int) throws(YaraError) {
        var pointer: UnsafeMutablePointer<YR_SCANNER>?
        let rc = yr_scanner_create(rules.handle, &pointer)
        guard rc == ERROR_SUCCESS, let pointer else { throw YaraError.fromLibrary(rc, context: "creating a YARA scanner") }
        self.rules = rules
        self.handle = pointer
        collector.sourceByNamespace = rules.sourceByNamespace
        yr_scanner_set_flags(handle, SCAN_FLAGS_REPORT_RULES_MATCHING)
        yr_scanner_set_timeout(handle, Int32(clamping: max(0, timeoutSeconds)))
        yr_scanner_set_callback(handle, scanCallback, Unmanaged.passUnretained(collector).toOpaque())
    }

    deinit {
        yr_scanner_destroy(handle)
        rules.scannerReleased()
    }

    /// Sets a string external variable for the following scans (libyara copies the value).
    /// - Throws: ``YaraError`` `.undefinedExternal` when the rules did not declare `name`.
    public func setExternal(_ name: String, _ value: String) throws(YaraError) {
        let rc = yr_scanner_define_string_variable(handle, name, value)
        guard rc == ERROR_SUCCESS else { throw YaraError.fromLibrary(rc, context: "setting external \(name)") }
    }

    /// The result of scanning one buffer.
    public struct Outcome: Sendable {
        /// Rules that matched, in rule-set order.
        public var matches: [RuleMatch]
        /// Identifiers of strings that hit libyara's per-string match limit (their rules may be incomplete).
        public var stringsOverMatchLimit: [String]
    }

    /// Scans `bytes` with every rule.
    /// - Throws: ``YaraError`` `.timeout` when the time limit passed, or another libyara error.
    public func scan(_ bytes: [UInt8]) throws(YaraError) -> Outcome {
        collector.matches.removeAll(keepingCapacity: true)
        collector.overLimit.removeAll()
        let rc = bytes.withUnsafeBufferPointer { buffer in
            // An empty array may have no base address; libyara accepts any pointer with size 0.
            let empty: UInt8 = 0
            return withUnsafePointer(to: empty) { fallback in
                yr_scanner_scan_mem(handle, buffer.baseAddress ?? fallback, buffer.count)
            }
        }
        guard rc == ERROR_SUCCESS else { throw YaraError.fromLibrary(rc, context: "scanning") }
        return Outcome(matches: collector.matches, stringsOverMatchLimit: collector.overLimit)
    }

    /// Scans parts of one file of `fileSize` bytes: `blocks[i]` holds the bytes at file offset
    /// `blocks[i].offset`. Rules see the file's own offsets and `filesize`; a string is found only
    /// within one part, and bytes outside every part read as undefined (`uint32(n)` there is false).
    /// - Parameter bytes: the parts, one after another; `blocks[i].length` bytes each, in order.
    /// - Throws: ``YaraError`` `.timeout` when the time limit passed, or another libyara error.
    public func scan(parts bytes: [UInt8], blocks: [(offset: Int64, length: Int)], fileSize: Int64) throws(YaraError) -> Outcome {
        precondition(blocks.reduce(0) { $0 + $1.length } == bytes.count, "parts and their lengths disagree")
        collector.matches.removeAll(keepingCapacity: true)
        collector.overLimit.removeAll()
        var offsets: [Int] = []
        offsets.reserveCapacity(blocks.count)
        var at = 0
        for b in blocks {
            offsets.append(at)
            at += b.length
        }
        let sizes = blocks.map { $0.length }
        let bases = blocks.map { UInt64(max(0, $0.offset)) }
        let rc = bytes.withUnsafeBufferPointer { data in
            offsets.withUnsafeBufferPointer { o in
                sizes.withUnsafeBufferPointer { s in
                    bases.withUnsafeBufferPointer { b in
                        let empty: UInt8 = 0
                        return withUnsafePointer(to: empty) { fallback in
                            var state = cyara_blocks(
                                data: data.baseAddress ?? fallback, offsets: o.baseAddress, sizes: s.baseAddress, bases: b.baseAddress,
                                count: blocks.count, next: 0, file_size: UInt64(max(0, fileSize)), block: YR_MEMORY_BLOCK())
                            return cyara_scan_blocks(handle, &state)
                        }
                    }
                }
            }
        }
        guard rc == ERROR_SUCCESS else { throw YaraError.fromLibrary(rc, context: "scanning") }
        return Outcome(matches: collector.matches, stringsOverMatchLimit: collector.overLimit)
    }
}

@available(*, unavailable)
extension YaraScanner: Sendable {}

/// Receives matches from libyara's callback; passed as `user_data`.
private final class MatchCollector {
    var sourceByNamespace: [String: String] = [:]
    var matches: [RuleMatch] = []
    var overLimit: [String] = []
}

/// libyara's scan callback: a non-capturing function that finds its state through `user_data`.
private func scanCallback(
    context: UnsafeMutablePointer<YR_SCAN_CONTEXT>?, message: Int32, data: UnsafeMutableRawPointer?,
    userData: UnsafeMutableRawPointer?
) -> Int32 {
    guard let userData else { return CALLBACK_ERROR }
    let collector = Unmanaged<MatchCollector>.fromOpaque(userData).takeUnretainedValue()
    switch message {
    case CALLBACK_MSG_RULE_MATCHING:
        guard let context, let rule = data?.assumingMemoryBound(to: YR_RULE.self) else { return CALLBACK_CONTINUE }
        collector.matches.append(describe(rule: rule, context: context, sourceByNamespace: collector.sourceByNamespace))
    case CALLBACK_MSG_TOO_MANY_MATCHES:
        if let data, let id = cyara_too_many_matches_identifier(data) { collector.overLimit.append(String(cString: id)) }
    default:
        break
    }
    return CALLBACK_CONTINUE
}

private func describe(
    rule: UnsafePointer<YR_RULE>, context: UnsafeMutablePointer<YR_SCAN_CONTEXT>, sourceByNamespace: [String: String]
) -> RuleMatch {
    let name = cyara_rule_identifier(rule).map { String(cString: $0) } ?? "?"
    let namespace = cyara_rule_namespace(rule).map { String(cString: $0) } ?? "default"

    var tags: [String] = []
    var tag = cyara_rule_tags(rule)
    if let t = tag, t.pointee == 0 { tag = nil }
    while let t = tag {
        tags.append(String(cString: t))
        tag = cyara_next_tag(t)
    }

    var metadata: [(key: String, value: RuleMetaValue)] = []
    var meta = cyara_rule_first_meta(rule)
    while let m = meta {
        let key = cyara_meta_identifier(m).map { String(cString: $0) } ?? "?"
        switch cyara_meta_type(m) {
        case META_TYPE_INTEGER: metadata.append((key, .integer(cyara_meta_integer(m))))
        case META_TYPE_BOOLEAN: metadata.append((key, .boolean(cyara_meta_integer(m) != 0)))
        default: metadata.append((key, .string(cyara_meta_string(m).map { String(cString: $0) } ?? "")))
        }
        meta = cyara_next_meta(m)
    }

    var strings: [MatchedString] = []
    var total = 0
    var string = cyara_rule_first_string(rule)
    while let s = string {
        let identifier = cyara_string_identifier(s).map { String(cString: $0) } ?? "$"
        var match = cyara_string_first_match(context, s)
        while let m = match {
            total += 1
            if strings.count < YaraScanner.maximumStringsPerRule {
                strings.append(MatchedString(identifier: identifier, offset: Int(cyara_match_offset(m)), length: Int(cyara_match_length(m))))
            }
            match = cyara_next_match(m)
        }
        string = cyara_next_string(s)
    }
    return RuleMatch(
        rule: name, namespace: namespace, source: sourceByNamespace[namespace], tags: tags, metadata: metadata,
        strings: strings, totalStringMatches: total)
}
