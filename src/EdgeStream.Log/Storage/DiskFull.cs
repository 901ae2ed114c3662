namespace EdgeStream.Log.Storage;

/// <summary>
/// Recognises "the volume is full" among I/O errors. On Linux and macOS .NET raises <see cref="IOException"/> with
/// <see cref="Exception.HResult"/> set to the raw errno (ENOSPC 28; EDQUOT 122 on Linux, 69 on macOS) and the
/// message "No space left on device"; on Windows the HRESULTs of ERROR_DISK_FULL and ERROR_HANDLE_DISK_FULL. Stateless.
/// </summary>
internal static class DiskFull
{
    private const int Enospc = 28;
    private const int EdquotLinux = 122;
    private const int EdquotMac = 69;
    private const int ErrorDiskFull = unchecked((int)0x80070070);
    private const int ErrorHandleDiskFull = unchecked((int)0x80070027);

    public static bool Is(Exception e)
    {
        for (var x = e; x is not null; x = x.InnerException)
        {
            if (x is IOException io && IsCode(io.HResult))
            {
                return true;
            }
        }
        return false;
    }

    private static bool IsCode(int code)
        => OperatingSystem.IsWindows()
            ? code is ErrorDiskFull or ErrorHandleDiskFull
            : code == Enospc || code == (OperatingSystem.IsMacOS() ? EdquotMac : EdquotLinux);
}
