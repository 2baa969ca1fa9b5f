import CVigilSys

#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// Lowers CPU and I/O priority. On Linux both are attributes of the calling thread, inherited by the
/// threads it creates afterwards; the agent applies them on the thread that starts a sweep.
public enum LowImpact {
    /// Sets the niceness (`setpriority`) and, when asked, the idle I/O class (`ioprio_set`).
    /// Returns what could not be done, as sentences (the agent goes on either way).
    public static func apply(nice: Int, idleIO: Bool) -> [String] {
        var problems: [String] = []
        if nice > 0, setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, Int32(nice)) != 0 {
            problems.append("cannot set nice \(nice): \(String(cString: strerror(errno)))")
        }
        if idleIO, cvigil_set_idle_io_priority() != 0 {
            problems.append("cannot set the idle I/O class: \(String(cString: strerror(errno)))")
        }
        return problems
    }

    /// The process's current niceness.
    public static var currentNice: Int {
        errno = 0
        return Int(getpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0))
    }
}
