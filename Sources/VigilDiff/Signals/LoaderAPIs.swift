/// Imported functions that loaders, injectors and downloaders use, grouped by what they let code do.
/// A library that gains several of these while its exports stay the same has gained a behaviour
/// its purpose does not explain (the trojanized 3CX `ffmpeg.dll` gained file reading and
/// `VirtualProtect`).
public enum LoaderAPIs {
    /// Capability → function names (matched case-insensitively, `A`/`W`/`Ex` suffixes included).
    public static let capabilities: [(capability: String, functions: [String])] = [
        ("executable memory", ["VirtualProtect", "VirtualProtectEx", "VirtualAlloc", "VirtualAllocEx", "NtProtectVirtualMemory", "NtAllocateVirtualMemory", "mprotect", "mmap", "vm_protect"]),
        ("cross-process injection", ["WriteProcessMemory", "CreateRemoteThread", "CreateRemoteThreadEx", "NtCreateThreadEx", "QueueUserAPC", "SetThreadContext", "NtWriteVirtualMemory", "OpenProcess", "task_for_pid", "mach_vm_write"]),
        ("dynamic loading", ["LoadLibraryA", "LoadLibraryW", "LoadLibraryExA", "LoadLibraryExW", "GetProcAddress", "LdrLoadDll", "LdrGetProcedureAddress", "dlopen", "dlsym"]),
        ("file reading", ["CreateFileA", "CreateFileW", "ReadFile", "MapViewOfFile", "CreateFileMappingA", "CreateFileMappingW", "GetModuleFileNameA", "GetModuleFileNameW"]),
        ("thread creation", ["CreateThread", "_beginthreadex", "pthread_create", "RtlCreateUserThread"]),
        ("network", ["InternetOpenA", "InternetOpenW", "InternetOpenUrlA", "InternetOpenUrlW", "InternetReadFile", "HttpOpenRequestA", "HttpOpenRequestW", "HttpSendRequestA", "HttpSendRequestW", "WinHttpOpen", "WinHttpConnect", "WinHttpOpenRequest", "WinHttpSendRequest", "WinHttpReceiveResponse", "WinHttpReadData", "URLDownloadToFileA", "URLDownloadToFileW", "WSAStartup", "connect", "getaddrinfo", "gethostbyname"]),
        ("crypto", ["CryptDecrypt", "BCryptDecrypt", "BCryptEncrypt", "CryptStringToBinaryA", "CryptStringToBinaryW"]),
    ]

    private static let index: [String: String] = {
        var out: [String: String] = [:]
        for (capability, functions) in capabilities {
            for f in functions { out[f.lowercased()] = capability }
        }
        return out
    }()

    /// The capability of an import written as `library!function`, or `nil` for ordinary imports.
    public static func capability(ofImport entry: String) -> String? {
        let function = entry.split(separator: "!").last.map(String.init) ?? entry
        return index[function.lowercased()]
    }

    /// The function part of `library!function`.
    static func function(_ entry: String) -> String {
        entry.split(separator: "!").last.map(String.init) ?? entry
    }
}
