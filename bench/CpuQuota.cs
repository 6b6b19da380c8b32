using System.Globalization;

namespace Serverless.Bench;

/// <summary>
/// A CPU quota for one process of the scale scenario: its own cgroup with a CFS quota, so each worker process is
/// limited as if it ran on a small machine of its own and the workers, not the shared cores, are the limit.
/// Uses the cgroup v1 <c>cpu</c> controller where it is mounted (<c>cpu.cfs_quota_us</c> of
/// <c>cpu.cfs_period_us</c>), otherwise cgroup v2 (<c>cpu.max</c>). Needs root.
/// </summary>
internal sealed class CpuQuota : IDisposable
{
    private const int PeriodMicroseconds = 100_000;
    private const string V1Root = "/sys/fs/cgroup/cpu";
    private const string V2Root = "/sys/fs/cgroup";

    private readonly string _path;

    private CpuQuota(string path) => _path = path;

    /// <summary>Gets the quota in percent of one core.</summary>
    public int Percent { get; private init; }

    /// <summary>Creates a cgroup named <paramref name="name"/> limited to <paramref name="percent"/> % of one core.</summary>
    public static CpuQuota Create(string name, int percent)
    {
        if (percent is < 1 or > 10_000)
        {
            throw new ArgumentOutOfRangeException(nameof(percent), percent, "A CPU quota is 1 to 10000 percent of one core.");
        }

        var quota = (PeriodMicroseconds * percent / 100).ToString(CultureInfo.InvariantCulture);
        var period = PeriodMicroseconds.ToString(CultureInfo.InvariantCulture);
        try
        {
            if (File.Exists(Path.Combine(V1Root, "cpu.cfs_quota_us")))
            {
                var path = Path.Combine(V1Root, name);
                Directory.CreateDirectory(path);
                File.WriteAllText(Path.Combine(path, "cpu.cfs_period_us"), period);
                File.WriteAllText(Path.Combine(path, "cpu.cfs_quota_us"), quota);
                return new CpuQuota(path) { Percent = percent };
            }

            if (File.Exists(Path.Combine(V2Root, "cgroup.controllers")) && File.ReadAllText(Path.Combine(V2Root, "cgroup.controllers")).Split(' ', '\n').Contains("cpu"))
            {
                var path = Path.Combine(V2Root, name);
                Directory.CreateDirectory(path);
                File.WriteAllText(Path.Combine(path, "cpu.max"), $"{quota} {period}");
                return new CpuQuota(path) { Percent = percent };
            }
        }
        catch (UnauthorizedAccessException e)
        {
            throw new InvalidOperationException($"--cpu-quota needs root to create a cgroup under {V1Root} or {V2Root}: {e.Message}", e);
        }
        catch (IOException e)
        {
            throw new InvalidOperationException($"--cpu-quota could not set up cgroup '{name}': {e.Message}", e);
        }

        throw new InvalidOperationException($"--cpu-quota needs a cgroup cpu controller: neither {V1Root}/cpu.cfs_quota_us (v1) nor a v2 hierarchy with the cpu controller at {V2Root}.");
    }

    /// <summary>Gets the file a process writes its id to to join the group.</summary>
    public string ProcsFile => Path.Combine(_path, "cgroup.procs");

    /// <summary>Removes the group; its processes must have exited.</summary>
    public void Dispose()
    {
        for (var attempt = 0; attempt < 50; attempt++)
        {
            try
            {
                Directory.Delete(_path);
                return;
            }
            catch (IOException)
            {
                Thread.Sleep(100); // the kernel frees the group a moment after its last process exits
            }
        }

        Console.Error.WriteLine($"  scale: could not remove cgroup {_path}");
    }
}
