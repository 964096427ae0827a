using System.Runtime.InteropServices;

namespace Datacrumbs.Ctl;

/// <summary>
/// Which f58 prefix `flux job id --to=f58` prints here, decided as libflux decides it (seen on
/// flux-core 0.88): 'f' when FLUX_F58_FORCE_ASCII is set, else 'ƒ' only when the locale the
/// environment selects (setlocale(LC_ALL, "")) has the UTF-8 codeset. So LANG=C gives 'f',
/// C.UTF-8 gives 'ƒ', and a UTF-8 locale that is not installed falls back to C, hence 'f'.
/// </summary>
public static partial class F58Locale
{
    private const int LcAll = 6;   // glibc
    private const int Codeset = 14; // glibc nl_item CODESET

    [LibraryImport("libc", EntryPoint = "setlocale", StringMarshalling = StringMarshalling.Utf8)]
    private static partial IntPtr SetLocale(int category, string locale);

    [LibraryImport("libc", EntryPoint = "nl_langinfo")]
    private static partial IntPtr NlLangInfo(int item);

    /// <summary>True when flux would print 'ƒ' in this process's environment.</summary>
    public static bool UsesUnicodePrefix()
    {
        if (Environment.GetEnvironmentVariable("FLUX_F58_FORCE_ASCII") is not null) return false;
        try
        {
            if (SetLocale(LcAll, "") == IntPtr.Zero) return false; // unknown locale: C
            return Marshal.PtrToStringUTF8(NlLangInfo(Codeset)) == "UTF-8";
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return false; // no glibc: the ASCII form is always safe
        }
    }
}
