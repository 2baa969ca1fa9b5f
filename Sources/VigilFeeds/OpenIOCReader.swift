import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import VigilCore
import VigilIndicators

/// Reads OpenIOC 1.0 (`<ioc xmlns="http://schemas.mandiant.com/2010/ioc">`) and 1.1
/// (`<OpenIOC xmlns="http://openioc.org/schemas/OpenIOC_1.1">`) documents with Foundation's
/// `XMLParser` (libxml2).
///
/// Each `IndicatorItem` is one comparison: a `Context` (`search="FileItem/Md5sum"`), a `Content`
/// value and a `condition`. Items become indicators when the search term names a hash, a DNS name, a
/// remote IP or a URL and the condition is `is` (or `contains`/`ends-with` holding a complete valid
/// value, which then matches at least as much). Negated items and other terms (file names, sizes,
/// paths, registry keys, `matches` regexes) are counted as skipped with their search term. The AND/OR
/// tree is not evaluated: every matchable item is an indicator on its own.
enum OpenIOCReader {
    /// Most IndicatorItems read from one document (hostile input).
    static let maxItems = 1_000_000

    struct Item {
        var line: Int
        var condition = ""
        var negate = false
        var search = ""
        var contentType = ""
        var content = ""
    }

    /// Foundation's XMLParser on Linux keeps libxml2 state that is not safe to use from several
    /// threads at once (concurrent parses crash), so every parse is serialised through this lock.
    private static let parserLock = NSLock()

    static func read(text: String, path: String, feed: String) throws -> FeedImport {
        parserLock.lock()
        defer { parserLock.unlock() }
        let delegate = Delegate()
        var data = Data(text.utf8)
        if data.starts(with: [0xEF, 0xBB, 0xBF]) { data.removeFirst(3) }
        let parser = XMLParser(data: data)
        parser.shouldProcessNamespaces = true
        parser.shouldResolveExternalEntities = false
        parser.delegate = delegate
        let ok = parser.parse()
        guard let root = delegate.root else {
            throw FeedError(path: path, message: "not XML: \(parser.parserError?.localizedDescription ?? "no root element")")
        }
        guard root == "ioc" || root == "OpenIOC" else {
            throw FeedError(path: path, message: "not OpenIOC: the root element is <\(root)>, expected <ioc> (1.0) or <OpenIOC> (1.1)")
        }
        var result = FeedImport(format: .openioc)
        if !ok {
            result.reject(path: path, line: parser.lineNumber, claimedType: "xml",
                          "XML error, items after this point are lost: \(parser.parserError?.localizedDescription ?? "unknown")")
        }
        let description = delegate.shortDescription.isEmpty ? delegate.iocID : delegate.shortDescription
        for item in delegate.items.prefix(maxItems) {
            let label = "IndicatorItem \(item.search) \(item.condition)"
            if item.negate {
                result.skip(path: path, line: item.line, reason: "negated item", "\(label): negated")
                continue
            }
            guard let allowed = kinds(forSearch: item.search) else {
                result.skip(path: path, line: item.line, reason: "search \(item.search)",
                            "\(label): '\(item.search)' is not a matchable indicator term")
                continue
            }
            let condition = item.condition.lowercased()
            guard ["is", "contains", "ends-with"].contains(condition) else {
                result.skip(path: path, line: item.line, reason: "condition \(condition)", "\(label): condition '\(condition)' is not an exact value")
                continue
            }
            let value = item.content.trimmingCharacters(in: .whitespacesAndNewlines)
            switch IndicatorTypeName.normalize(value, claimedType: item.search, allowed: allowed) {
            case .success(let (kind, canonical)):
                result.accept(Indicator(kind: kind, value: canonical, provenance: [
                    Provenance(feed: feed, file: path, line: item.line, description: description.isEmpty ? nil : description,
                               firstSeen: delegate.authoredDate.isEmpty ? nil : delegate.authoredDate,
                               original: value == canonical ? nil : value),
                ]))
            case .failure(let reason):
                if condition == "is" {
                    result.reject(path: path, line: item.line, claimedType: item.search, "\(label): \(reason.message)")
                } else {
                    result.skip(path: path, line: item.line, reason: "partial value", "\(label): '\(value)' is a partial value")
                }
            }
        }
        return result
    }

    /// The kinds an OpenIOC search term may yield, or `nil` when Vigil does not match on it.
    static func kinds(forSearch search: String) -> Set<IndicatorKind>? {
        let last = search.split(separator: "/").last.map { $0.lowercased() } ?? ""
        switch last {
        case "md5sum", "md5": return [.md5]
        case "sha1sum", "sha1": return [.sha1]
        case "sha256sum", "sha256": return [.sha256]
        case "recordname", "host", "hostname", "dns": return [.domain]
        case "remoteip", "ip", "ipv4address", "ipv6address", "remoteaddress": return [.ipv4, .ipv6, .cidr]
        case "url": return [.url]
        default: return nil
        }
    }

    final class Delegate: NSObject, XMLParserDelegate {
        var root: String?
        var items: [Item] = []
        var current: Item?
        var text = ""
        var shortDescription = ""
        var authoredDate = ""
        var iocID = ""
        var depth = 0
        static let maxDepth = 256

        func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
                    attributes: [String: String] = [:]) {
            depth += 1
            if depth > Self.maxDepth { parser.abortParsing(); return }
            if root == nil {
                root = name
                iocID = attributes["id"] ?? ""
            }
            text = ""
            switch name {
            case "IndicatorItem":
                current = Item(line: parser.lineNumber)
                current?.condition = attributes["condition"] ?? ""
                current?.negate = attributes["negate"]?.lowercased() == "true"
            case "Context":
                current?.search = attributes["search"] ?? ""
            case "Content":
                current?.contentType = attributes["type"] ?? ""
            default:
                break
            }
        }

        func parser(_ parser: XMLParser, foundCharacters string: String) {
            if text.utf8.count < 1 << 16 { text += string }
        }

        func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
            depth -= 1
            switch name {
            case "Content": current?.content = text
            case "IndicatorItem":
                if let c = current, items.count < OpenIOCReader.maxItems { items.append(c) }
                current = nil
            case "short_description": if shortDescription.isEmpty { shortDescription = text.trimmingCharacters(in: .whitespacesAndNewlines) }
            case "authored_date": if authoredDate.isEmpty { authoredDate = text.trimmingCharacters(in: .whitespacesAndNewlines) }
            default: break
            }
            text = ""
        }
    }
}
