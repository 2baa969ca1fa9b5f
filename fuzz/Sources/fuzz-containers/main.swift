import CFuzzDriver
import Foundation
import VigilContainers

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// One input: the bytes as a file, walked by `ContainerWalker` through libarchive (ArchiveKit)
/// with small caps, as `vigil scan` would walk a container it found.
///
/// Checks what must hold for any input: no trap, no member's extracted file over the member cap, no
/// safe name that is absolute or holds `..`, every temporary file removed after the walk.
let workspace = try! PrivateWorkspace.create()
let limits = ContainerLimits(
    maxMembers: 64, maxDepth: 3, maxTotalBytes: 8 << 20, maxExpansionRatio: 50, ratioFloorBytes: 64 << 10, maxMemberBytes: 1 << 20)
let walker = ContainerWalker(limits: limits, workspace: workspace)
let inputPath = workspace.path + "/../" + URL(fileURLWithPath: workspace.path).lastPathComponent + "-input"

func fuzzContainers(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    guard let data else { return 0 }
    let fd = open(inputPath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
    guard fd >= 0 else { fatalError("cannot write the input file") }
    var off = 0
    while off < size {
        let n = write(fd, data + off, size - off)
        if n <= 0 { fatalError("short write") }
        off += n
    }
    close(fd)
    walker.walk(
        path: inputPath, chain: ContainerPath(outer: "input"),
        visit: { member in
            for part in member.chain.members {
                if part.hasPrefix("/") || part.split(separator: "/").contains("..") || part.isEmpty {
                    fatalError("unsafe name reached the visitor: \(member.chain)")
                }
            }
            if let file = member.file {
                var st = stat()
                guard stat(file, &st) == 0 else { fatalError("member file missing: \(file)") }
                if Int64(st.st_size) > limits.maxMemberBytes { fatalError("member over the cap: \(st.st_size)") }
                if Int64(st.st_size) != member.size { fatalError("size \(member.size) but file holds \(st.st_size)") }
            }
            return false
        },
        report: { _ in })
    let left = (try? FileManager.default.contentsOfDirectory(atPath: workspace.path)) ?? []
    if !left.isEmpty { fatalError("files left in the workspace: \(left)") }
    return 0
}

var argc = CommandLine.argc
var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
let status = LLVMFuzzerRunDriver(&argc, &argv) { fuzzContainers($0, $1) }
unlink(inputPath)
workspace.remove()
exit(status)
