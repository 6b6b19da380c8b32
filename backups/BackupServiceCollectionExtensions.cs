using CompanyHub.Security;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace CompanyHub.Backups;

/// <summary>Registers encrypted S3 backups and, on a machine without a store, restores the newest good snapshot first.</summary>
public static class BackupServiceCollectionExtensions
{
    /// <summary>
    /// Reads the backup settings (off without <c>S3_BUCKET</c>), restores at once when the store is missing (this runs
    /// while the app is composed, before anything opens a database), and registers the backup service, which also runs
    /// the schedule. Throws <see cref="BackupConfigurationException"/> on a bad setting.
    /// </summary>
    public static void AddHubBackups(this IServiceCollection services, IConfiguration configuration, KeyRing keys, string dataDirectory, string? storePath, ILogger startupLog)
    {
        var options = BackupOptions.Read(configuration);
        if (options is not null && storePath is null)
        {
            // Snapshots copy SQLite files; on PostgreSQL the store, the audit log and the archive are in the database.
            startupLog.LogWarning("Backups: S3_BUCKET is set, but the durable store is not SQLite: snapshots are off. Back up the database with its own tools (pg_dump, WAL archiving).");
            options = null;
        }

        var startup = new BackupService(options, keys, dataDirectory, storePath, startupLog);
        if (options is not null)
        {
            startup.RemoveLeftovers();
            startupLog.LogInformation("Backups: encrypted snapshots to {Target} every {Interval} s when something changed; the newest {Retention} are kept.", options.Describe(), options.Interval.TotalSeconds, options.Retention);
            startup.RestoreIfStoreMissingAsync(CancellationToken.None).GetAwaiter().GetResult();

            // The snapshot at shutdown runs after the durable worker's grace period: give the host the time for both.
            services.PostConfigure<HostOptions>(o => o.ShutdownTimeout += BackupService.ShutdownBudget);
        }

        services.AddSingleton(sp =>
        {
            var service = new BackupService(options, keys, dataDirectory, storePath, sp.GetRequiredService<ILoggerFactory>().CreateLogger<BackupService>(), sp.GetService<TimeProvider>(), sp.GetService<IAuditLog>());
            service.Adopt(startup);
            startup.Dispose();
            return service;
        });
        services.AddSingleton<IHostedService>(sp => sp.GetRequiredService<BackupService>());
    }
}
