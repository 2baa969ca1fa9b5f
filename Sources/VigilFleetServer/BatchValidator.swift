import Foundation
import VigilCore
import VigilFleetProtocol

/// Checks an agent's batch (and its facts) against the server's limits before anything is stored.
/// A batch with any bad field is refused whole, with the field and position in the message, so an agent
/// bug shows up at once instead of as a quietly partial inventory.
struct BatchValidator {
    let limits: FleetServerLimits

    func validate(_ batch: inout InventoryBatch) throws {
        guard (1...100).contains(batch.batchID.utf8.count),
            batch.batchID.utf8.allSatisfy({ Self.isIDByte($0) })
        else { throw FleetHTTPError.malformed("batchID must be 1 to 100 of A-Z a-z 0-9 - _") }
        guard batch.sweepID.utf8.count <= 100 else { throw FleetHTTPError.malformed("sweepID is longer than 100 bytes") }
        guard batch.sequence >= 1 else { throw FleetHTTPError.malformed("sequence must be 1 or more") }
        try validate(batch.agent)
        guard batch.files.count <= limits.maxFilesPerBatch else {
            throw FleetHTTPError.tooLarge("the batch holds \(batch.files.count) files; at most \(limits.maxFilesPerBatch) per batch")
        }
        guard batch.removed.count <= limits.maxRemovedPerBatch else {
            throw FleetHTTPError.tooLarge("the batch removes \(batch.removed.count) paths; at most \(limits.maxRemovedPerBatch) per batch")
        }
        guard batch.findings.count <= limits.maxFindingsPerBatch else {
            throw FleetHTTPError.tooLarge("the batch holds \(batch.findings.count) findings; at most \(limits.maxFindingsPerBatch) per batch")
        }
        guard batch.roots.count <= limits.maxRoots else { throw FleetHTTPError.malformed("more than \(limits.maxRoots) roots") }
        for (i, root) in batch.roots.enumerated() { try path(root, "roots[\(i)]") }
        for i in batch.files.indices {
            var file = batch.files[i]
            let at = "files[\(i)]"
            try path(file.path, "\(at).path")
            file.sha256 = file.sha256.lowercased()
            guard Self.isHex(file.sha256, length: 64) else { throw FleetHTTPError.malformed("\(at).sha256 is not 64 hexadecimal digits") }
            if let md5 = file.md5 {
                file.md5 = md5.lowercased()
                guard Self.isHex(file.md5!, length: 32) else { throw FleetHTTPError.malformed("\(at).md5 is not 32 hexadecimal digits") }
            }
            if let sha1 = file.sha1 {
                file.sha1 = sha1.lowercased()
                guard Self.isHex(file.sha1!, length: 40) else { throw FleetHTTPError.malformed("\(at).sha1 is not 40 hexadecimal digits") }
            }
            guard file.size >= 0 else { throw FleetHTTPError.malformed("\(at).size is negative") }
            for (name, value) in [("signer", file.signer), ("productName", file.productName), ("version", file.version)] {
                if let value { try text(value, "\(at).\(name)") }
            }
            batch.files[i] = file
        }
        for (i, removed) in batch.removed.enumerated() { try path(removed, "removed[\(i)]") }
        for (i, finding) in batch.findings.enumerated() {
            let at = "findings[\(i)]"
            try text(finding.check, "\(at).check")
            try text(finding.title, "\(at).title")
            if !finding.path.isEmpty { try path(finding.path, "\(at).path") }
            guard finding.explanation.utf8.count <= 16 * limits.maxTextBytes else {
                throw FleetHTTPError.malformed("\(at).explanation is longer than \(16 * limits.maxTextBytes) bytes")
            }
        }
    }

    func validate(_ agent: AgentFacts) throws {
        for (name, value) in [
            ("hostname", agent.hostname), ("hostIdentifier", agent.hostIdentifier), ("os", agent.os),
            ("osVersion", agent.osVersion), ("agentVersion", agent.agentVersion),
        ] {
            try text(value, "agent.\(name)")
        }
        guard !agent.hostIdentifier.isEmpty else { throw FleetHTTPError.malformed("agent.hostIdentifier is empty") }
        guard agent.addresses.count <= limits.maxAddresses else {
            throw FleetHTTPError.malformed("agent.addresses holds more than \(limits.maxAddresses) addresses")
        }
        for (i, address) in agent.addresses.enumerated() where address.utf8.count > 64 || address.isEmpty {
            throw FleetHTTPError.malformed("agent.addresses[\(i)] is not an address")
        }
    }

    private func path(_ value: String, _ at: String) throws {
        guard !value.isEmpty else { throw FleetHTTPError.malformed("\(at) is empty") }
        guard value.utf8.count <= limits.maxPathBytes else {
            throw FleetHTTPError.malformed("\(at) is \(value.utf8.count) bytes, longer than \(limits.maxPathBytes)")
        }
        guard !value.utf8.contains(0) else { throw FleetHTTPError.malformed("\(at) contains a NUL byte") }
    }

    private func text(_ value: String, _ at: String) throws {
        guard value.utf8.count <= limits.maxTextBytes else {
            throw FleetHTTPError.malformed("\(at) is longer than \(limits.maxTextBytes) bytes")
        }
        guard !value.utf8.contains(0) else { throw FleetHTTPError.malformed("\(at) contains a NUL byte") }
    }

    static func isIDByte(_ b: UInt8) -> Bool {
        (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || b == 0x2D || b == 0x5F
    }

    static func isHex(_ s: String, length: Int) -> Bool {
        s.utf8.count == length && s.utf8.allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x66) }
    }

    static func isFeedName(_ s: String) -> Bool {
        (1...64).contains(s.utf8.count) && s.utf8.allSatisfy { isIDByte($0) || $0 == 0x2E } && !s.hasPrefix(".")
    }
}
