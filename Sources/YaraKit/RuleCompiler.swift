internal import CYara

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Compiles YARA rule sources with libyara, leaving out the sources that do not compile.
///
/// libyara cannot continue with a compiler once an `add` call failed, and it cannot skip one bad file
/// in a batch. So: compile everything in one compiler (the common, fast case); when that fails,
/// compile each source alone to find the bad ones, then compile the good ones together again,
/// dropping any source that only fails in company (a duplicate rule name, for example).
public enum RuleCompiler {
    /// The external variables that rule sets written for Loki and THOR (such as Florian Roth's
    /// signature-base) expect: all strings, defined empty at compile time and set per scanned file.
    public static let lokiExternals = ["filename", "filepath", "extension", "filetype", "owner"]

    /// Compiles `sources` into one rule set.
    /// - Parameters:
    ///   - sources: rule files and in-memory rule texts; each becomes its own namespace.
    ///   - externals: string external variables to declare (default: ``lokiExternals``), each
    ///     initially empty; scanners set them per file with ``YaraScanner/setExternal(_:_:)``.
    /// - Returns: the rules that compiled, and the errors of those that did not.
    public static func compile(_ sources: [RuleSource], externals: [String] = lokiExternals) -> RuleCompilation {
        var result = RuleCompilation(rules: nil, errors: [], warnings: [], loadedSources: [], rejectedSources: [])
        do throws(YaraError) { try ensureLibraryInitialised() } catch {
            result.errors.append(RuleMessage(source: "libyara", line: nil, message: error.message))
            result.rejectedSources = sources.map(\.name)
            return result
        }
        guard !sources.isEmpty else { return result }
        let namespaces = namespaceNames(for: sources)

        // 1. Everything together.
        var attempt = compileTogether(sources, namespaces: namespaces, externals: externals)
        if let rules = attempt.rules {
            result.rules = rules
            result.warnings = attempt.warnings
            result.loadedSources = sources.map(\.name)
            return result
        }

        // 2. Each source alone, to find the ones that are broken by themselves.
        var good: [Int] = []
        for index in sources.indices {
            let alone = compileTogether([sources[index]], namespaces: [namespaces[index]], externals: externals)
            if alone.rules != nil {
                good.append(index)
            } else {
                result.errors += alone.errors
                result.rejectedSources.append(sources[index].name)
            }
        }

        // 3. The good ones together; drop any source that still fails (it conflicts with another).
        while !good.isEmpty {
            attempt = compileTogether(good.map { sources[$0] }, namespaces: good.map { namespaces[$0] }, externals: externals)
            if let rules = attempt.rules {
                result.rules = rules
                result.warnings += attempt.warnings
                result.loadedSources = good.map { sources[$0].name }
                return result
            }
            let failing = attempt.failedSourceIndex.map { good[$0] } ?? good[good.count - 1]
            result.errors += attempt.errors.map {
                RuleMessage(source: $0.source, line: $0.line, message: $0.message + " (conflicts with another rule source)")
            }
            result.rejectedSources.append(sources[failing].name)
            good.removeAll { $0 == failing }
        }
        return result
    }

    /// Namespace per source: the file name without extension, made unique with a numeric suffix.
    static func namespaceNames(for sources: [RuleSource]) -> [String] {
        var used: [String: Int] = [:]
        return sources.map { source in
            var base = source.name.split(separator: "/").last.map(String.init) ?? source.name
            if let dot = base.lastIndex(of: "."), dot != base.startIndex { base = String(base[..<dot]) }
            if base.isEmpty { base = "rules" }
            let n = used[base, default: 0] + 1
            used[base] = n
            return n == 1 ? base : "\(base)_\(n)"
        }
    }

    /// Collects compiler messages; passed to libyara as `user_data`.
    private final class MessageCollector {
        var currentSource = ""
        var errors: [RuleMessage] = []
        var warnings: [RuleMessage] = []
    }

    private struct Attempt {
        var rules: CompiledRules?
        var errors: [RuleMessage]
        var warnings: [RuleMessage]
        /// Index (within the attempted sources) of the source whose `add` failed.
        var failedSourceIndex: Int?
    }

    private static func compileTogether(_ sources: [RuleSource], namespaces: [String], externals: [String]) -> Attempt {
        var compilerPointer: UnsafeMutablePointer<YR_COMPILER>?
        guard yr_compiler_create(&compilerPointer) == ERROR_SUCCESS, let compiler = compilerPointer else {
            return Attempt(
                rules: nil, errors: [RuleMessage(source: sources.first?.name ?? "rules", line: nil, message: "libyara could not create a compiler")],
                warnings: [], failedSourceIndex: 0)
        }
        defer { yr_compiler_destroy(compiler) }
        let collector = MessageCollector()
        let context = Unmanaged.passUnretained(collector).toOpaque()
        yr_compiler_set_callback(compiler, { level, fileName, line, _, message, userData in
            guard let userData else { return }
            let collector = Unmanaged<MessageCollector>.fromOpaque(userData).takeUnretainedValue()
            let file = fileName.map { String(cString: $0) } ?? collector.currentSource
            let text = message.map { String(cString: $0) } ?? "unknown compiler error"
            let entry = RuleMessage(source: file, line: line > 0 ? Int(line) : nil, message: text)
            if level == YARA_ERROR_LEVEL_WARNING { collector.warnings.append(entry) } else { collector.errors.append(entry) }
        }, context)

        for name in externals where yr_compiler_define_string_variable(compiler, name, "") != ERROR_SUCCESS {
            return Attempt(
                rules: nil, errors: [RuleMessage(source: "externals", line: nil, message: "cannot declare external variable \(name)")],
                warnings: [], failedSourceIndex: nil)
        }

        for (index, source) in sources.enumerated() {
            collector.currentSource = source.name
            let failures: Int32
            switch source.origin {
            case .text(let text):
                failures = yr_compiler_add_string(compiler, text, namespaces[index])
            case .file(let path):
                let fd = open(path, O_RDONLY | O_CLOEXEC)
                guard fd >= 0 else {
                    let reason = String(cString: strerror(errno))
                    collector.errors.append(RuleMessage(source: path, line: nil, message: "cannot open rule file: \(reason)"))
                    return Attempt(rules: nil, errors: collector.errors, warnings: collector.warnings, failedSourceIndex: index)
                }
                failures = yr_compiler_add_fd(compiler, fd, namespaces[index], path)
                close(fd)
            }
            if failures > 0 {
                if collector.errors.isEmpty {
                    collector.errors.append(RuleMessage(source: source.name, line: nil, message: "\(failures) compile error(s)"))
                }
                return Attempt(rules: nil, errors: collector.errors, warnings: collector.warnings, failedSourceIndex: index)
            }
        }

        var rulesPointer: UnsafeMutablePointer<YR_RULES>?
        let rc = yr_compiler_get_rules(compiler, &rulesPointer)
        guard rc == ERROR_SUCCESS, let rules = rulesPointer else {
            collector.errors.append(RuleMessage(source: sources.first?.name ?? "rules", line: nil, message: "libyara could not build the rule set (error \(rc))"))
            return Attempt(rules: nil, errors: collector.errors, warnings: collector.warnings, failedSourceIndex: nil)
        }
        var sourceByNamespace: [String: String] = [:]
        for (index, source) in sources.enumerated() { sourceByNamespace[namespaces[index]] = source.name }
        let compiled = CompiledRules(handle: rules, sourceByNamespace: sourceByNamespace, externals: externals)
        return Attempt(rules: compiled, errors: [], warnings: collector.warnings, failedSourceIndex: nil)
    }
}
