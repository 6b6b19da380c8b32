using CompanyHub.Security;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace CompanyHub.Backups;

/// <summary>Registers encrypted S3 backups and, on a machine without a store, restores the newest good snapshot first.</summary>
public static class BackupServiceCollectionExtensions
{
    /// <summary>The setting that hands the recovery key to the restore at start-up (a new deployment under another root key).</summary>
    public const string RecoveryKeySetting = "BACKUP_RECOVERY_KEY";

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

        var recovery = new RecoveryKeyFile(dataDirectory);
        var startup = new BackupService(options, keys, dataDirectory, storePath, startupLog, recovery: recovery);
        if (options is not null)
        {
            // A damaged recovery-key.json stops the start here, with the other key errors.
            _ = recovery.Current;
            if (configuration[RecoveryKeySetting] is { Length: > 0 } recoveryKey)
            {
                if (File.Exists(storePath))
                {
                    startupLog.LogWarning("{Setting} is set, but the store exists, so there is nothing to restore: remove {Setting} from the settings (the hub needs only the recovery key's public side, which it keeps).", RecoveryKeySetting, RecoveryKeySetting);
                }

                try
                {
                    startup.OpenWith(RecoveryKey.Parse(recoveryKey));
                }
                catch (RecoveryKeyFormatException ex)
                {
                    throw new BackupConfigurationException($"{RecoveryKeySetting}: {ex.Message}");
                }
            }

            startup.RemoveLeftovers();
            startupLog.LogInformation("Backups: encrypted snapshots to {Target} every {Interval} s when something changed; the newest {Retention} are kept.", options.Describe(), options.Interval.TotalSeconds, options.Retention);
            startup.RestoreIfStoreMissingAsync(CancellationToken.None).GetAwaiter().GetResult();

            // The snapshot at shutdown runs after the durable worker's grace period: give the host the time for both.
            services.PostConfigure<HostOptions>(o => o.ShutdownTimeout += BackupService.ShutdownBudget);
        }

        services.AddSingleton(sp =>
        {
            var service = new BackupService(options, keys, dataDirectory, storePath, sp.GetRequiredService<ILoggerFactory>().CreateLogger<BackupService>(), sp.GetService<TimeProvider>(), sp.GetService<IAuditLog>(), recovery);
            service.Adopt(startup);
            startup.Dispose();
            return service;
        });
        services.AddSingleton(recovery);
        services.AddHostedService<RecoveryKeyStartup>();
        services.AddSingleton<IHostedService>(sp => sp.GetRequiredService<BackupService>());
    }
}
