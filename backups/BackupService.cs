using System.Security.Cryptography;
using CompanyHub.Security;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace CompanyHub.Backups;

/// <summary>A snapshot in the bucket as this hub sees it: readable (with its manifest) or refused (with the reason).</summary>
public sealed record SnapshotInfo(string Id, string Key, long Size, DateTimeOffset UploadedAt, SnapshotManifest? Manifest, string? Refused)
{
    /// <summary>Gets when the snapshot was taken (from its manifest), or when it was uploaded if it cannot be read.</summary>
    public DateTimeOffset Time => Manifest?.CreatedAt ?? UploadedAt;
}

/// <summary>
/// What one backup uploaded, and which old snapshots retention deleted. <see cref="Sha256"/> is the SHA-256 of the object
/// as read back from the bucket (null for a snapshot this hub only knows from the bucket's list).
/// </summary>
public sealed record BackupResult(string Id, DateTimeOffset CreatedAt, string Reason, long Size, int Parts, IReadOnlyList<SnapshotFile> Files, IReadOnlyList<string> Deleted, string? Sha256 = null);

/// <summary>What a restore installed.</summary>
public sealed record RestoreResult(string Id, DateTimeOffset CreatedAt, IReadOnlyList<SnapshotFile> Files, IReadOnlyList<string> MovedAside);

/// <summary>A backup or restore could not be done; the message says why (never a credential).</summary>
public sealed class BackupFailedException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// Encrypted snapshots of the hub's databases in an S3-compatible bucket: on a schedule when something changed, on
/// graceful shutdown (after the durable worker stopped) and on demand; each upload read back and compared with what was
/// sent; retention of the newest N readable ones; restore of the newest snapshot that decrypts and verifies. A failing
/// bucket is logged and shown in the status; the hub keeps running.
/// </summary>
public sealed partial class BackupService : IHostedLifecycleService, IDisposable
{
    /// <summary>How long the backup at shutdown may take.</summary>
    public static readonly TimeSpan ShutdownBudget = TimeSpan.FromSeconds(20);

    private const int HeadRead = 4096;
    private const string WorkFolder = ".backup-work";
    /// <summary>Why a hub without a recovery key (the bucket's snapshots were refused at start-up) does not back up.</summary>
    public const string NoRecoveryKey = "This hub has no recovery key yet (no snapshot could be restored at start-up), and every snapshot is wrapped to one: make it with POST /api/admin/backups/recovery-key (it is shown once), then back up.";
    private readonly KeyRing _keys;
    private readonly string _dataDirectory;
    private readonly string? _storePath;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly SnapshotBucket? _bucket;
    private readonly IAuditLog? _audit;
    private readonly RecoveryKeyFile _recovery;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly Dictionary<string, SnapshotInfo> _known = new(StringComparer.Ordinal);
    private readonly Lock _statusLock = new();
    private CancellationTokenSource? _loopStop;
    private Task _loop = Task.CompletedTask;
    private string? _lastFingerprint;
    private SnapshotManifest? _lastManifest;
    private BackupResult? _lastBackup;
    private DateTimeOffset? _lastAttemptAt;
    private (DateTimeOffset At, string Message)? _lastError;
    private IReadOnlyList<SnapshotInfo> _snapshots = [];
    private RecoveryKey? _openWith;

    public BackupService(BackupOptions? options, KeyRing keys, string dataDirectory, string? storePath, ILogger logger, TimeProvider? time = null, IAuditLog? audit = null, RecoveryKeyFile? recovery = null)
    {
        _audit = audit;
        _recovery = recovery ?? new RecoveryKeyFile(dataDirectory);
        ArgumentNullException.ThrowIfNull(keys);
        Options = options;
        _keys = keys;
        _dataDirectory = dataDirectory;
        _storePath = storePath;
        _logger = logger;
        _time = time ?? TimeProvider.System;
        _bucket = options is null ? null : new SnapshotBucket(options);
    }

    public BackupOptions? Options { get; }

    public bool Enabled => Options is not null;

    /// <summary>Gets why scheduled backups are paused (a failed restore at start-up), or null.</summary>
    public string? PausedReason { get; private set; }

    /// <summary>Gets whether the bucket held snapshots at start-up and none could be restored (no recovery key is made then).</summary>
    public bool RefusedAtStart { get; private set; }

    /// <summary>Gets the snapshot restored at start-up, if any.</summary>
    public (RestoreResult Result, DateTimeOffset At)? RestoredAtStart { get; private set; }

    /// <summary>
    /// At start-up, before anything opens the databases: when the durable store is missing (a fresh machine), restores
    /// the newest snapshot that decrypts and verifies. If there are snapshots but none can be used, or the bucket cannot
    /// be reached, the hub starts empty with scheduled backups paused, so that retention cannot replace good snapshots
    /// with empty ones; an on-demand backup (or a restore from the command line) ends the pause.
    /// </summary>
    public async Task RestoreIfStoreMissingAsync(CancellationToken cancellationToken)
    {
        if (Options is not { RestoreOnStart: true } || _storePath is null || File.Exists(_storePath))
        {
            return;
        }

        LogRestoreStart(_storePath, Options.Describe());
        IReadOnlyList<SnapshotInfo> snapshots;
        try
        {
            snapshots = await CatalogueAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (BackupFailedException ex)
        {
            PausedReason = $"The store was missing at start-up and the bucket could not be read ({ex.Message}); the hub started empty. Scheduled backups are paused so they cannot replace the snapshots in the bucket; restore with `backups restore --force` (hub stopped), or back up now to start over.";
            LogRestoreFailed(PausedReason);
            RecordError(ex.Message);
            return;
        }

        if (snapshots.Count == 0)
        {
            LogNothingToRestore();
            return;
        }

        try
        {
            var result = await RestoreAsync(null, force: true, message => LogRefused(message), cancellationToken).ConfigureAwait(false);
            RestoredAtStart = (result, _time.GetUtcNow());
        }
        catch (BackupFailedException ex)
        {
            PausedReason = $"No snapshot in the bucket could be restored ({ex.Message}); the hub started empty. Scheduled backups are paused so they cannot replace those snapshots; fix the key and restart, or back up now to start over.";
            RefusedAtStart = true;
            LogRestoreFailed(PausedReason);
            RecordError(ex.Message);
        }
    }

    /// <summary>
    /// Opens snapshots with the recovery key from now on (listing and restore), instead of the root key: a new deployment
    /// under another root key restores with it. A snapshot made for another recovery key is refused.
    /// </summary>
    public void OpenWith(RecoveryKey recoveryKey)
    {
        ArgumentNullException.ThrowIfNull(recoveryKey);
        _openWith = recoveryKey;
        lock (_known)
        {
            _known.Clear();
        }
    }

    /// <summary>Removes what an interrupted backup or restore left in the data directory (a process killed mid-upload).</summary>
    public void RemoveLeftovers() => TryDelete(Path.Combine(_dataDirectory, WorkFolder));

    /// <summary>Takes over what the start-up instance learnt (the restore, a pause, the snapshots it read).</summary>
    public void Adopt(BackupService startup)
    {
        ArgumentNullException.ThrowIfNull(startup);
        PausedReason = startup.PausedReason;
        RefusedAtStart = startup.RefusedAtStart;
        RestoredAtStart = startup.RestoredAtStart;
        _lastManifest = startup._lastManifest;
        _lastError = startup._lastError;
        _snapshots = startup._snapshots;
        foreach (var (key, info) in startup._known)
        {
            _known[key] = info;
        }
    }

    /// <summary>
    /// Takes a snapshot and uploads it. Unless <paramref name="force"/>, nothing is uploaded when the databases did not
    /// change since the last snapshot (returns null). Throws <see cref="BackupFailedException"/> when it fails.
    /// </summary>
    public async Task<BackupResult?> BackupAsync(string reason, bool force, CancellationToken cancellationToken)
    {
        var options = Options ?? throw new BackupFailedException("Backups are not configured: set S3_BUCKET (and S3_ENDPOINT, S3_REGION, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY).");
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        var work = WorkDirectory();
        try
        {
            var sources = SnapshotFiles.Discover(_dataDirectory, _storePath);
            var fingerprint = SnapshotFiles.Fingerprint(sources);
            if (!force && fingerprint == _lastFingerprint)
            {
                return null;
            }

            lock (_statusLock)
            {
                _lastAttemptAt = _time.GetUtcNow();
            }

            var files = await SnapshotFiles.CaptureAsync(sources, work, cancellationToken).ConfigureAwait(false);
            var manifest = new SnapshotManifest(SnapshotManifest.CurrentFormat, Path.GetFileNameWithoutExtension(_storePath ?? "hub"), _time.GetUtcNow(), reason, files);
            if (!force && manifest.SameContentAs(_lastManifest))
            {
                _lastFingerprint = fingerprint;
                return null;
            }

            var bundle = Path.Combine(work, "bundle.tar.gz");
            var sealedPath = Path.Combine(work, "snapshot.bin");
            await SnapshotFiles.BundleAsync(work, files, bundle, cancellationToken).ConfigureAwait(false);
            await SnapshotCipher.EncryptAsync(_keys, _recovery.Current ?? throw new BackupFailedException(NoRecoveryKey), manifest.ToBytes(), bundle, sealedPath, cancellationToken).ConfigureAwait(false);
            var id = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
            var key = options.SnapshotPrefix + id;
            var size = new FileInfo(sealedPath).Length;
            var sha256 = await SnapshotFiles.HashAsync(sealedPath, cancellationToken).ConfigureAwait(false);
            int parts;
            try
            {
                parts = await _bucket!.UploadAsync(sealedPath, key, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (IsBucketError(ex, cancellationToken))
            {
                throw new BackupFailedException($"Uploading the snapshot to {options.Describe()} failed: {SnapshotBucket.Explain(ex)}", ex);
            }

            await VerifyUploadAsync(id, key, size, sha256, options, cancellationToken).ConfigureAwait(false);
            var info = new SnapshotInfo(id, key, size, _time.GetUtcNow(), manifest, null);
            lock (_known)
            {
                _known[info.Key] = info;
            }

            _lastFingerprint = fingerprint;
            _lastManifest = manifest;
            var deleted = await ApplyRetentionAsync(cancellationToken).ConfigureAwait(false);
            var result = new BackupResult(id, manifest.CreatedAt, reason, size, parts, files, deleted, sha256);
            lock (_statusLock)
            {
                var recovered = _lastError is not null;
                _lastBackup = result;
                _lastError = null;
                PausedReason = null;
                if (recovered)
                {
                    LogRecovered(options.Describe());
                }
            }

            LogUploaded(id, reason, size, parts, sha256, files.Count, deleted.Count);
            return result;
        }
        catch (BackupFailedException ex)
        {
            RecordError(ex.Message);
            throw;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or Microsoft.Data.Sqlite.SqliteException)
        {
            var message = $"Taking the snapshot failed: {ex.Message}";
            RecordError(message);
            throw new BackupFailedException(message, ex);
        }
        finally
        {
            TryDelete(work);
            _gate.Release();
        }
    }

    /// <summary>Lists the snapshots in the bucket, newest first, each read as far as its manifest (cached: objects never change).</summary>
    public async Task<IReadOnlyList<SnapshotInfo>> CatalogueAsync(CancellationToken cancellationToken)
    {
        var options = Options ?? throw new BackupFailedException("Backups are not configured: set S3_BUCKET.");
        try
        {
            var objects = await _bucket!.ListAsync(cancellationToken).ConfigureAwait(false);
            var list = new List<SnapshotInfo>();
            foreach (var item in objects)
            {
                SnapshotInfo? info;
                lock (_known)
                {
                    _known.TryGetValue(item.Key, out info);
                }

                if (info is null)
                {
                    info = await ReadInfoAsync(item, options, cancellationToken).ConfigureAwait(false);
                    lock (_known)
                    {
                        _known[item.Key] = info;
                    }
                }

                list.Add(info);
            }

            var sorted = list.OrderByDescending(s => s.Time).ToList();
            lock (_statusLock)
            {
                _snapshots = sorted;
                _lastBackup ??= sorted.FirstOrDefault(s => s.Manifest is not null) is { Manifest: { } m } newest
                    ? new BackupResult(newest.Id, m.CreatedAt, m.Reason, newest.Size, 0, m.Files, [])
                    : null;
            }

            _lastManifest ??= sorted.FirstOrDefault(s => s.Manifest is not null)?.Manifest;
            return sorted;
        }
        catch (Exception ex) when (IsBucketError(ex, cancellationToken))
        {
            throw new BackupFailedException($"Reading {options.Describe()} failed: {SnapshotBucket.Explain(ex)}", ex);
        }
    }

    /// <summary>
    /// Restores a snapshot into the data directory: <paramref name="id"/>, or else the newest one that decrypts and
    /// verifies (each refused one is reported through <paramref name="report"/> and the next older one tried). Files in
    /// the way are moved aside (<c>name.before-restore-&lt;time&gt;</c>) — only with <paramref name="force"/> when the store exists.
    /// </summary>
    public async Task<RestoreResult> RestoreAsync(string? id, bool force, Action<string> report, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(report);
        var options = Options ?? throw new BackupFailedException("Backups are not configured: set S3_BUCKET (and S3_ENDPOINT, S3_REGION, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY).");
        if (!force && _storePath is not null && File.Exists(_storePath))
        {
            throw new BackupFailedException($"The store {_storePath} exists; restoring would replace it. Stop the hub and run again with --force (the current files are kept beside as *.before-restore-<time>).");
        }

        var snapshots = await CatalogueAsync(cancellationToken).ConfigureAwait(false);
        var candidates = id is null ? snapshots : snapshots.Where(s => s.Id == id).ToList();
        if (id is not null && candidates.Count == 0)
        {
            throw new BackupFailedException($"There is no snapshot '{id}' in {options.Describe()}.");
        }

        if (candidates.Count == 0)
        {
            throw new BackupFailedException($"There are no snapshots in {options.Describe()}.");
        }

        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var reasons = new List<string>();
            foreach (var snapshot in candidates)
            {
                string? work = null;
                try
                {
                    if (snapshot.Refused is not null)
                    {
                        throw new SnapshotRejectedException(snapshot.Refused);
                    }

                    work = WorkDirectory();
                    var path = Path.Combine(work, "snapshot.bin");
                    await _bucket!.DownloadAsync(snapshot.Key, path, cancellationToken).ConfigureAwait(false);
                    var bundle = Path.Combine(work, "bundle.tar.gz");
                    var contents = await SnapshotCipher.DecryptAsync(_keys, _openWith, path, bundle, cancellationToken).ConfigureAwait(false);
                    var manifest = SnapshotManifest.Parse(contents.Manifest);
                    var files = Directory.CreateDirectory(Path.Combine(work, "files")).FullName;
                    await SnapshotFiles.ExtractAndVerifyAsync(bundle, manifest, files, cancellationToken).ConfigureAwait(false);
                    var moved = Install(manifest, files);
                    InstallKeys(contents.Keys);
                    _lastManifest = manifest;
                    _lastFingerprint = null;
                    LogRestored(snapshot.Id, manifest.CreatedAt, manifest.Files.Count);
                    return new RestoreResult(snapshot.Id, manifest.CreatedAt, manifest.Files, moved);
                }
                catch (SnapshotRejectedException ex)
                {
                    MarkRefused(snapshot, ex.Message);
                    var message = $"Snapshot {snapshot.Id} ({snapshot.Time:u}) is refused: {ex.Message}";
                    reasons.Add(message);
                    report(id is null ? message + " Trying the next older one." : message + Older(snapshots, snapshot));
                }
                catch (Exception ex) when (IsBucketError(ex, cancellationToken))
                {
                    throw new BackupFailedException($"Downloading snapshot {snapshot.Id} from {options.Describe()} failed: {SnapshotBucket.Explain(ex)}", ex);
                }
                finally
                {
                    if (work is not null)
                    {
                        TryDelete(work);
                    }
                }
            }

            throw new BackupFailedException(id is null
                ? $"none of the {candidates.Count} snapshot(s) could be used; the newest: {reasons[0]}"
                : $"snapshot {id} is refused.");
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Gets the state for the admin API and dashboard.</summary>
    public object Status()
    {
        var now = _time.GetUtcNow();
        lock (_statusLock)
        {
            return new
            {
                enabled = Enabled,
                target = Options?.Describe(),
                intervalSeconds = Options is null ? (double?)null : Options.Interval.TotalSeconds,
                retention = Options?.Retention,
                lastBackup = _lastBackup is { } last ? new
                {
                    id = last.Id,
                    createdAt = last.CreatedAt,
                    ageSeconds = Math.Max(0, (long)(now - last.CreatedAt).TotalSeconds),
                    reason = last.Reason,
                    size = last.Size,
                    files = last.Files.Select(f => new { name = f.Name, role = f.Role, size = f.Size }),
                } : null,
                lastAttemptAt = _lastAttemptAt,
                lastError = _lastError is { } error ? new { at = error.At, message = error.Message } : null,
                paused = PausedReason,
                recoveryKey = Enabled && _recovery.Current is { } recovery ? new { id = recovery.KeyId, createdAt = recovery.CreatedAt } : null,
                restoredAtStart = RestoredAtStart is { } restored ? new { id = restored.Result.Id, createdAt = restored.Result.CreatedAt, restoredAt = restored.At } : null,
                snapshots = _snapshots.Select(s => new { id = s.Id, createdAt = s.Time, size = s.Size, reason = s.Manifest?.Reason, refused = s.Refused }),
            };
        }
    }

    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public async Task StartedAsync(CancellationToken cancellationToken)
    {
        if (Options is null)
        {
            return;
        }

        if (_audit is not null && (RestoredAtStart is not null || PausedReason is not null))
        {
            await _audit.AppendAsync(RestoredAtStart is { } restored
                ? new AuditRecord(restored.At, "system", "backup.restored", null, restored.Result.Id, $"snapshot taken {restored.Result.CreatedAt:u}: {restored.Result.Files.Count} databases", null, "ok")
                : new AuditRecord(_time.GetUtcNow(), "system", "backup.restored", null, null, PausedReason, null, "failed"), cancellationToken).ConfigureAwait(false);
        }

        _loopStop = new CancellationTokenSource();
        _loop = Task.Run(() => RunScheduleAsync(Options.Interval, _loopStop.Token), CancellationToken.None);
    }

    public async Task StoppingAsync(CancellationToken cancellationToken)
    {
        if (_loopStop is null)
        {
            return;
        }

        await _loopStop.CancelAsync().ConfigureAwait(false);
        await _loop.ConfigureAwait(false);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>After every hosted service stopped (the durable worker included): a last snapshot if anything changed.</summary>
    public async Task StoppedAsync(CancellationToken cancellationToken)
    {
        if (Options is null || PausedReason is not null)
        {
            return;
        }

        using var budget = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        budget.CancelAfter(ShutdownBudget);
        try
        {
            await BackupAsync("shutdown", force: false, budget.Token).ConfigureAwait(false);
        }
        catch (BackupFailedException ex)
        {
            LogFailed(ex.Message, "this was the backup at shutdown; the previous snapshot stays the newest");
        }
        catch (OperationCanceledException)
        {
            LogFailed($"the backup at shutdown did not finish within {ShutdownBudget.TotalSeconds:0} s", "the previous snapshot stays the newest");
        }
    }

    public void Dispose()
    {
        _bucket?.Dispose();
        _loopStop?.Dispose();
        _gate.Dispose();
    }

    private async Task RunScheduleAsync(TimeSpan interval, CancellationToken stop)
    {
        try
        {
            await CatalogueAsync(stop).ConfigureAwait(false);
        }
        catch (BackupFailedException ex)
        {
            RecordError(ex.Message);
            LogFailed(ex.Message, "the hub keeps running and tries again on schedule");
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            return;
        }

        while (!stop.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(interval, _time, stop).ConfigureAwait(false);
                if (PausedReason is null)
                {
                    await BackupAsync("schedule", force: false, stop).ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }
            catch (BackupFailedException ex)
            {
                LogFailed(ex.Message, $"the hub keeps running and tries again in {interval.TotalSeconds:0} s");
            }
        }
    }

    private async Task<IReadOnlyList<string>> ApplyRetentionAsync(CancellationToken cancellationToken)
    {
        var deleted = new List<string>();
        IReadOnlyList<SnapshotInfo> snapshots;
        try
        {
            snapshots = await CatalogueAsync(cancellationToken).ConfigureAwait(false);

            // Only snapshots that read back count: an object this hub cannot use never pushes a good snapshot out.
            var readable = 0;
            foreach (var old in snapshots)
            {
                if (readable < Options!.Retention)
                {
                    readable += old.Manifest is null ? 0 : 1;
                    continue;
                }

                await _bucket!.DeleteAsync(old.Key, cancellationToken).ConfigureAwait(false);
                lock (_known)
                {
                    _known.Remove(old.Key);
                }

                deleted.Add(old.Id);
            }
        }
        catch (Exception ex) when (ex is BackupFailedException || IsBucketError(ex, cancellationToken))
        {
            // The snapshot is up; old ones stay until the next successful pass.
            LogFailed(ex is BackupFailedException ? ex.Message : SnapshotBucket.Explain(ex), "retention deletes the old snapshots after the next upload");
            return deleted;
        }

        lock (_statusLock)
        {
            _snapshots = snapshots.Where(s => !deleted.Contains(s.Id)).ToList();
        }

        return deleted;
    }

    /// <summary>
    /// Reads the object just uploaded back from the bucket and compares its size and SHA-256 with the file that was sent.
    /// A server can answer 200 to an upload and keep something else (s3rver stores aws-chunked bodies with their chunk
    /// framing): such an object would be refused at the restore, so the backup fails now and the object is deleted.
    /// </summary>
    private async Task VerifyUploadAsync(string id, string key, long size, string sha256, BackupOptions options, CancellationToken cancellationToken)
    {
        string problem;
        try
        {
            var stored = await _bucket!.ReadBackAsync(key, cancellationToken).ConfigureAwait(false);
            if (stored.Size == size && stored.Sha256 == sha256)
            {
                return;
            }

            problem = stored.Size != size
                ? $"the bucket holds {stored.Size} bytes where {size} were sent"
                : $"the bucket holds {size} bytes as sent, but their SHA-256 differs";
        }
        catch (Exception ex) when (IsBucketError(ex, cancellationToken))
        {
            problem = $"reading it back failed: {SnapshotBucket.Explain(ex)}";
        }

        bool deleted;
        try
        {
            await _bucket!.DeleteAsync(key, cancellationToken).ConfigureAwait(false);
            deleted = true;
        }
        catch (Exception ex) when (IsBucketError(ex, cancellationToken))
        {
            deleted = false;
        }

        var message = $"Snapshot {id} was uploaded to {options.Describe()} but does not read back as sent ({problem}), so it could not be restored; "
            + (deleted ? "it was deleted." : "deleting it failed too (retention does not count it).")
            + (options.UseChunkEncoding ? " S3_CHUNK_ENCODING is true: a server that stores aws-chunked bodies as they arrive (s3rver) needs false." : "");
        LogUnverified(message);
        throw new BackupFailedException(message);
    }

    private async Task<SnapshotInfo> ReadInfoAsync(BucketObject item, BackupOptions options, CancellationToken cancellationToken)
    {
        var id = item.Key[options.SnapshotPrefix.Length..];
        try
        {
            var head = await _bucket!.ReadStartAsync(item.Key, HeadRead, cancellationToken).ConfigureAwait(false);
            var header = SnapshotCipher.ReadHeader(head);
            var needed = header.Bytes.Length + header.ManifestLength;
            if (head.Length < needed)
            {
                head = await _bucket.ReadStartAsync(item.Key, needed, cancellationToken).ConfigureAwait(false);
                if (head.Length < needed)
                {
                    throw new SnapshotRejectedException("it ends inside its manifest (truncated).");
                }
            }

            var manifest = SnapshotManifest.Parse(SnapshotCipher.OpenManifest(header, _keys, _openWith, head.AsSpan(header.Bytes.Length)));
            return new SnapshotInfo(id, item.Key, item.Size, item.LastModified, manifest, null);
        }
        catch (SnapshotRejectedException ex)
        {
            return new SnapshotInfo(id, item.Key, item.Size, item.LastModified, null, ex.Message);
        }
    }

    private List<string> Install(SnapshotManifest manifest, string files)
    {
        Directory.CreateDirectory(_dataDirectory);
        var stamp = _time.GetUtcNow().ToString("yyyyMMddHHmmss", System.Globalization.CultureInfo.InvariantCulture);
        var moved = new List<string>();
        foreach (var file in manifest.Files)
        {
            var target = file.Role == SnapshotFiles.StoreRole && _storePath is not null ? _storePath : Path.Combine(_dataDirectory, file.Name);
            foreach (var suffix in new[] { "", "-wal", "-shm", "-journal" })
            {
                if (File.Exists(target + suffix))
                {
                    // A stale WAL next to a restored database would be replayed into it: move it aside with its database.
                    File.Move(target + suffix, $"{target}.before-restore-{stamp}{suffix}");
                    moved.Add(target + suffix);
                }
            }

            File.Move(Path.Combine(files, file.Name), target);
        }

        return moved;
    }

    /// <summary>
    /// After the databases are in place: the keys the snapshot carried. Its sealing keys join the key ring (and the data
    /// directory), so that secrets sealed by the hub that made it open here; its recovery public key becomes this hub's,
    /// as everything else of the snapshot's state (restored with the recovery key, that is the key given).
    /// </summary>
    private void InstallKeys(SnapshotKeyBlock? block)
    {
        if (block is null)
        {
            return;
        }

        InheritedSealingKeys.Add(_dataDirectory, _keys, block.SealingKeys);
        _recovery.Install(block.RecoveryKey);
    }

    private void MarkRefused(SnapshotInfo snapshot, string reason)
    {
        var refused = snapshot with { Refused = reason };
        lock (_known)
        {
            _known[snapshot.Key] = refused;
        }

        lock (_statusLock)
        {
            _snapshots = _snapshots.Select(s => s.Key == snapshot.Key ? refused : s).ToList();
        }
    }

    private static string Older(IReadOnlyList<SnapshotInfo> snapshots, SnapshotInfo refused) =>
        snapshots.FirstOrDefault(s => s.Time < refused.Time && s.Refused is null) is { } older
            ? $" The next older snapshot is {older.Id} ({older.Time:u}); restore it with: backups restore {older.Id}"
            : " There is no older readable snapshot.";

    private static bool IsBucketError(Exception ex, CancellationToken cancellationToken) =>
        ex is Amazon.Runtime.AmazonServiceException or Amazon.Runtime.AmazonClientException or HttpRequestException or IOException or System.Net.Sockets.SocketException
        || (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested);

    private void RecordError(string message)
    {
        lock (_statusLock)
        {
            _lastError = (_time.GetUtcNow(), message);
        }
    }

    private string WorkDirectory() => Directory.CreateDirectory(Path.Combine(_dataDirectory, WorkFolder, Guid.NewGuid().ToString("N"))).FullName;

    private static void TryDelete(string directory)
    {
        try
        {
            if (!Directory.Exists(directory))
            {
                return;
            }

            Directory.Delete(directory, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Backup {Id} uploaded ({Reason}) and read back as sent: {Size} bytes in {Parts} part(s), SHA-256 {Sha256}, {Files} database(s); retention deleted {Deleted} old snapshot(s).")]
    private partial void LogUploaded(string id, string reason, long size, int parts, string sha256, int files, int deleted);

    [LoggerMessage(Level = LogLevel.Error, Message = "Backup failed: {Message}")]
    private partial void LogUnverified(string message);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Backup failed: {Message} ({Consequence}).")]
    private partial void LogFailed(string message, string consequence);

    [LoggerMessage(Level = LogLevel.Information, Message = "Backups to {Target} work again.")]
    private partial void LogRecovered(string target);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The store {StorePath} is missing: restoring the newest good snapshot from {Target}.")]
    private partial void LogRestoreStart(string storePath, string target);

    [LoggerMessage(Level = LogLevel.Information, Message = "The bucket holds no snapshot yet: starting with an empty store.")]
    private partial void LogNothingToRestore();

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Message}")]
    private partial void LogRefused(string message);

    [LoggerMessage(Level = LogLevel.Error, Message = "Restore at start-up failed: {Message}")]
    private partial void LogRestoreFailed(string message);

    [LoggerMessage(Level = LogLevel.Information, Message = "Restored snapshot {Id} taken {CreatedAt:u}: {Files} database(s).")]
    private partial void LogRestored(string id, DateTimeOffset createdAt, int files);
}
