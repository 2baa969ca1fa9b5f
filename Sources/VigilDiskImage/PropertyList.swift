import Foundation

/// A small reader for the XML property lists UDIF images carry: `dict`, `array`, `key`, `string`,
/// `data`, `integer`, `real`, `date`, `true`, `false`. Bounded nesting (32) and element count.
///
/// Why not `PropertyListSerialization`: on Linux (swift-corelibs-foundation) each property list that
/// fails to parse leaks its CFError (about 175 bytes each, measured with LeakSanitizer while fuzzing:
/// 18 MB over 107,755 hostile inputs), and a scanner meets many hostile images in one run.
enum PropertyList {
    indirect enum Value {
        case dict([String: Value])
        case array([Value])
        case string(String)
        case data([UInt8])
        case other

        /// The text of a `string` value.
        var string: String? {
            if case .string(let s) = self { return s }
            return nil
        }
    }

    struct Failure: Error { let message: String }

    static let maximumDepth = 32
    static let maximumElements = 1_000_000

    static func parse(_ bytes: [UInt8]) throws(Failure) -> Value {
        var p = Parser(bytes: bytes)
        try p.skipProlog()
        guard try p.openTag() == "plist" else { throw Failure(message: "no <plist> element") }
        let value = try p.value(depth: 0)
        return value
    }

    struct Parser {
        let bytes: [UInt8]
        var i = 0
        var elements = 0

        init(bytes: [UInt8]) { self.bytes = bytes }

        mutating func skipSpace() {
            while i < bytes.count, bytes[i] == 0x20 || bytes[i] == 0x0A || bytes[i] == 0x0D || bytes[i] == 0x09 { i += 1 }
        }

        /// Skips `<?xml …?>`, `<!DOCTYPE …>` and comments before the root element.
        mutating func skipProlog() throws(Failure) {
            while true {
                skipSpace()
                guard i + 1 < bytes.count, bytes[i] == 0x3C else { throw Failure(message: "no root element") }
                if bytes[i + 1] == 0x3F || bytes[i + 1] == 0x21 {  // <? or <!
                    guard let end = find(0x3E, from: i) else { throw Failure(message: "unterminated declaration") }
                    i = end + 1
                } else {
                    return
                }
            }
        }

        func find(_ byte: UInt8, from start: Int) -> Int? {
            var k = start
            while k < bytes.count {
                if bytes[k] == byte { return k }
                k += 1
            }
            return nil
        }

        /// Reads `<name …>` or `<name/>`; returns the name, with a trailing "/" when self-closing.
        mutating func openTag() throws(Failure) -> String {
            skipSpace()
            guard i < bytes.count, bytes[i] == 0x3C, let end = find(0x3E, from: i) else { throw Failure(message: "expected an element at byte \(i)") }
            var inner = Array(bytes[(i + 1)..<end])
            i = end + 1
            let selfClosing = inner.last == 0x2F
            if selfClosing { inner.removeLast() }
            let nameEnd = inner.firstIndex { $0 == 0x20 || $0 == 0x09 || $0 == 0x0A || $0 == 0x0D } ?? inner.count
            let name = String(decoding: inner[0..<nameEnd], as: UTF8.self)
            elements += 1
            guard elements <= PropertyList.maximumElements else { throw Failure(message: "more than \(PropertyList.maximumElements) elements") }
            return selfClosing ? name + "/" : name
        }

        /// Reads text up to `</name>` and consumes the closing tag.
        mutating func text(until name: String) throws(Failure) -> [UInt8] {
            guard let lt = find(0x3C, from: i) else { throw Failure(message: "unterminated <\(name)>") }
            let text = Array(bytes[i..<lt])
            i = lt
            try close(name)
            return text
        }

        mutating func close(_ name: String) throws(Failure) {
            skipSpace()
            let tag = Array("</\(name)>".utf8)
            guard i + tag.count <= bytes.count, Array(bytes[i..<(i + tag.count)]) == tag else {
                throw Failure(message: "expected </\(name)> at byte \(i)")
            }
            i += tag.count
        }

        /// Whether the next thing is the closing tag `</name>` (not consumed).
        mutating func atClose(_ name: String) -> Bool {
            skipSpace()
            let tag = Array("</\(name)>".utf8)
            return i + tag.count <= bytes.count && Array(bytes[i..<(i + tag.count)]) == tag
        }

        mutating func value(depth: Int) throws(Failure) -> Value {
            guard depth < PropertyList.maximumDepth else { throw Failure(message: "nested deeper than \(PropertyList.maximumDepth)") }
            let tag = try openTag()
            switch tag {
            case "dict":
                var dict: [String: Value] = [:]
                while !atClose("dict") {
                    guard try openTag() == "key" else { throw Failure(message: "a <dict> entry without <key> at byte \(i)") }
                    let key = PropertyList.unescape(try text(until: "key"))
                    dict[key] = try value(depth: depth + 1)
                }
                try close("dict")
                return .dict(dict)
            case "array":
                var array: [Value] = []
                while !atClose("array") { array.append(try value(depth: depth + 1)) }
                try close("array")
                return .array(array)
            case "string":
                return .string(PropertyList.unescape(try text(until: "string")))
            case "data":
                let raw = try text(until: "data").filter { !($0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09) }
                guard let data = Data(base64Encoded: Data(raw)) else { throw Failure(message: "invalid base64 in <data> before byte \(i)") }
                return .data([UInt8](data))
            case "integer", "real", "date":
                _ = try text(until: tag)
                return .other
            case "dict/", "array/", "string/", "data/", "true/", "false/":
                switch tag {
                case "dict/": return .dict([:])
                case "array/": return .array([])
                case "string/": return .string("")
                case "data/": return .data([])
                default: return .other
                }
            default:
                throw Failure(message: "unexpected element <\(tag)> before byte \(i)")
            }
        }
    }

    /// Replaces the five predefined XML entities and numeric character references.
    static func unescape(_ bytes: [UInt8]) -> String {
        let s = String(decoding: bytes, as: UTF8.self)
        guard s.contains("&") else { return s }
        var out = ""
        var rest = Substring(s)
        while let amp = rest.firstIndex(of: "&") {
            out += rest[..<amp]
            guard let semi = rest[amp...].firstIndex(of: ";"), rest.distance(from: amp, to: semi) <= 10 else {
                out += "&"
                rest = rest[rest.index(after: amp)...]
                continue
            }
            let entity = rest[rest.index(after: amp)..<semi]
            switch entity {
            case "amp": out += "&"
            case "lt": out += "<"
            case "gt": out += ">"
            case "quot": out += "\""
            case "apos": out += "'"
            default:
                var scalar: UInt32?
                if entity.hasPrefix("#x") { scalar = UInt32(entity.dropFirst(2), radix: 16) } else if entity.hasPrefix("#") { scalar = UInt32(entity.dropFirst(1)) }
                if let scalar, let u = Unicode.Scalar(scalar) { out.unicodeScalars.append(u) } else { out += "&" + entity + ";" }
            }
            rest = rest[rest.index(after: semi)...]
        }
        return out + rest
    }
}
