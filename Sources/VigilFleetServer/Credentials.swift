import Crypto
import Foundation
import VigilFleetProtocol

/// Random bearer tokens (enrolment secrets, host keys, API tokens) and the hashes the store keeps.
public enum FleetCredentials {
    /// A new token: `prefix` followed by 32 bytes from the system's CSPRNG, in lower-case hex.
    public static func newToken(prefix: String) -> String {
        let key = SymmetricKey(size: .bits256)
        return prefix + key.withUnsafeBytes { hex($0) }
    }

    /// What the store keeps for a token: SHA-256 of its UTF-8 text.
    public static func hash(_ token: String) -> Data {
        Data(SHA256.hash(data: Data(token.utf8)))
    }

    /// Whether `token` has the shape of a token with this prefix (prefix + 64 hex digits), checked before
    /// any lookup so junk never reaches the store.
    public static func isWellFormed(_ token: String, prefix: String) -> Bool {
        guard token.hasPrefix(prefix) else { return false }
        let rest = token.utf8.dropFirst(prefix.utf8.count)
        return rest.count == 64 && rest.allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x66) }
    }

    static func hex(_ bytes: some Sequence<UInt8>) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        for b in bytes {
            out.append(digits[Int(b >> 4)])
            out.append(digits[Int(b & 15)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    static func sha256Hex(_ data: Data) -> String { hex(SHA256.hash(data: data)) }
}
