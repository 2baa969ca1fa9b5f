/// Names of Windows libraries that matter to DLL side-loading, kept as data (the lists vary by Windows
/// build; callers may replace them through ``DetectionOptions``).
///
/// Sources: the KnownDLLs values of a Windows 10 / Server host (the
/// `HKLM\SYSTEM\CurrentControlSet\Control\Session Manager\KnownDLLs` key as a published winPEAS
/// output lists it; docs/detections.md) plus `ntdll.dll`, which is always preloaded, and the newer ARM64/WOW64 entries.
/// The system-library list is Vigil's own selection of System32 file names (names are facts; nothing is
/// taken from the GPL HijackLibs data set).
public enum WindowsLibraries {
    /// `HKLM\SYSTEM\CurrentControlSet\Control\Session Manager\KnownDLLs` (lower case, with `.dll`).
    /// A KnownDLL always loads from the system copy, so a copy in an application folder is never loaded
    /// by name: odd, but not a side-loading path by itself.
    public static let knownDLLs: Set<String> = [
        "_wow64cpu.dll", "_wowarmhw.dll", "_xtajit.dll", "advapi32.dll", "clbcatq.dll", "combase.dll",
        "comdlg32.dll", "coml2.dll", "difxapi.dll", "gdi32.dll", "gdiplus.dll", "imagehlp.dll", "imm32.dll",
        "kernel32.dll", "msctf.dll", "msvcrt.dll", "normaliz.dll", "nsi.dll", "ole32.dll", "oleaut32.dll",
        "psapi.dll", "rpcrt4.dll", "sechost.dll", "setupapi.dll", "shcore.dll", "shell32.dll", "shlwapi.dll",
        "user32.dll", "wldap32.dll", "wow64.dll", "wow64win.dll", "ws2_32.dll", "ntdll.dll", "xtajit64.dll",
        "wow64base.dll", "wow64con.dll", "kernelbase.dll",
    ]

    /// Libraries that live in `System32` and that applications do not normally ship: a copy next to a
    /// program is loaded instead of the system one (DLL search order), the classic side-loading plant.
    public static let systemLibraries: Set<String> = [
        "aclui.dll", "activeds.dll", "adsldpc.dll", "amsi.dll", "apphelp.dll", "appvpolicy.dll", "atl.dll",
        "audioses.dll", "authz.dll", "avrt.dll", "bcrypt.dll", "bcryptprimitives.dll", "cabinet.dll",
        "cfgmgr32.dll", "clusapi.dll", "comctl32.dll", "comsvcs.dll", "coremessaging.dll", "credui.dll",
        "crypt32.dll", "cryptbase.dll", "cryptdll.dll", "cryptnet.dll", "cryptsp.dll", "cryptui.dll",
        "cscapi.dll", "d2d1.dll", "d3d10.dll", "d3d10_1.dll", "d3d10core.dll", "d3d11.dll", "d3d12.dll",
        "d3d9.dll", "dataexchange.dll", "davclnt.dll", "dbgcore.dll", "dbghelp.dll", "dcomp.dll",
        "devobj.dll", "devrtl.dll", "dhcpcsvc.dll", "dhcpcsvc6.dll", "dinput8.dll", "dnsapi.dll",
        "dpapi.dll", "dsound.dll", "dsparse.dll", "dsreg.dll", "dsrole.dll", "dui70.dll", "duser.dll",
        "dwmapi.dll", "dwrite.dll", "dxgi.dll", "dxva2.dll", "edputil.dll", "esent.dll", "evr.dll",
        "faultrep.dll", "fltlib.dll", "fwpuclnt.dll", "hid.dll", "httpapi.dll", "iertutil.dll",
        "iphlpapi.dll", "ksuser.dll", "ktmw32.dll", "logoncli.dll", "mapi32.dll", "mf.dll", "mfc42.dll",
        "mfc42u.dll", "mfplat.dll", "mfreadwrite.dll", "mi.dll", "mlang.dll", "mpr.dll", "msacm32.dll",
        "msasn1.dll", "mscms.dll", "msdrm.dll", "msftedit.dll", "msi.dll", "msimg32.dll", "msv1_0.dll",
        "mswsock.dll", "msxml3.dll", "msxml6.dll", "ncrypt.dll", "ndfapi.dll", "netapi32.dll",
        "netutils.dll", "newdev.dll", "ntdsapi.dll", "ntmarta.dll", "ntshrui.dll", "oleacc.dll",
        "oledlg.dll", "opengl32.dll", "pdh.dll", "powrprof.dll", "profapi.dll", "propsys.dll",
        "rasapi32.dll", "rasman.dll", "riched20.dll", "riched32.dll", "rsaenh.dll", "rtutils.dll",
        "samcli.dll", "samlib.dll", "sapi.dll", "sas.dll", "secur32.dll", "sfc.dll", "slc.dll",
        "spp.dll", "srvcli.dll", "sspicli.dll", "sxs.dll", "tapi32.dll", "textinputframework.dll",
        "textshaping.dll", "tquery.dll", "twinapi.dll", "uiautomationcore.dll", "umpdc.dll", "urlmon.dll",
        "userenv.dll", "usp10.dll", "uxtheme.dll", "version.dll", "vssapi.dll", "wbemcomn.dll",
        "webservices.dll", "wer.dll", "wevtapi.dll", "winbrand.dll", "windowscodecs.dll", "winhttp.dll",
        "wininet.dll", "winmm.dll", "winnsi.dll", "winscard.dll", "winspool.drv", "winsta.dll",
        "wintrust.dll", "winusb.dll", "wkscli.dll", "wldp.dll", "wlanapi.dll", "wmi.dll", "wow32.dll",
        "wsock32.dll", "wtsapi32.dll", "xmllite.dll", "xinput1_3.dll", "xinput1_4.dll", "xinput9_1_0.dll",
    ]

    /// Libraries Microsoft lets applications deploy beside themselves ("app-local" redistributables):
    /// a copy in an application folder is normal. A name here never rises above `low` on its own.
    public static let appLocalRedistributables: Set<String> = [
        "d3dcompiler_43.dll", "d3dcompiler_46.dll", "d3dcompiler_47.dll", "dbghelp.dll", "dbgcore.dll",
        "ucrtbase.dll", "msvcp140.dll", "msvcp140_1.dll", "msvcp140_2.dll", "msvcp140_atomic_wait.dll",
        "msvcp140_codecvt_ids.dll", "vcruntime140.dll", "vcruntime140_1.dll", "vcruntime140_threads.dll",
        "concrt140.dll", "vccorlib140.dll", "vcomp140.dll", "mfc140.dll", "mfc140u.dll", "mfcm140.dll",
        "mfcm140u.dll", "msvcp120.dll", "msvcr120.dll", "msvcp110.dll", "msvcr110.dll", "msvcp100.dll",
        "msvcr100.dll", "msvcp90.dll", "msvcr90.dll", "msvcp80.dll", "msvcr80.dll", "msvcr71.dll",
        "msvcp71.dll", "mfc71.dll", "xinput1_3.dll", "d3dx9_43.dll", "opengl32.dll", "vulkan-1.dll",
        "libegl.dll", "libglesv2.dll", "webview2loader.dll",
    ]

    /// Whether `name` is an API-set stub (`api-ms-win-*.dll`, `ext-ms-*.dll`): resolved by the loader's
    /// API-set schema, commonly shipped app-local with the Universal CRT.
    public static func isAPISet(_ name: String) -> Bool {
        name.hasPrefix("api-ms-win-") || name.hasPrefix("ext-ms-")
    }
}
