import Foundation
import VigilCore
import VigilIndicators

/// Reads MISP events and MISP feeds.
///
/// - An event file in either wrapping: `{"Event": {…}}` (feed and file form) or
///   `{"response": [{"Event": {…}}, …]}` (REST export).
/// - A feed folder: `manifest.json` listing event UUIDs, one `<uuid>.json` per event.
///
/// Attributes come from the event and from its objects; composite types (`filename|sha256`,
/// `ip-dst|port`, `domain|ip`) are split. Only attributes marked `to_ids` are imported unless
/// ``FeedReadOptions/includeNonIDS`` is set; deleted attributes and those tagged `false-positive…`
/// are skipped; every skip is counted by reason. Event and attribute tags go into the provenance.
enum MISPReader {
    /// Most attributes read from one event (hostile input).
    static let maxAttributes = 2_000_000

    static func readEvent(text: String, path: String, feed: String, options: FeedReadOptions) throws -> FeedImport {
        let top: Any
        do { top = try JSONSerialization.jsonObject(with: Data(text.utf8)) } catch {
            throw FeedError(path: path, message: "not valid JSON: \(error.localizedDescription)")
        }
        let events = try self.events(in: top, path: path)
        var result = FeedImport(format: .misp)
        for event in events { read(event: event, path: path, feed: feed, options: options, into: &result) }
        return result
    }

    /// The `Event` dictionaries of a MISP JSON document in either wrapping.
    static func events(in top: Any, path: String) throws -> [[String: Any]] {
        if let dict = top as? [String: Any] {
            if let event = dict["Event"] as? [String: Any] { return [event] }
            if let response = dict["response"] as? [Any] {
                let events = response.compactMap { ($0 as? [String: Any])?["Event"] as? [String: Any] }
                if !events.isEmpty { return events }
            }
        }
        if let array = top as? [Any] {
            let events = array.compactMap { ($0 as? [String: Any])?["Event"] as? [String: Any] }
            if !events.isEmpty { return events }
        }
        throw FeedError(path: path, message: "not a MISP event: expected {\"Event\": …} or {\"response\": [{\"Event\": …}]}")
    }

    /// Reads a MISP feed folder through its `manifest.json`; an event listed there but missing or
    /// unreadable is reported and the others are still read.
    static func readFeedFolder(_ folder: URL, feed: String, options: FeedReadOptions) throws -> FeedImport {
        let manifestURL = folder.appendingPathComponent("manifest.json")
        let manifest: [String: Any]
        do {
            let data = try FeedReader.readCapped(manifestURL)
            guard let m = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
                throw FeedError(path: manifestURL.path, message: "manifest.json is not a JSON object of event UUIDs")
            }
            manifest = m
        } catch let error as FeedError { throw error } catch {
            throw FeedError(path: manifestURL.path, message: "cannot read manifest.json: \(error.localizedDescription)")
        }
        var result = FeedImport(format: .misp)
        for uuid in manifest.keys.sorted() {
            guard uuid.range(of: #"^[0-9a-fA-F-]{36}$"#, options: .regularExpression) != nil else {
                result.reject(path: manifestURL.path, line: nil, claimedType: "event", "manifest key '\(uuid.prefix(60))' is not an event UUID")
                continue
            }
            let eventURL = folder.appendingPathComponent("\(uuid).json")
            do {
                let data = try FeedReader.readCapped(eventURL)
                let one = try readEvent(text: String(decoding: data, as: UTF8.self), path: eventURL.path, feed: feed, options: options)
                result.merge(one)
            } catch let error as FeedError {
                result.reject(path: eventURL.path, line: nil, claimedType: "event", error.message)
            } catch {
                result.reject(path: eventURL.path, line: nil, claimedType: "event",
                              "event \(uuid) listed in manifest.json cannot be read: \(error.localizedDescription)")
            }
        }
        return result
    }

    static func tagNames(_ value: Any?) -> [String] {
        ((value as? [Any]) ?? []).compactMap { ($0 as? [String: Any])?["name"] as? String }
    }

    static func read(event: [String: Any], path: String, feed: String, options: FeedReadOptions, into result: inout FeedImport) {
        let eventTags = tagNames(event["Tag"])
        let info = event["info"] as? String
        let eventUUID = event["uuid"] as? String ?? "event"
        var attributes: [(attribute: [String: Any], object: String?, objectIndex: Int?)] = []
        for a in (event["Attribute"] as? [Any]) ?? [] {
            if let a = a as? [String: Any] { attributes.append((a, nil, nil)) }
        }
        for (index, o) in ((event["Object"] as? [Any]) ?? []).enumerated() {
            guard let o = o as? [String: Any] else { continue }
            let name = o["name"] as? String
            if (o["deleted"] as? Bool) == true { continue }
            for a in (o["Attribute"] as? [Any]) ?? [] {
                if let a = a as? [String: Any] { attributes.append((a, name, index)) }
            }
        }
        // Indicators of each `file` object, accepted together once their hashes are linked.
        var fileObjects: [Int: [Indicator]] = [:]
        for (attribute, object, objectIndex) in attributes.prefix(maxAttributes) {
            let type = attribute["type"] as? String ?? ""
            let value = attribute["value"] as? String ?? ""
            let uuid = attribute["uuid"] as? String ?? eventUUID
            let where_ = "attribute \(uuid) (\(type)\(object.map { " in object \($0)" } ?? ""))"
            if isTrue(attribute["deleted"]) {
                result.skip(path: path, line: nil, reason: "deleted", "\(where_): deleted")
                continue
            }
            let tags = tagNames(attribute["Tag"])
            if let fp = (tags + eventTags).first(where: { $0.lowercased().hasPrefix("false-positive") }) {
                result.skip(path: path, line: nil, reason: "tagged \(fp)", "\(where_): tagged \(fp)")
                continue
            }
            guard let parts = split(type: type, value: value) else {
                result.skip(path: path, line: nil, reason: "type \(type)", "\(where_): type '\(type)' is not a matchable indicator type")
                continue
            }
            if !isTrue(attribute["to_ids"]), !options.includeNonIDS {
                result.skip(path: path, line: nil, reason: "to_ids=false", "\(where_): to_ids is false: \(value.prefix(120))")
                continue
            }
            let comment = (attribute["comment"] as? String).flatMap { $0.isEmpty ? nil : $0 }
            let firstSeen = (attribute["first_seen"] as? String) ?? epoch(attribute["timestamp"])
            for (partType, partValue) in parts {
                guard let allowed = IndicatorTypeName.kinds(for: partType) else { continue }
                switch IndicatorTypeName.normalize(partValue, claimedType: partType, allowed: allowed) {
                case .success(let (kind, canonical)):
                    let description = [comment, info].compactMap { $0 }.joined(separator: " — ")
                    let indicator = Indicator(kind: kind, value: canonical, provenance: [
                        Provenance(feed: feed, file: path, line: nil, description: description.isEmpty ? nil : description,
                                   firstSeen: firstSeen, original: partValue == canonical ? nil : partValue,
                                   tags: (eventTags + tags).isEmpty ? nil : eventTags + tags),
                    ])
                    if object == "file", let objectIndex {
                        fileObjects[objectIndex, default: []].append(indicator)
                    } else {
                        result.accept(indicator)
                    }
                case .failure(let reason):
                    result.reject(path: path, line: nil, claimedType: type, "\(where_): \(reason.message)")
                }
            }
        }
        // A MISP `file` object describes one file: its MD5 and SHA-1 are linked to its SHA-256.
        for index in fileObjects.keys.sorted() {
            for indicator in SameFile.link(fileObjects[index] ?? []) { result.accept(indicator) }
        }
    }

    /// The matchable parts of a MISP attribute: `(type, value)` pairs, or `nil` when the type carries
    /// nothing Vigil matches (text, filename, link, comment…). Composite types are split on `|`.
    static func split(type: String, value: String) -> [(String, String)]? {
        let simple: Set<String> = [
            "md5", "sha1", "sha256", "domain", "hostname", "url", "uri", "ip-dst", "ip-src", "email", "email-src", "email-dst",
            "whois-registrant-email",
        ]
        if simple.contains(type) { return [(type, value)] }
        let pieces = value.split(separator: "|", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
        switch type {
        case "filename|md5", "filename|sha1", "filename|sha256":
            guard pieces.count == 2 else { return [(String(type.dropFirst("filename|".count)), value)] }
            return [(String(type.dropFirst("filename|".count)), pieces[1])]
        case "ip-dst|port", "ip-src|port":
            return [("ip-dst", pieces[0])]
        case "domain|ip":
            return pieces.count == 2 ? [("domain", pieces[0]), ("ip-dst", pieces[1])] : [("domain", value)]
        case "hostname|port":
            return [("hostname", pieces[0])]
        default:
            return nil
        }
    }

    static func isTrue(_ value: Any?) -> Bool {
        switch value {
        case let b as Bool: return b
        case let s as String: return s == "1" || s.lowercased() == "true"
        case let n as NSNumber: return n.intValue != 0
        default: return false
        }
    }

    static func epoch(_ value: Any?) -> String? {
        let seconds: Double?
        switch value {
        case let s as String: seconds = Double(s)
        case let n as NSNumber: seconds = n.doubleValue
        default: seconds = nil
        }
        return seconds.map { STIXTime.format(Date(timeIntervalSince1970: $0)) }
    }
}
