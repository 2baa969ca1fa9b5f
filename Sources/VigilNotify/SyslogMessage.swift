import Foundation
import VigilFleetProtocol
import VigilVerdicts

/// What a syslog message carries.
public enum SyslogPayload: String, Sendable, CaseIterable {
    /// The ``VerdictChange`` as JSON.
    case json
    /// An ArcSight Common Event Format line.
    case cef
}

/// Builds RFC 5424 syslog messages and CEF lines for verdict changes.
public enum SyslogMessage {
    /// Facility `local0`: most collectors route it to a security pipeline on request.
    public static let facility = 16

    /// RFC 5424 severity for a new state: active 2 (critical), contact-only 3 (error),
    /// unknown-activity and dormant 4 (warning), exposed 5 (notice), clean 6 (informational).
    public static func severity(_ state: VerdictState) -> Int {
        switch state {
        case .active: 2
        case .contactOnly: 3
        case .unknownActivity, .dormant: 4
        case .exposed: 5
        case .clean: 6
        }
    }

    /// CEF severity (0 to 10) for a new state.
    public static func cefSeverity(_ state: VerdictState) -> Int {
        switch state {
        case .active: 10
        case .contactOnly: 8
        case .unknownActivity: 6
        case .dormant: 5
        case .exposed: 3
        case .clean: 0
        }
    }

    /// `<PRI>1 TIMESTAMP HOSTNAME vigil PROCID verdict - MSG`: RFC 5424 with no structured data and
    /// the message as MSG-ANY (no byte-order mark, which JSON and CEF parsers do not expect).
    public static func rfc5424(_ change: VerdictChange, payload: SyslogPayload, hostname: String, processID: Int32, version: String) throws -> [UInt8] {
        let pri = facility * 8 + severity(change.to)
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        formatter.timeZone = TimeZone(identifier: "UTC")
        let header = "<\(pri)>1 \(formatter.string(from: change.at)) \(headerField(hostname, max: 255)) vigil \(processID) verdict - "
        let body: [UInt8] = switch payload {
        case .json: try WebhookNotifier.body(change)
        case .cef: Array(cef(change, version: version).utf8)
        }
        return Array(header.utf8) + body
    }

    /// An RFC 5424 header field: printable US-ASCII only (others become `?`), at most `max` bytes, `-` when empty.
    static func headerField(_ text: String, max: Int) -> String {
        let cleaned = String(String.UnicodeScalarView(text.unicodeScalars.prefix(max).map { (33...126).contains($0.value) ? $0 : "?" }))
        return cleaned.isEmpty ? "-" : cleaned
    }

    /// `CEF:0|Vigil|vigil|VERSION|verdict-STATE|NAME|SEVERITY|dhost=… externalId=… rt=… cs1Label=… cs1=…`.
    public static func cef(_ change: VerdictChange, version: String) -> String {
        let to = change.to.rawValue
        let header = ["Vigil", "vigil", version, "verdict-\(to)", "Host verdict changed to \(to)", String(cefSeverity(change.to))]
            .map(cefHeader).joined(separator: "|")
        var fields: [(String, String)] = [
            ("dhost", change.hostname),
            ("externalId", String(change.hostID)),
            ("rt", String(Int64((change.at.timeIntervalSince1970 * 1000).rounded()))),
            ("act", "verdict-change"),
            ("cs1Label", "previousState"), ("cs1", change.from?.rawValue ?? "none"),
            ("cs2Label", "newState"), ("cs2", to),
            ("cs3Label", "reasons"), ("cs3", change.reasons.joined(separator: ",")),
        ]
        fields = fields.filter { !$0.1.isEmpty }
        return "CEF:0|" + header + "|" + fields.map { "\($0.0)=\(cefValue($0.1))" }.joined(separator: " ")
    }

    /// CEF header escaping: `\` and `|` get a backslash; line breaks (not allowed in the header) become spaces.
    public static func cefHeader(_ s: String) -> String {
        var out = ""
        for ch in s.unicodeScalars {
            switch ch {
            case "\\": out += "\\\\"
            case "|": out += "\\|"
            case "\n", "\r": out += " "
            default: out.unicodeScalars.append(ch)
            }
        }
        return out
    }

    /// CEF extension-value escaping: `\` and `=` get a backslash, line feed and carriage return
    /// become `\n` and `\r`; other control characters become spaces.
    public static func cefValue(_ s: String) -> String {
        var out = ""
        for ch in s.unicodeScalars {
            switch ch {
            case "\\": out += "\\\\"
            case "=": out += "\\="
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            default:
                if ch.value < 0x20 || ch.value == 0x7F { out += " " } else { out.unicodeScalars.append(ch) }
            }
        }
        return out
    }
}
