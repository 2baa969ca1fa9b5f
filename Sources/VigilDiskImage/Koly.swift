import VigilBinary

/// The 512-byte UDIF trailer (`koly` block) at the end of a .dmg, all fields big-endian.
public struct KolyTrailer: Sendable, Hashable {
    public static let size = 512
    public var version: UInt32
    public var flags: UInt32
    public var dataForkOffset: UInt64
    public var dataForkLength: UInt64
    public var resourceForkOffset: UInt64
    public var resourceForkLength: UInt64
    public var segmentNumber: UInt32
    public var segmentCount: UInt32
    public var xmlOffset: UInt64
    public var xmlLength: UInt64
    public var imageVariant: UInt32
    /// The disk size in 512-byte sectors.
    public var sectorCount: UInt64

    /// Whether `bytes` (the last 512 bytes of a file) start with the `koly` signature.
    public static func hasSignature(_ bytes: [UInt8]) -> Bool {
        bytes.count >= 4 && bytes[0] == 0x6B && bytes[1] == 0x6F && bytes[2] == 0x6C && bytes[3] == 0x79
    }

    /// Parses and checks the trailer of a file of `fileSize` bytes.
    /// - Throws: ``DiskImageError`` when the trailer is short, has a wrong version or header size, or
    ///   points outside the file.
    public init(bytes: [UInt8], fileSize: UInt64) throws(DiskImageError) {
        guard bytes.count == Self.size, Self.hasSignature(bytes) else {
            throw DiskImageError(.notRecognised, "no UDIF 'koly' trailer in the last 512 bytes")
        }
        let r = ByteReader(bytes)
        do {
            version = try r.u32be(at: 4)
            let headerSize = try r.u32be(at: 8)
            flags = try r.u32be(at: 12)
            dataForkOffset = try r.u64be(at: 24)
            dataForkLength = try r.u64be(at: 32)
            resourceForkOffset = try r.u64be(at: 40)
            resourceForkLength = try r.u64be(at: 48)
            segmentNumber = try r.u32be(at: 56)
            segmentCount = try r.u32be(at: 60)
            xmlOffset = try r.u64be(at: 216)
            xmlLength = try r.u64be(at: 224)
            imageVariant = try r.u32be(at: 488)
            sectorCount = try r.u64be(at: 492)
            guard headerSize == 512 else {
                throw DiskImageError(.malformed, "koly header size is \(headerSize), expected 512")
            }
        } catch let error as DiskImageError {
            throw error
        } catch {
            throw DiskImageError(.malformed, "koly trailer: \(error)")
        }
        guard version == 4 else { throw DiskImageError(.unsupported, "koly version \(version) (only version 4 is known)") }
        guard segmentCount <= 1 else {
            throw DiskImageError(.unsupported, "segmented UDIF image (segment \(segmentNumber) of \(segmentCount)): read the joined image")
        }
        let body = fileSize - UInt64(Self.size)  // caller ensures fileSize >= 512
        guard Self.inside(dataForkOffset, dataForkLength, body) else {
            throw DiskImageError(.malformed, "koly data fork \(dataForkOffset)+\(dataForkLength) lies outside the \(body)-byte image body")
        }
        guard Self.inside(xmlOffset, xmlLength, body) else {
            throw DiskImageError(.malformed, "koly XML property list \(xmlOffset)+\(xmlLength) lies outside the \(body)-byte image body")
        }
    }

    /// Whether `offset ..< offset+length` lies inside `0 ..< limit`, without overflow.
    static func inside(_ offset: UInt64, _ length: UInt64, _ limit: UInt64) -> Bool {
        offset <= limit && length <= limit - offset
    }
}
