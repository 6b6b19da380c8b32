using System.Security.Cryptography;
using System.Text.Json;
using CompanyHub.Security;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace CompanyHub.Backups;

/// <summary>
/// The public side of the hub's recovery key, in the data directory (<c>recovery-key.json</c>): every snapshot's data
/// key is wrapped to it. Made at the first start with backups on, replaced by a rotation, installed by a restore. The
/// recovery key itself is never stored: it is handed out once (<see cref="TakeNewKey"/>, the rotation's answer).
/// </summary>
public sealed class RecoveryKeyFile(string dataDirectory)
{
    public const string FileName = "recovery-key.json";
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private readonly Lock _lock = new();
    private RecoveryPublicKey? _current;
    private bool _read;
    private RecoveryKey? _newKey;

    public string Path { get; } = System.IO.Path.Combine(dataDirectory, FileName);

    /// <summary>Gets the public key snapshots are wrapped to, or null when the hub has none yet. Throws <see cref="KeyConfigurationException"/> when the file is damaged.</summary>
    public RecoveryPublicKey? Current
    {
        get
        {
            lock (_lock)
            {
                if (!_read)
                {
                    _current = Read();
                    _read = true;
                }

                return _current;
            }
        }
    }

    /// <summary>Makes the recovery key when there is none; returns it (to show once), or null when there was one.</summary>
    public RecoveryKey? CreateIfMissing(DateTimeOffset now)
    {
        lock (_lock)
        {
            if (Current is not null)
            {
                return null;
            }

            var key = RecoveryKey.Generate(now);
            Save(key.PublicKey);
            _newKey = key;
            return key;
        }
    }

    /// <summary>Replaces the recovery key with a new one; returns it (to show once) and the public key it replaces.</summary>
    public (RecoveryKey Created, RecoveryPublicKey? Replaced) Rotate(DateTimeOffset now)
    {
        lock (_lock)
        {
            var replaced = Current;
            var key = RecoveryKey.Generate(now);
            Save(key.PublicKey);
            return (key, replaced);
        }
    }

    /// <summary>Installs the public key a restore brought, in place of this hub's.</summary>
    public void Install(RecoveryPublicKey key)
    {
        ArgumentNullException.ThrowIfNull(key);
        lock (_lock)
        {
            Save(key);
        }
    }

    /// <summary>Gets the key made at this start, once (for the start-up console); null afterwards.</summary>
    public RecoveryKey? TakeNewKey()
    {
        lock (_lock)
        {
            var key = _newKey;
            _newKey = null;
            return key;
        }
    }

    private void Save(RecoveryPublicKey key)
    {
        PrivateFile.Write(Path, JsonSerializer.Serialize(key, Json));
        _current = key;
        _read = true;
    }

    private RecoveryPublicKey? Read()
    {
        if (!File.Exists(Path))
        {
            return null;
        }

        try
        {
            var key = JsonSerializer.Deserialize<RecoveryPublicKey>(File.ReadAllText(Path), Json);
            if (key?.Point is null)
            {
                throw new JsonException("no public key");
            }

            key.Import().Dispose();
            return key;
        }
        catch (Exception ex) when (ex is JsonException or CryptographicException)
        {
            throw new KeyConfigurationException($"{Path} is damaged ({ex.Message}). It holds only the recovery key's public side: delete it and start the hub to have a new recovery key made and shown; the old recovery key still opens the snapshots made before.");
        }
    }
}

/// <summary>
/// At start-up with backups on: makes the recovery key if the hub has none (a first start, or the first with backups),
/// and records it in the audit log. The key itself goes only to the start-up console (<c>CompanyHubApp</c>). Not when
/// the bucket held snapshots that could not be restored: the way out is a restore, which brings their recovery key back,
/// and a key shown now would only be mistaken for that one.
/// </summary>
public sealed partial class RecoveryKeyStartup(BackupService backups, RecoveryKeyFile file, IAuditLog audit, ILogger<RecoveryKeyStartup> logger, TimeProvider? time = null) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (!backups.Enabled || backups.RefusedAtStart)
        {
            return;
        }

        var now = (time ?? TimeProvider.System).GetUtcNow();
        if (file.CreateIfMissing(now) is not { } created)
        {
            return;
        }

        LogCreated(created.PublicKey.KeyId);
        await audit.AppendAsync(new AuditRecord(now, "system", "recovery.created", null, created.PublicKey.KeyId, "a recovery key was made; it is shown once, on the start-up console", null, "ok"), cancellationToken).ConfigureAwait(false);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(Level = LogLevel.Warning, Message = "A recovery key was made (id {KeyId}): it is shown once, on the start-up console. Keep it offline; with the bucket it restores the snapshots on a new deployment.")]
    private partial void LogCreated(string keyId);
}
