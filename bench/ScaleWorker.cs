using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Globalization;
using Npgsql;
using Serverless.DurableTask;

namespace Serverless.Bench;

/// <summary>
/// The work one scale worker had done at a moment: orchestration steps, activities, lease queries, CPU time, and how
/// many methods its runtime had compiled (<see cref="System.Runtime.JitInfo"/>: first compilations and the tiered
/// recompilations of hot methods), a cost a worker pays once however much work it does.
/// </summary>
internal sealed record WorkerMark(long Steps, long Activities, long LeaseQueries, long EmptyLeaseQueries, double CpuSeconds, long CompiledMethods)
{
    public long WorkItems => Steps + Activities;

    public static WorkerMark operator -(WorkerMark a, WorkerMark b) =>
        new(a.Steps - b.Steps, a.Activities - b.Activities, a.LeaseQueries - b.LeaseQueries, a.EmptyLeaseQueries - b.EmptyLeaseQueries, a.CpuSeconds - b.CpuSeconds, a.CompiledMethods - b.CompiledMethods);

    public string Format() => string.Create(CultureInfo.InvariantCulture, $"MARK {Steps} {Activities} {LeaseQueries} {EmptyLeaseQueries} {CpuSeconds:R} {CompiledMethods}");

    public static WorkerMark Parse(string? line)
    {
        var parts = line?.Split(' ');
        if (parts is not ["MARK", _, _, _, _, var cpu, var jit])
        {
            throw new InvalidOperationException($"a scale worker answered '{line}' instead of a MARK line");
        }

        var counts = parts[1..5].Select(p => long.Parse(p, CultureInfo.InvariantCulture)).ToArray();
        return new(counts[0], counts[1], counts[2], counts[3], double.Parse(cpu, CultureInfo.InvariantCulture), long.Parse(jit, CultureInfo.InvariantCulture));
    }
}

/// <summary>Counts, inside a worker process, the orchestration steps and activities the runtime reports on its meter.</summary>
internal sealed class WorkCounter : IDisposable
{
    private readonly MeterListener _listener = new();
    private long _steps;
    private long _activities;
    private long _queries;
    private long _empty;

    public WorkCounter()
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == DurableTaskTelemetry.Name && instrument.Name is "durabletask.orchestration.step.duration" or "durabletask.activity.duration" or "durabletask.store.lease_queries")
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<double>((instrument, _, _, _) =>
        {
            if (instrument.Name == "durabletask.activity.duration")
            {
                Interlocked.Increment(ref _activities);
            }
            else
            {
                Interlocked.Increment(ref _steps);
            }
        });
        _listener.SetMeasurementEventCallback<long>((_, _, tags, _) =>
        {
            Interlocked.Increment(ref _queries);
            foreach (var tag in tags)
            {
                if (tag is { Key: "durabletask.result", Value: "empty" })
                {
                    Interlocked.Increment(ref _empty);
                }
            }
        });
        _listener.Start();
    }

    public WorkerMark Mark() =>
        new(Interlocked.Read(ref _steps), Interlocked.Read(ref _activities), Interlocked.Read(ref _queries), Interlocked.Read(ref _empty), Process.GetCurrentProcess().TotalProcessorTime.TotalSeconds, System.Runtime.JitInfo.GetCompiledMethodCount());

    public void Dispose() => _listener.Dispose();
}

/// <summary>One worker process of the scale scenario (this program with <c>--worker</c>), optionally in a CPU-limited cgroup.</summary>
internal sealed class ScaleWorker : IDisposable
{
    private readonly Process _process;
    private readonly CpuQuota? _quota;

    private ScaleWorker(Process process, CpuQuota? quota)
    {
        _process = process;
        _quota = quota;
    }

    public static ScaleWorker Start(string schema, int index, int? quotaPercent, string connectionString)
    {
        // Started the way this program was: the apphost, or dotnet with the assembly.
        var self = Environment.ProcessPath!;
        List<string> command = [self];
        if (Path.GetFileNameWithoutExtension(self) == "dotnet")
        {
            command.Add(typeof(Scenarios).Assembly.Location);
        }

        command.AddRange(["--worker", schema, "--postgres", connectionString]);
        var quota = quotaPercent is { } percent ? CpuQuota.Create($"hub-bench-{schema}-{index}", percent) : null;
        try
        {
            // With a quota the worker starts inside its group (a shell joins it, then becomes the worker), so the .NET
            // runtime reads the quota at start-up as it would in a container: one processor, and no spinning for a second.
            var info = quota is null ? new ProcessStartInfo(command[0]) : new ProcessStartInfo("/bin/sh");
            if (quota is not null)
            {
                info.ArgumentList.Add("-c");
                info.ArgumentList.Add($"echo $$ > '{quota.ProcsFile}' && exec \"$0\" \"$@\"");
                info.ArgumentList.Add(command[0]);
            }

            foreach (var argument in command.Skip(1))
            {
                info.ArgumentList.Add(argument);
            }

            info.RedirectStandardInput = true;
            info.RedirectStandardOutput = true;
            info.UseShellExecute = false;
            var process = Process.Start(info) ?? throw new InvalidOperationException("could not start a worker");
            return new ScaleWorker(process, quota);
        }
        catch
        {
            quota?.Dispose();
            throw;
        }
    }

    /// <summary>Gets the processor count the worker's runtime sees (1 under a quota below a core, as in a small container).</summary>
    public int Processors { get; private set; }

    public async Task WaitReadyAsync()
    {
        using var startup = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        var line = await _process.StandardOutput.ReadLineAsync(startup.Token);
        if (line?.Split(' ') is not ["READY", var processors])
        {
            throw new InvalidOperationException($"worker said '{line}' instead of READY");
        }

        Processors = int.Parse(processors, CultureInfo.InvariantCulture);
    }

    public async Task<WorkerMark> MarkAsync()
    {
        await _process.StandardInput.WriteLineAsync("MARK");
        await _process.StandardInput.FlushAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        return WorkerMark.Parse(await _process.StandardOutput.ReadLineAsync(timeout.Token));
    }

    public void Dispose()
    {
        _process.StandardInput.Close();
        if (!_process.WaitForExit(30_000))
        {
            _process.Kill();
            _process.WaitForExit();
        }

        _process.Dispose();
        _quota?.Dispose();
    }
}

/// <summary>The database's committed transactions and its processes' CPU time at a moment.</summary>
internal sealed record ServerSample(long Commits, double CpuSeconds)
{
    public static ServerSample operator -(ServerSample a, ServerSample b) => new(a.Commits - b.Commits, a.CpuSeconds - b.CpuSeconds);
}

/// <summary>
/// The PostgreSQL server of the bench (on this machine): its commit count from <c>pg_stat_database</c> and the CPU
/// time of the postmaster and all its children from <c>/proc</c> (zero where /proc does not show them).
/// </summary>
internal sealed class PostgresServer
{
    private readonly string _connectionString;
    private readonly int _postmaster;

    private PostgresServer(string connectionString, int postmaster)
    {
        _connectionString = connectionString;
        _postmaster = postmaster;
    }

    public static async Task<PostgresServer> FindAsync(string connectionString)
    {
        var unpooled = new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false }.ToString();
        await using var connection = new NpgsqlConnection(unpooled);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT pg_backend_pid()", connection);
        var backend = Convert.ToInt32(await command.ExecuteScalarAsync(), CultureInfo.InvariantCulture);
        return new PostgresServer(unpooled, ParentOf(backend) ?? 0);
    }

    public async Task<ServerSample> SampleAsync()
    {
        // Statistics reach pg_stat_database when a backend goes idle, at most once a second: let them settle.
        await Task.Delay(TimeSpan.FromSeconds(1.2));
        await using var connection = new NpgsqlConnection(_connectionString);
        await connection.OpenAsync();
        await using (var clear = new NpgsqlCommand("SELECT pg_stat_clear_snapshot()", connection))
        {
            await clear.ExecuteNonQueryAsync();
        }

        await using var command = new NpgsqlCommand("SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()", connection);
        var commits = Convert.ToInt64(await command.ExecuteScalarAsync(), CultureInfo.InvariantCulture);
        return new ServerSample(commits, _postmaster == 0 ? 0 : CpuSeconds(_postmaster));
    }

    private static double CpuSeconds(int postmaster)
    {
        var ticks = 0L;
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(dir), out var pid) && (pid == postmaster || ParentOf(pid) == postmaster) && Stat(pid) is { } stat)
            {
                ticks += long.Parse(stat[13], CultureInfo.InvariantCulture) + long.Parse(stat[14], CultureInfo.InvariantCulture); // utime + stime
            }
        }

        return ticks / 100.0; // USER_HZ
    }

    private static int? ParentOf(int pid) => Stat(pid) is { } stat ? int.Parse(stat[3], CultureInfo.InvariantCulture) : null;

    // /proc/<pid>/stat split after the command name (which may hold spaces): index 0 is the pid, 3 the parent.
    private static string[]? Stat(int pid)
    {
        try
        {
            var text = File.ReadAllText($"/proc/{pid}/stat");
            var close = text.LastIndexOf(')');
            return [text[..text.IndexOf(' ')], "comm", .. text[(close + 2)..].Split(' ')];
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }
}
