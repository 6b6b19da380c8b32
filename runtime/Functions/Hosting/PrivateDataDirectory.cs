using System.Runtime.InteropServices;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Serverless.Functions.Hosting;

/// <summary>
/// Keeps the data directory to the host's own user: it holds the stores, the keys and what the app keeps beside them.
/// At start-up the process umask becomes 077 (Linux), so every file and folder created from then on — by the host, the
/// app, or SQLite itself (<c>-wal</c>, <c>-shm</c>, <c>-journal</c>) — is 0600 / 0700 whoever creates it; the directory is
/// created 0700, and when it exists with access for others, it and everything in it lose that access (0755 → 0700,
/// 0644 → 0600; symbolic links are left alone).
/// </summary>
internal static class PrivateDataDirectory
{
    /// <summary>The mode of the data directory and of the folders in it.</summary>
    public const UnixFileMode DirectoryMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    /// <summary>Every permission of the group and of others.</summary>
    public const UnixFileMode GroupAndOthers = UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute
        | UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;

    /// <summary>Sets the umask, then creates the directory or tightens it; says what it changed and what it could not.</summary>
    public static Report Prepare(string directory)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(directory);
            return new Report(directory, [], []);
        }

        if (OperatingSystem.IsLinux())
        {
            _ = Umask((uint)GroupAndOthers);
        }

        if (!Directory.Exists(directory))
        {
            Directory.CreateDirectory(directory, DirectoryMode);
            return new Report(directory, [], []);
        }

        var tightened = new List<string>();
        var refused = new List<string>();
        Tighten(new DirectoryInfo(directory), tightened, refused);
        return new Report(directory, tightened, refused);
    }

    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    private static void Tighten(FileSystemInfo entry, List<string> tightened, List<string> refused)
    {
        try
        {
            var mode = entry.UnixFileMode;
            if ((mode & GroupAndOthers) != 0)
            {
                entry.UnixFileMode = mode & ~GroupAndOthers;
                tightened.Add(entry.FullName);
            }

            if (entry is DirectoryInfo folder)
            {
                foreach (var inner in folder.EnumerateFileSystemInfos())
                {
                    if (inner.LinkTarget is null)
                    {
                        Tighten(inner, tightened, refused);
                    }
                }
            }
        }
        catch (Exception ex) when (ex is UnauthorizedAccessException or IOException)
        {
            refused.Add($"{entry.FullName} ({ex.Message})");
        }
    }

    // DllImport rather than LibraryImport: a blittable call needs no generated marshalling, nor unsafe code in the project.
    [DllImport("libc", EntryPoint = "umask")]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern uint Umask(uint mask);

    /// <summary>What <see cref="Prepare"/> did: the entries it made private, and those it could not change (with why).</summary>
    public sealed record Report(string Directory, IReadOnlyList<string> Tightened, IReadOnlyList<string> Refused);

    /// <summary>Logs the report once the host starts: a warning for each kind of change, nothing when there was none.</summary>
    internal sealed class Logger(Report report, ILogger<Report> logger) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken)
        {
            if (report.Tightened.Count > 0)
            {
                logger.DataDirectoryTightened(report.Directory, report.Tightened.Count, string.Join(", ", report.Tightened.Select(p => Path.GetRelativePath(report.Directory, p))));
            }

            if (report.Refused.Count > 0)
            {
                logger.DataDirectoryNotPrivate(report.Directory, string.Join("; ", report.Refused));
            }

            return Task.CompletedTask;
        }

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
