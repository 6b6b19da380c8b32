using CompanyHub.Functions;
using CompanyHub.Security;
using Microsoft.Extensions.DependencyInjection;

namespace CompanyHub.Backups;

/// <summary>
/// <c>dotnet CompanyHub.dll backups list</c> and <c>backups restore [&lt;id&gt;] [--force] [--recovery-key &lt;key&gt;]</c>: the
/// snapshots in the bucket, and a restore into the data directory, with the hub's own settings (local.settings.json,
/// environment, <c>--name=value</c>); with the recovery key, under any root key.
/// </summary>
public static class BackupCommand
{
    public const string Usage = """
        Usage:
          backups list                        the snapshots in the bucket, newest first
          backups restore [<id>] [--force]    restore <id>, or the newest snapshot that decrypts and verifies;
                                              --force replaces an existing store (stop the hub first; the
                                              current files are kept as *.before-restore-<time>)
          --recovery-key <key>                (list, restore) open the snapshots with the recovery key instead of
                                              the root key: a new deployment under another MASTER_KEY or TEE key.
                                              BACKUP_RECOVERY_KEY in the environment does the same and keeps the
                                              key out of the shell's history.
        Settings (S3_BUCKET, MASTER_KEY, Host:DataDirectory, ...) come from local.settings.json, the environment,
        or --Name=value arguments.
        """;

    private const string RecoveryKeyOption = "--recovery-key";

    /// <summary>Runs the command; returns the process exit code (0 done, 1 failed, 2 usage or refused).</summary>
    public static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter error)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(error);
        var rest = args.ToList();
        string? recoveryText = null;
        var at = rest.FindIndex(a => a == RecoveryKeyOption || a.StartsWith(RecoveryKeyOption + "=", StringComparison.Ordinal));
        if (at >= 0)
        {
            if (rest[at] == RecoveryKeyOption && at + 1 >= rest.Count)
            {
                await error.WriteLineAsync(Usage);
                return 2;
            }

            recoveryText = rest[at] == RecoveryKeyOption ? rest[at + 1] : rest[at][(RecoveryKeyOption.Length + 1)..];
            rest.RemoveRange(at, rest[at] == RecoveryKeyOption ? 2 : 1);
        }

        var settings = rest.Where(a => a.StartsWith("--", StringComparison.Ordinal) && a.Contains('=', StringComparison.Ordinal)).ToList();
        var words = rest.Except(settings).ToList();
        var force = words.Remove("--force");
        if (words.Count == 0 || words[0] is not ("list" or "restore") || (words[0] == "list" && words.Count > 1) || words.Count > 2 || words.Any(w => w.StartsWith('-')))
        {
            await error.WriteLineAsync(Usage);
            return 2;
        }

        // A mistyped key is refused before anything is built or read, let alone written.
        var recoveryKey = recoveryText is null ? null : ParseRecoveryKey(recoveryText, RecoveryKeyOption, error);
        if (recoveryText is not null && recoveryKey is null)
        {
            return 2;
        }

        settings.Add("--BACKUP_RESTORE_ON_START=false");

        // The command serves no HTTP: a throwaway host key keeps it from writing host-admin.key into the data directory,
        // which must stay as it was when a restore is refused.
        settings.Add($"--{Serverless.Functions.Security.HostKeys.SettingName}={Base64Url.Encode(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32))}");
        await using var app = CompanyHubApp.Build([.. settings]);
        if (recoveryKey is null && app.Configuration[BackupServiceCollectionExtensions.RecoveryKeySetting] is { Length: > 0 } fromSettings)
        {
            recoveryKey = ParseRecoveryKey(fromSettings, BackupServiceCollectionExtensions.RecoveryKeySetting, error);
            if (recoveryKey is null)
            {
                return 2;
            }
        }

        var backups = app.Services.GetRequiredService<BackupService>();
        if (!backups.Enabled)
        {
            await error.WriteLineAsync("Backups are not configured: set S3_BUCKET (and S3_ENDPOINT, S3_REGION, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY).");
            return 2;
        }

        if (recoveryKey is not null)
        {
            backups.OpenWith(recoveryKey);
            await error.WriteLineAsync($"Opening the snapshots with the recovery key (id {recoveryKey.PublicKey.KeyId}).");
        }

        try
        {
            if (words[0] == "list")
            {
                var snapshots = await backups.CatalogueAsync(CancellationToken.None);
                await output.WriteLineAsync($"{snapshots.Count} snapshot(s) in {backups.Options!.Describe()}, newest first:");
                foreach (var s in snapshots)
                {
                    await output.WriteLineAsync(s.Manifest is { } m
                        ? $"{s.Id}  {m.CreatedAt:yyyy-MM-dd HH:mm:ss}Z  {s.Size,12:N0} bytes  {m.Files.Count} databases  ({m.Reason})"
                        : $"{s.Id}  {s.UploadedAt:yyyy-MM-dd HH:mm:ss}Z  {s.Size,12:N0} bytes  refused: {s.Refused}");
                }

                return 0;
            }

            var result = await backups.RestoreAsync(words.Count > 1 ? words[1] : null, force, message => error.WriteLine(message), CancellationToken.None);
            await output.WriteLineAsync($"Restored snapshot {result.Id} taken {result.CreatedAt:yyyy-MM-dd HH:mm:ss}Z: {string.Join(", ", result.Files.Select(f => f.Name))}.");
            foreach (var moved in result.MovedAside)
            {
                await output.WriteLineAsync($"Kept the previous {Path.GetFileName(moved)} beside it (*.before-restore-<time>).");
            }

            return 0;
        }
        catch (BackupFailedException ex)
        {
            await error.WriteLineAsync((words[0] == "list" ? "Listing failed: " : "Restore failed: ") + ex.Message);
            return 1;
        }
    }

    private static RecoveryKey? ParseRecoveryKey(string text, string source, TextWriter error)
    {
        try
        {
            return RecoveryKey.Parse(text);
        }
        catch (RecoveryKeyFormatException ex)
        {
            error.WriteLine($"{source}: {ex.Message} Nothing was read or written.");
            return null;
        }
    }
}
