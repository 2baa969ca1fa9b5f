import CFuzzDriver

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif
import VigilMSI

/// One input: the MSI database layer of `VigilMSI` (stream names, string pool, `_Tables`,
/// `_Columns`, every table, then File/Component/Directory/Media resolved to install paths).
///
/// What must hold for any input: no trap or hang, every row has one cell per column, and no install
/// path has a `..` component.
func fuzzMSI(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    guard let data else { return 0 }
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    guard let db = try? MSIDatabase(bytes: bytes) else { return 0 }
    var problems: [MSIProblem] = []
    for name in db.tableNames {
        guard let table = try? db.table(name, problems: &problems) else { continue }
        for row in table.rows where row.count != table.columns.count {
            fatalError("table \(name): a row of \(row.count) cells for \(table.columns.count) columns")
        }
    }
    guard let msi = try? MSIPackage(database: db, path: nil) else { return 0 }
    for f in msi.files where f.installPath.split(separator: "/").contains("..") {
        fatalError("install path climbs: \(f.installPath)")
    }
    _ = msi.externalCabinetNames
    return 0
}

var argc = CommandLine.argc
var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
exit(LLVMFuzzerRunDriver(&argc, &argv) { fuzzMSI($0, $1) })
