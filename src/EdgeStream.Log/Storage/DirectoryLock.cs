using System.Globalization;
using System.Text;

namespace EdgeStream.Log.Storage;

/// <summary>
/// An exclusive lock on a data directory (file <c>lock</c>, held open with <see cref="FileShare.None"/>, which .NET
/// maps to <c>flock(LOCK_EX)</c> on Unix), so two processes never write one log. The kernel releases it when the
/// process dies, so a crash never leaves a stale lock. The file holds the owner's pid for the error message.
/// </summary>
internal sealed class DirectoryLock : IDisposable
{
    private readonly FileStream _file;

    private DirectoryLock(FileStream file) => _file = file;

    public static DirectoryLock Acquire(string directory)
    {
        var path = Path.Combine(directory, "lock");
        try
        {
            var file = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            file.SetLength(0);
            file.Write(Encoding.ASCII.GetBytes(Environment.ProcessId.ToString(CultureInfo.InvariantCulture)));
            file.Flush();
            return new DirectoryLock(file);
        }
        catch (IOException e)
        {
            string owner;
            try
            {
                using var reader = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
                owner = new StreamReader(reader).ReadToEnd().Trim();
            }
            catch (IOException)
            {
                owner = "?";
            }
            throw new LogException($"The data directory {directory} is in use by another EdgeStream process (pid {owner}). Stop it, or read its log through the HTTP API.", e);
        }
    }

    public void Dispose() => _file.Dispose();
}
