import VigilBinary

#if canImport(Glibc)
    @preconcurrency import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Opens a file read-only without blocking on a FIFO swapped in and without updating its access
/// time where allowed (`QuietFile`).
func openReadOnly(_ path: String) -> Int32 {
    QuietFile.open(path)
}

func closeFD(_ fd: Int32) { _ = close(fd) }

func errnoText(_ code: Int32 = errno) -> String { String(cString: strerror(code)) }
