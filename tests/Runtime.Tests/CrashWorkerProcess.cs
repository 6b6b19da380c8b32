using System.Diagnostics;
using System.Globalization;
using Serverless.DurableTask;

namespace Serverless.Runtime.Tests;

/// <summary>Starts the crash test's worker program (tests/CrashWorker) as a child process.</summary>
internal static class CrashWorkerProcess
{
    /// <summary>Starts it on a SQLite file in <paramref name="directory"/>, or on a PostgreSQL schema when one is given; optionally armed with a crash point.</summary>
    public static Process Start(string directory, int instances, string? postgresSchema = null, string? crashPoint = null)
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "Serverless.CrashWorker.dll");
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(dll);
        info.ArgumentList.Add(directory);
        info.ArgumentList.Add(instances.ToString(CultureInfo.InvariantCulture));
        if (postgresSchema is not null)
        {
            info.ArgumentList.Add("postgres:" + postgresSchema);
            info.Environment[TestStores.PostgresVariable] = TestStores.PostgresConnectionString;
        }

        info.Environment.Remove(CrashPoints.EnvironmentVariable);
        if (crashPoint is not null)
        {
            info.Environment[CrashPoints.EnvironmentVariable] = crashPoint;
        }

        return Process.Start(info) ?? throw new InvalidOperationException("could not start the worker");
    }
}
